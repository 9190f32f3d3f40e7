"""The fast record path emits what the SDK's generic path would, and steps aside for maps."""

from __future__ import annotations

from typing import Any

from peopleai_sandbox import Variants
from tap_peopleai.tap import TapPeopleAI
from tests.support.schema_check import schema_violations, undeclared_top_level
from tests.support.sdk_default_path import SdkDefaultPathTap
from tests.support.tap_runs import START, run_tap, tap_config, without_versions


def records_of(tap_class: type[TapPeopleAI], config: dict[str, Any]) -> list[dict[str, Any]]:
    return run_tap(config, tap_class=tap_class).records


def test_fast_path_records_equal_the_sdk_default_path(make_sandbox) -> None:
    sandbox = make_sandbox(variants=Variants(timestamp_style="mixed"))
    fast = records_of(TapPeopleAI, tap_config(sandbox))
    default = records_of(SdkDefaultPathTap, tap_config(sandbox))
    assert len(fast) > 1000
    assert without_versions(fast) == without_versions(default)


def test_records_fit_the_schema_and_hold_every_field_the_api_sent(make_sandbox) -> None:
    variants = Variants(timestamp_style="mixed", extra_fields=True, type_drift=True)
    sandbox = make_sandbox(variants=variants)
    fast = records_of(TapPeopleAI, tap_config(sandbox))
    assert without_versions(fast) == without_versions(
        records_of(SdkDefaultPathTap, tap_config(sandbox))
    )
    served = sandbox.backend.truth_records(activity_from=START)
    assert {record["uid"] for record in fast} == set(served)
    kept_beside_null = 0
    for record in fast:
        assert not schema_violations(record), (record["uid"], schema_violations(record))
        assert not undeclared_top_level(record)
        sent = served[record["uid"]]
        additional = record.get("additional_fields") or {}
        for name, value in sent.items():
            if name not in record:  # undeclared: by its name, as sent
                assert additional[name] == value, (record["uid"], name)
            elif record[name] is None and value is not None:  # declared, but could not hold it
                assert additional[name] == value, (record["uid"], name)
                kept_beside_null += 1
        # nothing in additional_fields that the API did not send there
        for path in additional:
            head = path.split(".")[0].split("[")[0]
            assert head in sent, (record["uid"], path)
    assert kept_beside_null > 0, "type_drift sends values no declared type can hold"


def test_stream_maps_and_flattening_take_the_sdk_path(make_sandbox) -> None:
    sandbox = make_sandbox()
    config = tap_config(
        sandbox,
        stream_maps={"activities": {"summary": "__NULL__", "subject_upper": "subject.upper()"}},
        flattening_enabled=True,
        flattening_max_depth=1,
    )
    records = records_of(TapPeopleAI, config)
    assert records
    assert all("summary" not in r for r in records)
    assert any("subject_upper" in r for r in records)
    assert any("stats__total_participants" in r for r in records)


def test_deselected_properties_are_left_out_and_undeclared_fields_still_arrive(
    make_sandbox,
) -> None:
    sandbox = make_sandbox(variants=Variants(extra_fields=True))
    config = tap_config(sandbox)
    catalog = TapPeopleAI(config=config).catalog_dict
    (activities,) = [s for s in catalog["streams"] if s["tap_stream_id"] == "activities"]
    for entry in activities["metadata"]:
        if entry["breadcrumb"] == ["properties", "summary"]:
            entry["metadata"]["selected"] = False

    class SelectingTap(TapPeopleAI):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(catalog=catalog, **kwargs)

    records = records_of(SelectingTap, config)
    assert len(records) == len(sandbox.backend.truth_records(activity_from=START))
    assert all("summary" not in r and "subject" in r for r in records)
    # Fields the schema does not declare still arrive, in the declared additional_fields.
    assert any((r.get("additional_fields") or {}).get("source_system") for r in records)
