"""The form that rules out a declared case (epidemiologist; cases:write, as declaring): the page states the effect
before it is done (how many persons' obligations end, how many are in force again), then the same service as
`fangkong case rule-out` (cases.service.rule_out; the effect follows at commit: measures/ruleout.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from fangkong.cases import service as case_service
from fangkong.cases.models import DECLARED
from fangkong.db.core import utcnow
from fangkong.errors import FangkongError
from fangkong.kit.deps import SessionDep
from fangkong.kit.forms import FormState, refusal_text
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.measures import ruleout

router = APIRouter(include_in_schema=False)
CaseNo = Annotated[str, Path(max_length=20, pattern=r"^[\w-]+$")]


def _page(request: Request, session, case, state: FormState):
    e = ruleout.effect(session, case, utcnow()) if case.status in DECLARED else ruleout.Effect()
    return templates.TemplateResponse(request, "forms/case_rule_out.html", {
        "lang": lang_of(request), "case": case, "state": state, "persons": len(e.persons),
        "restored": len(e.restored), "hospital": len(e.hospital), "declared": case.status in DECLARED})


@router.get("/cases/{case_id}/rule-out", response_class=HTMLResponse)
def rule_out_page(request: Request, session: SessionDep, case_id: CaseNo):
    return _page(request, session, case_service.get_case(session, case_id), FormState())


@router.post("/cases/{case_id}/rule-out", response_class=HTMLResponse)
def rule_out(request: Request, session: SessionDep, case_id: CaseNo,
             reason: Annotated[str, Form(max_length=500)] = ""):
    lang = lang_of(request)
    case = case_service.get_case(session, case_id)
    state = FormState(values={"reason": reason})
    if not reason.strip():
        state.errors["reason"] = t("err_rule_out_reason", lang)
        return _page(request, session, case, state)
    before = ruleout.effect(session, case, utcnow())
    try:
        case_service.rule_out(session, case, reason=reason, now=utcnow())
        state = FormState(done={"persons": len(before.persons), "restored": len(before.restored)})
    except FangkongError as exc:
        session.rollback()
        case = case_service.get_case(session, case_id)
        state.refusal = refusal_text(exc, lang)
    return templates.TemplateResponse(request, "forms/case_rule_out.html", {
        "lang": lang, "case": case, "state": state, "persons": len(before.persons), "restored": len(before.restored),
        "hospital": len(before.hospital), "declared": case.status in DECLARED})
