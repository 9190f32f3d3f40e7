"""Where a record's keys are, as dotted paths, for the variant tests."""

from __future__ import annotations

from typing import Any

from peopleai_sandbox.dataset.extras import EARLY_TOP_LEVEL, LATE_TOP_LEVEL, NESTED

# NESTED's container names -> the path prefix of their keys
CONTAINER_PATHS = {
    "stats": "stats",
    "crm_status": "crm_status",
    "account": "crm_status.account",
    "opportunity": "crm_status.opportunity",
    "lead": "crm_status.lead",
    "participants": "participants[]",
    "campaigns": "campaigns[]",
}


def key_paths(record: dict[str, Any]) -> set[str]:
    """Every key of a record: top-level names, and ``container.key`` for the nested ones."""
    paths = set(record)
    for name in ("stats", "crm_status"):
        paths |= {f"{name}.{key}" for key in record[name]}
    crm = record["crm_status"]
    for matched in ("account", "opportunity", "lead"):
        if matched in crm:
            paths |= {f"crm_status.{matched}.{key}" for key in crm[matched]}
    for name in ("participants", "campaigns"):
        for item in record[name]:
            paths |= {f"{name}[].{key}" for key in item}
    return paths


def extra_paths(late: bool) -> set[str]:
    """The paths of the undocumented names: the early ones, or the late ones."""
    top = LATE_TOP_LEVEL if late else EARLY_TOP_LEVEL
    nested = {
        f"{CONTAINER_PATHS[container]}.{name}"
        for container, (early_names, late_names) in NESTED.items()
        for name in (late_names if late else early_names)
    }
    return set(top) | nested


def without_extras(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a record without any undocumented name (what the documented schema holds)."""
    undocumented = extra_paths(late=False) | extra_paths(late=True)
    copy = {key: value for key, value in record.items() if key not in undocumented}

    def strip(value: dict[str, Any], prefix: str) -> dict[str, Any]:
        return {key: item for key, item in value.items() if f"{prefix}.{key}" not in undocumented}

    copy["stats"] = strip(record["stats"], "stats")
    crm = strip(record["crm_status"], "crm_status")
    for matched in ("account", "opportunity", "lead"):
        if matched in crm:
            crm[matched] = strip(crm[matched], f"crm_status.{matched}")
    copy["crm_status"] = crm
    for name in ("participants", "campaigns"):
        copy[name] = [strip(item, f"{name}[]") for item in record[name]]
    return copy


def differing_paths(served: Any, documented: Any, path: str = "") -> set[str]:
    """Paths where two records of the same shape hold different values (or types)."""
    if isinstance(served, dict) and isinstance(documented, dict):
        assert set(served) == set(documented), path
        found: set[str] = set()
        for key in served:
            found |= differing_paths(served[key], documented[key], f"{path}.{key}".lstrip("."))
        return found
    if isinstance(served, list) and isinstance(documented, list):
        assert len(served) == len(documented), path
        found = set()
        for served_item, documented_item in zip(served, documented, strict=True):
            found |= differing_paths(served_item, documented_item, f"{path}[]")
        return found
    same = type(served) is type(documented) and served == documented
    return set() if same else {path}
