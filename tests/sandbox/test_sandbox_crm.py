"""The CRM side of the records looks like a real CRM, so that the dbt marts show believable figures:
an opportunity gathers many activities under one name, stage and account; names are unique."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from statistics import median

from peopleai_sandbox import RunningSandbox
from peopleai_sandbox.dataset.crm import ACCOUNTS


def test_the_crm_book_has_unique_ids_and_names_per_account() -> None:
    account_ids = [account.crm_id for account in ACCOUNTS]
    opportunities = [deal for account in ACCOUNTS for deal in account.opportunities]
    assert len(set(account_ids)) == len(ACCOUNTS) >= 20
    assert len({deal.crm_id for deal in opportunities}) == len(opportunities)
    for account in ACCOUNTS:
        names = [deal.name for deal in account.opportunities]
        assert len(set(names)) == len(names) >= 1
        assert all(name.startswith(account.name) for name in names)


def test_opportunities_gather_several_activities_of_one_account(sandbox: RunningSandbox) -> None:
    records = sandbox.backend.truth_records(activity_from=date(2025, 2, 1))
    seen: dict[str, set[tuple[str, str, int, str]]] = defaultdict(set)
    activities: dict[str, int] = defaultdict(int)
    for record in records.values():
        crm = record["crm_status"]
        deal = crm.get("opportunity")
        if deal is None:
            continue
        seen[deal["crm_id"]].add(
            (deal["name"], deal["stage_name"], deal["stage_rank"], deal["account"]["crm_id"])
        )
        assert crm["account"]["crm_id"] == deal["account"]["crm_id"]
        activities[deal["crm_id"]] += 1
    assert all(len(facts) == 1 for facts in seen.values()), "an opportunity changed its facts"
    names = [next(iter(facts))[0] for facts in seen.values()]
    assert len(set(names)) == len(names)
    assert len(seen) >= 30
    assert min(activities.values()) >= 2
    assert median(activities.values()) >= 5
