"""Reading the settings' values: from the config and the environment, each parsed by its schema.

Values arrive as the user wrote them: JSON numbers and booleans from a config file, text from
`--config ENV` and from Meltano (whose `string` kind passes them on untouched). Each value is
parsed by its declaration in settings_schema.py; every invalid one is reported in one line that
names the setting, the value and what it must be, before anything talks to the API. The typed
settings objects built from the parsed values are in settings.py.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from singer_sdk.exceptions import ConfigValidationError

from tap_peopleai.errors import TapPeopleAIError
from tap_peopleai.settings.literals import iso_date, whole_number
from tap_peopleai.settings.schema import settings_schema

ENV_PREFIX = "TAP_PEOPLEAI_"
# Environment variables with the tap's prefix that are not settings: the SDK reads LOGLEVEL
# itself, and Meltano passes its extras as TAP_PEOPLEAI__SELECT, TAP_PEOPLEAI__METADATA, ...
SDK_VARIABLES = frozenset({"LOGLEVEL"})
# The SDK's object settings: Meltano also exports each of their nested keys as a variable of
# its own (TAP_PEOPLEAI_BATCH_CONFIG_ENCODING_FORMAT, ...) beside the whole object; those
# variables' names (lower case, after the prefix) start with these.
OBJECT_SETTING_KEYS = tuple(
    f"{name}_" for name in ("batch_config", "stream_maps", "stream_map_config", "faker_config")
)
TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")
DECIMAL_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")

SCHEMA = settings_schema()


class SettingsError(TapPeopleAIError, ConfigValidationError):
    """Settings that are missing or invalid: one line per problem, each naming the setting.

    Also a ConfigValidationError, so that the SDK's own entry points (such as `--test`) print the
    problems too. Defined here, not in errors.py, which BATCH worker processes import without
    the SDK.
    """

    def __init__(self, problems: list[str]) -> None:
        ConfigValidationError.__init__(self, "\n".join(problems), errors=problems)


class _Invalid(ValueError):
    """A value that does not fit its setting; the message says what it must be."""


def env_var(name: str) -> str:
    """The environment variable of a setting, as the SDK and Meltano name it."""
    return ENV_PREFIX + name.upper().replace("-", "_")


def environment_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The tap's settings given as environment variables, as text (what `--config ENV` reads)."""
    names = [name for name in SCHEMA["properties"] if env_var(name) in environ]
    return {name: environ[env_var(name)] for name in names}


def _whole_number(value: Any, schema: dict[str, Any]) -> int:
    low, high = schema["minimum"], schema["maximum"]
    number = whole_number(value, low, high)
    if number is None:
        raise _Invalid(f"a whole number from {low} to {high}")
    return number


def _seconds(value: Any, schema: dict[str, Any]) -> float:
    if "minimum" in schema:
        expected = f"a number of seconds of at least {schema['minimum']:g}"
    else:
        expected = "a positive number of seconds (such as 0.5 or 30)"
    if isinstance(value, str) and DECIMAL_NUMBER.fullmatch(value.strip()):
        value = float(value)
    # A JSON config file read by the SDK holds fractions as Decimal.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise _Invalid(expected)
    if not math.isfinite(value):
        raise _Invalid(expected)
    if value < schema.get("minimum", -math.inf) or value <= schema.get(
        "exclusiveMinimum", -math.inf
    ):
        raise _Invalid(expected)
    return float(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else None
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise _Invalid("true or false")


def _date(value: Any) -> dt.date:
    day = iso_date(value.strip()) if isinstance(value, str) else None
    if day is None:
        raise _Invalid("a date as YYYY-MM-DD (such as 2024-01-31)")
    return day


def _text(name: str, value: Any, schema: dict[str, Any]) -> str:
    if not isinstance(value, str):
        raise _Invalid("text (quote it in YAML)")
    if "enum" in schema and value not in schema["enum"]:
        raise _Invalid(f"one of {', '.join(schema['enum'])}")
    if name == "api_url":
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Invalid("an http(s) URL such as https://api.people.ai")
        return value.strip().rstrip("/")
    if name == "ca_bundle" and not (os.path.isfile(value) and os.access(value, os.R_OK)):
        raise _Invalid("the path of a readable PEM file (it does not exist or cannot be read)")
    if name == "temp_dir" and not (os.path.isdir(value) and os.access(value, os.W_OK | os.X_OK)):
        raise _Invalid("an existing directory the tap may write to")
    return value


def _parse_value(name: str, value: Any, schema: dict[str, Any]) -> Any:
    types = schema["type"]
    if schema.get("format") == "date":
        return _date(value)
    if "integer" in types:
        return _whole_number(value, schema)
    if "number" in types:
        return _seconds(value, schema)
    if "boolean" in types:
        return _boolean(value)
    return _text(name, value, schema)


def _problem(name: str, value: Any, expected: str, schema: dict[str, Any]) -> str:
    if schema.get("secret"):
        shown = "a value that is not shown (it is secret)"
    else:
        shown = str(value) if isinstance(value, Decimal) else repr(value)
    return (
        f"`{name}` must be {expected}, got {shown}. Fix it where it is set: the config file, "
        f"meltano.yml or {env_var(name)}."
    )


def parse_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting of the tap, parsed (defaults filled in); raises naming each invalid one."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, schema in SCHEMA["properties"].items():
        value = config.get(name)
        if value is None or (value == "" and "enum" not in schema):
            if name in SCHEMA.get("required", ()):
                example = "2024-01-01" if schema.get("format") == "date" else "..."
                what = schema["description"].split(". ")[0]
                problems.append(
                    f"`{name}` is required: {what[0].lower()}{what[1:]}. Set it in the config "
                    f"file, in meltano.yml or as {env_var(name)}={example}."
                )
            default = schema.get("default")
            values[name] = None if default is None else _parse_value(name, default, schema)
            continue
        try:
            values[name] = _parse_value(name, value, schema)
        except _Invalid as exc:
            problems.append(_problem(name, value, str(exc), schema))
    if problems:
        raise SettingsError(problems)
    return values


def own_prefixes(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Prefixes of the variables that hold the tap's settings, longest first: TAP_PEOPLEAI_, and
    under Meltano also its plugin's own name's (MELTANO_EXTRACTOR_NAME). Meltano exports an
    inherited plugin's settings under its name too: tap-peopleai-reconcile's start_date also as
    TAP_PEOPLEAI_RECONCILE_START_DATE, which is no setting `reconcile_start_date`."""
    plugin = environ.get("MELTANO_EXTRACTOR_NAME", "")
    own = plugin.upper().replace("-", "_") + "_"
    return (own, ENV_PREFIX) if own.startswith(ENV_PREFIX) and own != ENV_PREFIX else (ENV_PREFIX,)


def unknown_settings_warning(
    config_keys: Iterable[str], environ: Mapping[str, str], known: Iterable[str]
) -> str | None:
    """One line naming every setting given that the tap does not have, or None."""
    known_names = set(known)
    sources: dict[str, str | None] = {key: None for key in config_keys if key not in known_names}
    prefixes = own_prefixes(environ)
    for variable in environ:
        prefix = next((p for p in prefixes if variable.startswith(p)), None)
        if prefix is None or variable.startswith(prefix + "_"):  # not ours, or Meltano's extras
            continue
        suffix = variable[len(prefix) :]
        if suffix.lower().startswith(OBJECT_SETTING_KEYS):
            continue  # Meltano's copy of one key of an object setting
        if suffix not in SDK_VARIABLES and suffix.lower() not in known_names:
            sources[suffix.lower()] = variable
    if not sources:
        return None
    described = []
    for name, source in sorted(sources.items()):
        notes = [source] if source else []
        notes += [f"did you mean `{m}`?" for m in difflib.get_close_matches(name, known_names, 1)]
        described.append(f"`{name}`" + (f" ({', '.join(notes)})" if notes else ""))
    return (
        f"Ignoring unknown setting(s): {'; '.join(described)}. "
        "`tap-peopleai --about` lists the settings."
    )
