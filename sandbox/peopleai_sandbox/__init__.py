"""peopleai-sandbox: a local emulator of People.ai's Raw Activity Data bulk export API."""

from .backend import ExportBackend
from .clock import SandboxClock
from .config import Faults, SandboxConfig, Variants
from .data import TruthRow
from .erasures import Erasure
from .errors import ApiError
from .testing import RunningSandbox, run_sandbox, start_sandbox

__all__ = [
    "ApiError",
    "Erasure",
    "ExportBackend",
    "Faults",
    "RunningSandbox",
    "SandboxClock",
    "SandboxConfig",
    "TruthRow",
    "Variants",
    "run_sandbox",
    "start_sandbox",
]
