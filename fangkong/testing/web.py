"""The testing page (lab / sampling manager): a round's progress per sampling point and community, turnaround
per lab and stage, positive pools with their single re-tests, open re-tests and result conflicts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fangkong.deps import SessionDep
from fangkong.testing import service
from fangkong.testing.progress import REACTIVE
from fangkong.webkit import lang_of, templates

router = APIRouter(include_in_schema=False)
PAGE = 50
#: communities per page, least sampled first (不漏一人: where the round is behind)
COMMUNITIES = 25
PageQ = Annotated[int, Query(ge=1, le=100_000)]


def _pools(retests) -> list[dict]:
    """Re-tests after a positive pool, grouped by the pool's tube: how many asked, how many answered."""
    pools: dict[str, dict] = {}
    for r in retests:
        p = pools.setdefault(r.origin.tube_id, {"tube_id": r.origin.tube_id, "point_id": r.origin.point_id,
                                                "sampled_at": r.origin.sampled_at, "members": 0, "done": 0,
                                                "positive": 0})
        p["members"] += 1
        p["done"] += r.status == "done"
        p["positive"] += r.result in REACTIVE
    return list(pools.values())


@router.get("/testing", response_class=HTMLResponse)
def testing_page(request: Request, session: SessionDep,
                 round_id: Annotated[str | None, Query(alias="round", max_length=64)] = None,
                 page: PageQ = 1, retest_page: PageQ = 1):
    rounds = service.list_rounds(session, limit=20)
    rnd = service.get_round(session, round_id) if round_id else (rounds[0] if rounds else None)
    progress = service.round_progress(session, rnd) if rnd else None
    communities = sorted(progress["communities"] if progress else [],
                         key=lambda c: (c["sampled"] / c["expected"] if c["expected"] else 1.0, c["community"] or ""))
    return templates.TemplateResponse(request, "testing.html", {
        "lang": lang_of(request), "rounds": rounds, "rnd": rnd, "p": progress, "page": page,
        "communities": communities[(page - 1) * COMMUNITIES: page * COMMUNITIES],
        "pages": max(1, -(-len(communities) // COMMUNITIES)),
        "turnaround": service.turnaround(session, round_id=rnd.round_id) if rnd else [],
        "pools": _pools(service.list_retests(session, status=None, reason="pool_positive", limit=500)),
        "retests": service.list_retests(session, status="open", limit=PAGE, offset=(retest_page - 1) * PAGE),
        "retest_page": retest_page, "conflicts": service.list_conflicts(session, status="open", limit=PAGE),
        "page_size": PAGE})
