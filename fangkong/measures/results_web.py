"""The lab's test-result form: the scheduled tests due of people under a measure, a result per test, recorded
through measures.lifecycle.record_result as `fangkong measures result` does (a positive opens a suspected case)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from fangkong.db.core import utcnow
from fangkong.errors import FangkongError
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.forms import FormState, local, parse, refusal_text, render_form, zoned
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.measures import lifecycle, service
from fangkong.measures.models import TestResult, TestTask
from fangkong.protocol.edition import load_edition
from fangkong.protocol.times import Happened

router = APIRouter(include_in_schema=False)
PAGE = 50
TestId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ResultForm(BaseModel):
    result: Literal["negative", "positive", "invalid"]
    at: Happened | None = None
    seen: str = Field(max_length=20)


@router.get("/testing/results", response_class=HTMLResponse)
def results_page(request: Request, session: SessionDep, settings: SettingsDep,
                 person: Annotated[str, Query(max_length=64, pattern=r"^[\w-]*$")] = "",
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    today = utcnow().astimezone(settings.zone).date()
    tests = service.pending_tests(session, up_to=today, person_id=person or None, limit=PAGE + 1,
                                  offset=(page - 1) * PAGE)
    return templates.TemplateResponse(request, "forms/results.html", {
        "lang": lang_of(request), "tests": tests[:PAGE], "more": len(tests) > PAGE, "page": page, "person": person})


def _changed(test: TestTask, seen: str, lang: str) -> list[tuple[str, str, str]]:
    now = t(test.result, lang) + (f" ({local(test.result_at)})" if test.result_at else "")
    return [(t("field_result", lang), t(seen, lang), now)]


@router.post("/testing/results/{test_id}", response_class=HTMLResponse)
def record(request: Request, session: SessionDep, settings: SettingsDep, test_id: TestId,
           result: Annotated[str, Form(max_length=20)] = "", at: Annotated[str, Form(max_length=40)] = "",
           seen: Annotated[str, Form(max_length=20)] = ""):
    """HTMX: one scheduled test's result. The row carries the result it was shown with: a result recorded by
    someone else meanwhile is shown, not overwritten."""
    lang = lang_of(request)
    test = lifecycle.get_test(session, test_id)
    form, state = parse(ResultForm, {"result": result, "at": at, "seen": seen or TestResult.PENDING}, lang)
    if form is not None:
        if test.result != form.seen:
            state.stale = _changed(test, form.seen, lang)
        else:
            try:
                case = lifecycle.record_result(session, test, form.result, at=zoned(form.at, settings.zone) or utcnow(),
                                               edition=load_edition(settings.edition), tz=settings.zone)
                state = FormState(done={"case": case})
            except FangkongError as exc:
                session.rollback()
                test = lifecycle.get_test(session, test_id)
                state.refusal = refusal_text(exc, lang)
    return render_form(request, "forms/result_row.html", {"lang": lang, "test": test, "state": state})
