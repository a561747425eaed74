"""The form that rules out a declared case (issue 23), in Chromium: the epidemiologist opens it from the case page,
reads the effect before acting (how many persons' obligations end), an empty reason is refused beside the field,
then the case is ruled out through cases.service.rule_out, audited with its effect; the lab gets no link and a
403."""

from __future__ import annotations

from e2e.conftest import signed_in
from sqlalchemy import select

from fangkong.cases.models import DECLARED, Case
from fangkong.db.audit import AuditEntry
from fangkong.db.core import utcnow
from fangkong.kit.clikit import unit_of_work
from fangkong.measures import ruleout


def test_the_epidemiologist_rules_out_a_declared_case(browser, server, outbreak):
    with unit_of_work() as s:
        case = s.scalars(select(Case).where(Case.status.in_(DECLARED)).order_by(Case.id.desc())).first()
        case_no, persons = case.case_no, len(ruleout.effect(s, case, utcnow()).persons)
    context, pg = signed_in(browser, server, "epidemiologist")
    pg.goto(f"/cases/{case_no}")
    pg.click("#rule-out-link")
    pg.wait_for_selector("#rule-out-form")
    assert pg.locator("#rule-out-effect").get_attribute("data-persons") == str(persons)
    assert f"{persons} 人" in pg.locator("#rule-out-effect").inner_text()
    pg.click("#rule-out-form button[type=submit]")
    pg.wait_for_selector("#rule-out-reason-err")
    with unit_of_work() as s:
        assert s.scalar(select(Case.status).where(Case.case_no == case_no)) in DECLARED
    pg.fill("#rule-out-reason", "复核阴性：样本污染")
    pg.click("#rule-out-form button[type=submit]")
    pg.wait_for_selector("#rule-out-done")
    assert pg.errors == []
    with unit_of_work() as s:
        assert s.scalar(select(Case.status).where(Case.case_no == case_no)) == "ruled_out"
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "case.ruled_out_effect",
                                                  AuditEntry.entity_id == case_no))
        assert entry.actor == "epidemiologist" and entry.after["persons"] == persons
    context.close()
    context, pg = signed_in(browser, server, "lab")
    pg.goto(f"/cases/{case_no}")
    assert pg.locator("#rule-out-link").count() == 0
    assert pg.goto(f"/cases/{case_no}/rule-out").status == 403
    context.close()
