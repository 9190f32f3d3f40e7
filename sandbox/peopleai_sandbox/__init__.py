"""peopleai-sandbox: a local emulator of People.ai's Raw Activity Data bulk export API."""

from peopleai_sandbox.dataset.universe import TruthRow
from peopleai_sandbox.errors import ApiError
from peopleai_sandbox.models.backend import ExportBackend
from peopleai_sandbox.models.clock import SandboxClock
from peopleai_sandbox.settings.config import SandboxConfig, Variants
from peopleai_sandbox.settings.erasures import Erasure
from peopleai_sandbox.settings.faults import Faults
from peopleai_sandbox.testing import RunningSandbox, run_sandbox, start_sandbox

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
