"""The clock (以快制快): default deadlines of each step, DOMAIN.md §3; deployments override them."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["DEFAULT_DEADLINES"]

DEFAULT_DEADLINES: dict[str, timedelta] = {
    "case_placed": timedelta(hours=1),            # positive result → case placed, transfer started
    "team_assigned": timedelta(0),                # case → a tracing team, immediately
    "contacts_placed": timedelta(hours=3),        # case → close contacts found and placed
    "contact_centralized": timedelta(hours=8),    # contact identified → in centralized isolation
    "drug_buyer_tested": timedelta(hours=24),     # pushed 四类药品 buyer → tested
}
