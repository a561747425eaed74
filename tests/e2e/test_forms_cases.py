"""The case forms (issue 26, a) in Chromium: the epidemiologist declares a case, records a first positive and
re-checks it; an empty field is refused beside it in the user's language, a re-check made by someone else
meanwhile is shown (409) instead of repeated, and a role that may not declare gets no form and a 403. The lab
records a scheduled test's result (one recorded meanwhile shown, a sampling time before the epidemic refused beside
the field in Chinese); the epidemiologist may not record one (403). Each write is checked in the records and the audit log."""

from __future__ import annotations

from e2e.conftest import SHOTS, login
from sqlalchemy import func, select
from test_api import make_user

from fangkong.cases import service as case_service
from fangkong.cases.models import Case
from fangkong.db.audit import AuditEntry
from fangkong.db.core import utcnow
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure, MeasureStatus, TestResult, TestTask
from fangkong.people.models import Person
from fangkong.settings import get_settings


def _as(browser, server, role: str, lang: str = ""):
    make_user(role, role)
    context = browser.new_context(base_url=str(server.base_url), viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    login(pg, role)
    return context, pg


def _people_without_case(n: int) -> list[str]:
    with unit_of_work() as s:
        cased = select(Case.person_fk)
        return list(s.scalars(select(Person.person_id).where(Person.id.not_in(cased)).order_by(Person.id).limit(n)))


def _audited(action: str, entity_id: str) -> AuditEntry | None:
    with unit_of_work() as s:
        return s.scalar(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.entity_id == entity_id))


def _local_now(fmt: str = "%Y-%m-%dT%H:%M") -> str:
    return utcnow().astimezone(get_settings().zone).strftime(fmt)


def test_declare_positive_and_recheck_as_the_epidemiologist(browser, server, outbreak):
    first, second, third = _people_without_case(3)
    context, pg = _as(browser, server, "epidemiologist")
    pg.goto("/entry")
    pg.click("#entry-forms a[href='/cases/new']")
    pg.wait_for_selector("#declare-form")
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-cases-zh.png"), full_page=True)
    # an empty person field is refused beside the field, in Chinese, and nothing is written
    pg.fill("#declare-sampled_at", _local_now())
    pg.click("#declare-submit")
    pg.wait_for_selector("#declare-person_id-err")
    assert pg.locator("#declare-person_id-err").inner_text() == "缺少必填项：人员编号"
    assert pg.locator("#declare-sampled_at").input_value() == _local_now()  # what was typed is kept
    # declared
    pg.fill("#declare-person_id", first)
    pg.fill("#declare-onset_date", _local_now("%Y-%m-%d"))
    pg.click("#declare-submit")
    pg.wait_for_selector("#declare-done")
    with unit_of_work() as s:
        case = s.scalar(select(Case).join(Person).where(Person.person_id == first))
        assert case.status == "confirmed" and case.declared_at is not None
        case_no = case.case_no
    assert case_no in pg.locator("#declare-done").inner_text()
    assert _audited("case.recheck", case_no).actor == "epidemiologist"
    # declaring them again is refused by the service, shown in the form
    pg.fill("#declare-person_id", first)
    pg.fill("#declare-sampled_at", _local_now())
    pg.click("#declare-submit")
    pg.wait_for_selector("#declare-form .refusal")
    assert case_no in pg.locator("#declare-form .refusal").inner_text()
    # two first positives: suspected cases waiting for their re-check, listed at once
    for pid in (second, third):
        pg.fill("#positive-person_id", pid)
        pg.fill("#positive-sampled_at", _local_now())
        pg.click("#positive-submit")
        pg.wait_for_selector("#positive-done")
        pg.wait_for_function(f"document.querySelector('#waiting').innerText.includes('{pid}')")
    with unit_of_work() as s:
        suspects = {c.person.person_id: c.case_no for c in s.scalars(select(Case).where(Case.status == "suspected"))}
    c2, c3 = suspects[second], suspects[third]
    assert _audited("case.suspected", c2) is not None
    pg.screenshot(path=str(SHOTS / "form-cases-waiting-zh.png"), full_page=True)
    # the re-check: an onset before the epidemic is refused beside the field, in Chinese; nothing changes
    pg.fill(f"#recheck-{c2}-onset_date", "2019-01-01")
    pg.click(f"#recheck-{c2} button.recheck")
    pg.wait_for_selector(f"#recheck-{c2}-onset_date-err")
    assert "不在合理的时间范围内" in pg.locator(f"#recheck-{c2}-onset_date-err").inner_text()
    with unit_of_work() as s:
        assert case_service.get_case(s, c2).status == "suspected"
        assert _audited("case.recheck", c2) is None
    pg.fill(f"#recheck-{c2}-onset_date", "")
    # negative rules the second out
    pg.select_option(f"#recheck-{c2}-result", "negative")
    pg.click(f"#recheck-{c2} button.recheck")
    pg.wait_for_selector(f"#recheck-{c2}[data-status=ruled_out]")
    # someone else re-checks the third while the form is open: the tap is shown the change, not applied twice
    with unit_of_work(actor="another") as s:
        case_service.recheck(s, case_service.get_case(s, c3), positive=True, now=utcnow())
    pg.click(f"#recheck-{c3} button.recheck")
    pg.wait_for_selector(f"#recheck-{c3} .stale")
    stale = pg.locator(f"#recheck-{c3} .stale").inner_text()
    assert "可疑阳性" in stale and "无症状感染者" in stale
    pg.screenshot(path=str(SHOTS / "form-cases-stale-zh.png"), full_page=True)
    with unit_of_work() as s:
        assert case_service.get_case(s, c2).status == "ruled_out"
        rechecks = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.recheck",
                                                      AuditEntry.entity_id == c3)).all()
        assert [a.actor for a in rechecks] == ["another"]
    # in English the errors are English too
    pg.goto("/cases/new?lang=en")
    pg.click("#positive-submit")
    pg.wait_for_selector("#positive-person_id-err")
    assert pg.locator("#positive-person_id-err").inner_text() == "missing field: person ID"
    pg.screenshot(path=str(SHOTS / "form-cases-en.png"), full_page=True)
    assert pg.errors == []
    context.close()


def test_the_lab_records_a_result_and_may_not_declare(browser, server, outbreak):
    with unit_of_work() as s:
        tests = s.scalars(select(TestTask).join(Measure).where(Measure.status == MeasureStatus.ACTIVE,
                                                              TestTask.result == TestResult.PENDING)
                          .order_by(TestTask.due_date, TestTask.id).limit(3)).all()
        first, second, third = (t.id for t in tests)
        if tests[0].due_date > utcnow().astimezone(get_settings().zone).date():
            for t in tests:
                t.due_date = utcnow().astimezone(get_settings().zone).date()
    with unit_of_work() as s:
        suspected = s.scalar(select(func.count()).select_from(Case).where(Case.status == "suspected"))
    context, pg = _as(browser, server, "lab")
    assert pg.locator("#menu a[href='/entry']").count() == 1
    pg.goto("/entry")
    assert pg.locator("#entry-forms a").evaluate_all("as => as.map(a => a.getAttribute('href'))") == [
        "/testing/results", "/testing/setup"]
    pg.goto("/testing/results")
    pg.wait_for_selector(f"#test-{first}")
    pg.screenshot(path=str(SHOTS / "form-results-zh.png"), full_page=True)
    pg.select_option(f"#test-{first}-result", "negative")
    pg.click(f"#test-{first} button.record")
    pg.wait_for_selector(f"#test-{first}[data-result=negative]")
    with unit_of_work() as s:
        assert s.get(TestTask, first).result == "negative"
    assert _audited("test.result", str(first)).actor == "lab"
    # recorded by someone else first: shown, not overwritten
    with unit_of_work() as s:
        t = s.get(TestTask, second)
        t.result, t.result_at = TestResult.INVALID, utcnow()
    pg.select_option(f"#test-{second}-result", "positive")
    pg.click(f"#test-{second} button.record")
    pg.wait_for_selector(f"#test-{second} .stale")
    with unit_of_work() as s:
        assert s.get(TestTask, second).result == "invalid"
    # a sampling time before the epidemic began is refused beside the field, in Chinese; nothing recorded
    pg.select_option(f"#test-{third}-result", "positive")
    pg.fill(f"#test-{third}-at", "2019-01-01T08:00")
    pg.click(f"#test-{third} button.record")
    pg.wait_for_selector(f"#test-{third}-at-err")
    assert pg.locator(f"#test-{third}-at-err").inner_text() == \
        "时间：“2019-01-01T08:00”不在合理的时间范围内（2019-12-01 至今）"
    with unit_of_work() as s:
        assert s.get(TestTask, third).result == "pending"
        assert s.scalar(select(func.count()).select_from(Case).where(Case.status == "suspected")) == suspected
        assert _audited("test.result", str(third)) is None
    # the case forms are not the lab's: no form, and the write itself is refused
    pg.goto("/cases/new")
    assert pg.locator("#declare-form").count() == 0 and pg.locator("[data-status='403'], .refusal").count() >= 1
    answer = pg.request.post("/cases/new", form={"person_id": "P0000001", "sampled_at": _local_now()},
                             headers={"HX-Request": "true"})
    assert answer.status == 403
    _, cases = outbreak
    with unit_of_work() as s:
        before = case_service.get_case(s, cases[0]).status
    answer = pg.request.post(f"/cases/{cases[0]}/recheck", form={"result": "negative", "seen": before},
                             headers={"HX-Request": "true"})
    assert answer.status == 403
    with unit_of_work() as s:
        assert case_service.get_case(s, cases[0]).status == before
    assert pg.errors == []
    context.close()
    # the epidemiologist reads testing but records no result
    context, pg = _as(browser, server, "epidemiologist")
    assert pg.request.post(f"/testing/results/{third}", form={"result": "negative", "seen": "pending"},
                           headers={"HX-Request": "true"}).status == 403
    with unit_of_work() as s:
        assert s.get(TestTask, third).result == "pending"
    context.close()
