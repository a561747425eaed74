"""The testing page (lab / sampling manager): a round's progress per sampling point and community, turnaround
per lab and stage, positive pools with their single re-tests, open re-tests and result conflicts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fangkong.kit import pii
from fangkong.kit.deps import SessionDep
from fangkong.kit.i18n import t
from fangkong.kit.listexport import EXPORT_MAX, ExportQ, export_list, when
from fangkong.kit.webkit import lang_of, past_day, place_name, templates
from fangkong.testing import service, tally
from fangkong.testing.models import RetestStatus
from fangkong.testing.progress import REACTIVE

router = APIRouter(include_in_schema=False)
PAGE = 50
#: communities per page, least sampled first (不漏一人: where the round is behind)
COMMUNITIES = 25
PageQ = Annotated[int, Query(ge=1, le=100_000)]
RoundQ = Annotated[str | None, Query(alias="round", max_length=64)]


def _pools(retests) -> list[dict]:
    """Re-tests after a positive pool, grouped by the pool's tube: how many asked, how many answered."""
    pools: dict[str, dict] = {}
    for r in retests:
        p = pools.setdefault(r.origin.tube_id, {"tube_id": r.origin.tube_id, "point_id": r.origin.point_id,
                                                "sampled_at": r.origin.sampled_at, "members": 0, "done": 0,
                                                "positive": 0})
        p["members"] += 1
        p["done"] += r.status == RetestStatus.DONE
        p["positive"] += r.result in REACTIVE
    return list(pools.values())


@router.get("/testing", response_class=HTMLResponse)
def testing_page(request: Request, session: SessionDep, round_id: RoundQ = None, page: PageQ = 1,
                 retest_page: PageQ = 1, export: ExportQ = None):
    """The page; the round's figures (aggregates over every sample of the round) load into it after.
    ?export=csv|xlsx: the open re-tests, every one (kit/listexport.py)."""
    if export:
        lang = lang_of(request)
        return export_list(request, session, entity="retests", title="test_retests", header=[
            "person", "name", "community", "test_reason", "test_tube", "time"], rows=[
            [r.person.person_id, pii.name(r.person.name) or "", place_name(r.person.community, lang), t(r.reason, lang),
             r.origin.tube_id, when(r.created_at)]
            for r in service.list_retests(session, status="open", limit=EXPORT_MAX)])
    rounds = service.list_rounds(session, limit=20)
    day = past_day(request)   # the header's day: a past one shows its round (the latest begun by then)
    shown = [r for r in rounds if day is None or r.start_date <= day]
    rnd = service.get_round(session, round_id) if round_id else (shown[0] if shown else None)
    return templates.TemplateResponse(request, "testing.html", {
        "lang": lang_of(request), "rounds": rounds, "rnd": rnd, "page": page, "retest_page": retest_page,
        "pools": _pools(service.list_retests(session, status=None, reason="pool_positive", limit=500)),
        "retests": service.list_retests(session, status="open", limit=PAGE, offset=(retest_page - 1) * PAGE),
        "conflicts": service.list_conflicts(session, status="open", limit=PAGE), "page_size": PAGE})


@router.get("/testing/progress", response_class=HTMLResponse)
def round_progress(request: Request, session: SessionDep, round_id: Annotated[str, Query(alias="round", min_length=1,
                                                                                         max_length=64)],
                   page: PageQ = 1):
    """HTMX fragment: expected / sampled / results in / reactive per point and per community, and turnaround,
    read from the figures every import keeps (testing/tally.py): current on the first visit, on any worker."""
    rnd = service.get_round(session, round_id)
    progress = tally.progress(session, rnd, key_groups=False)
    turnaround, counted_at = tally.round_turnaround(session, rnd)
    communities = sorted(progress["communities"],
                         key=lambda c: (c["sampled"] / c["expected"] if c["expected"] else 1.0, c["community"] or ""))
    return templates.TemplateResponse(request, "testing_progress.html", {
        "lang": lang_of(request), "rnd": rnd, "p": progress, "page": page, "counted_at": counted_at,
        "communities": communities[(page - 1) * COMMUNITIES: page * COMMUNITIES],
        "pages": max(1, -(-len(communities) // COMMUNITIES)), "turnaround": turnaround})
