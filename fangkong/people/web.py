"""Pages of the people domain: the match review queue (evidence side by side) and recent merges with undo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from fangkong.db.core import utcnow
from fangkong.db.sets import chunks
from fangkong.kit import pii
from fangkong.kit.deps import SessionDep
from fangkong.kit.i18n import t
from fangkong.kit.listexport import EXPORT_MAX, ExportQ, export_list, when
from fangkong.kit.webkit import lang_of, templates
from fangkong.people import merge as merge_service
from fangkong.people import review as review_service
from fangkong.people.api import merge_read, review_read
from fangkong.people.api import router as api_router
from fangkong.people.models import Person

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
By = Annotated[str | None, Form(max_length=100, description="ignored: the signed-in user acts")]


@router.get("/people/reviews", response_class=HTMLResponse)
def reviews_page(request: Request, session: SessionDep, export: ExportQ = None):
    if export:
        return _reviews_export(request, session)
    rows = [review_read(session, r) for r in review_service.list_reviews(session, status="open", limit=100)]
    merges = [merge_read(m) for m in merge_service.recent_merges(session, limit=20)]
    return templates.TemplateResponse(request, "people_reviews.html", {
        "lang": lang_of(request), "rows": rows, "merges": merges, "counts": review_service.review_counts(session)})


def _reviews_export(request: Request, session) -> Response:
    """The open reviews as a file, every one (at most EXPORT_MAX), both sides masked as the page shows them
    (kit/listexport.py, audited); the persons read in batches, not two look-ups a review."""
    reviews = review_service.list_reviews(session, status="open", limit=EXPORT_MAX)
    people: dict[int, Person] = {}
    for part in chunks(sorted({fk for r in reviews for fk in (r.person_fk, r.candidate_fk) if fk})):
        people.update((p.id, p) for p in session.scalars(select(Person).where(Person.id.in_(part))))

    def side(fk: int | None) -> list:
        p = people.get(fk)
        return ([p.person_id, pii.name(p.name) or "", pii.phone(p.phone) or "", pii.id_number(p.id_number) or "",
                 str(p.birth_date or "")] if p else ["", "", "", "", ""])
    return export_list(request, session, entity="match_reviews", title="match_reviews", header=[
        "review_no", "review_key", "match_score", "status", "person", "name", "phone", "id_number", "birth_date",
        "review_candidate", "name", "phone", "id_number", "birth_date", "created_at"], rows=[
        [r.id, r.key, round(r.score, 2), t("review_" + r.status, lang_of(request)), *side(r.person_fk),
         *side(r.candidate_fk), when(r.created_at)] for r in reviews])


@router.post("/people/reviews/{review_id}")
def decide(session: SessionDep, review_id: Id, decision: Annotated[str, Form(pattern="^(merge|distinct)$")],
           by: By = None, reason: Annotated[str, Form(max_length=500)] = ""):
    review_service.decide_review(session, review_service.get_review(session, review_id), decision,
                                 now=utcnow(), reason=reason)
    return RedirectResponse("/people/reviews", status_code=303)


@router.post("/people/merges/{merge_id}/undo")
def undo(session: SessionDep, merge_id: Id, by: By = None):
    merge_service.unmerge(session, merge_service.get_merge(session, merge_id), now=utcnow())
    return RedirectResponse("/people/reviews", status_code=303)


# the people domain's API and pages are mounted together (one line in fangkong/api.py)
router.include_router(api_router)
