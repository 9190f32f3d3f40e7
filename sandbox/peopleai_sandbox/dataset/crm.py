"""The sandbox's CRM book: one account per company, each with a few opportunities of its own.

Fixed by the company and deal names alone (no seed): an activity is about one company, and when
it is matched to an opportunity, that is one of its company's opportunities. So an opportunity
keeps its id, name, stage and account across all its activities, and gathers many of them, as
in a real CRM; opportunity names are unique within their account.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from peopleai_sandbox.dataset.pools import COMPANIES, DEALS, STAGES

# Opportunities per account: 1 to this many, by the account's domain.
MAX_OPPORTUNITIES = 4


@dataclass(frozen=True)
class Opportunity:
    crm_id: str
    name: str
    stage_name: str
    stage_rank: int


@dataclass(frozen=True)
class Account:
    crm_id: str
    name: str
    domain: str
    opportunities: tuple[Opportunity, ...]


def _digits(text: str) -> int:
    """A stable number for a name (a CRM id's digits)."""
    return zlib.crc32(text.encode())


def _account(number: int, name: str, domain: str) -> Account:
    count = 1 + _digits(domain) % MAX_OPPORTUNITIES
    deals = [DEALS[(number + offset) % len(DEALS)] for offset in range(count)]
    opportunities = []
    for deal in deals:
        stage_name, stage_rank = STAGES[_digits(f"{domain}/{deal}") % len(STAGES)]
        opportunities.append(
            Opportunity(
                crm_id=f"006{_digits(f'{name}|{deal}'):012d}",
                name=f"{name} — {deal}",
                stage_name=stage_name,
                stage_rank=stage_rank,
            )
        )
    return Account(
        crm_id=f"001{_digits(name):012d}",
        name=name,
        domain=domain,
        opportunities=tuple(opportunities),
    )


ACCOUNTS = tuple(_account(number, *company) for number, company in enumerate(COMPANIES))
