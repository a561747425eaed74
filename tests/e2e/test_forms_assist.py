"""The assistance-request forms (issue 26) in Chromium: the epidemiologist enters a request received from another
city (errors beside the fields, then a preview of its effect: how many match and are placed at once, checked
against what receiving did), the verifier records a person's outcome at the door (audited, the door check
closed), a withdrawal of that person on a page opened before is shown (409), not made; one person and then the
whole request are withdrawn (the latter after its confirmation), the obligations they placed ended; the page
fits a phone; the lab and the verifier are refused what they may not do. One outbreak for the module."""

from __future__ import annotations

from e2e.conftest import SHOTS, signed_in
from sqlalchemy import select

from fangkong.assist import service
from fangkong.assist.models import AssistRequest
from fangkong.cases import service as case_service
from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work
from fangkong.people.models import Person
from fangkong.tasks.models import Task

_MADE: set[str] = set()


def _as(browser, server, role: str, width: int = 1280):
    return signed_in(browser, server, role, width, _MADE)


def _post(pg, click: str) -> None:
    with pg.expect_response(lambda r: r.request.method == "POST"):
        pg.click(click)


def test_receive_outcome_withdraw_and_a_stale_row(browser, server, outbreak):
    with unit_of_work() as s:
        a, b = s.scalars(select(Person).where(Person.id_number.is_not(None), Person.phone.is_not(None))
                         .order_by(Person.id.desc()).limit(2)).all()
        a_id, b_phone = a.id_number, b.phone
    epi, pg = _as(browser, server, "epidemiologist")
    pg.goto("/entry")
    pg.click("#entry-forms a[href='/assist/new']")
    _post(pg, "#receive-submit")
    assert pg.locator("#receive-ref-err").inner_text() == "缺少必填项：来函编号"
    assert pg.locator("#receive-name-0-err").inner_text() == "至少填写一名人员"
    pg.fill("#receive-ref", "京协〔2022〕17号")
    pg.fill("#receive-issuer", "110105")
    pg.fill("#receive-reason", "密切接触者协查")
    pg.fill("#receive-name-0", "甲")
    pg.fill("#receive-id_number-0", a_id)
    pg.fill("#receive-name-1", "乙")
    pg.fill("#receive-phone-1", b_phone)
    pg.fill("#receive-name-2", "丙")
    pg.fill("#receive-phone-2", "12345")
    _post(pg, "#receive-submit")
    assert pg.locator("#receive-phone-2-err").inner_text() == "手机号须为11位大陆手机号"
    assert pg.locator("#receive-effect").count() == 0
    pg.fill("#receive-name-2", "")
    pg.fill("#receive-phone-2", "")
    _post(pg, "#receive-submit")
    effect = pg.locator("#receive-effect")
    n, matched, placed = (int(effect.get_attribute(f"data-{k}")) for k in ("n", "matched", "placed"))
    assert (n, matched) == (2, 2) and "共 2 人" in effect.inner_text()
    with unit_of_work() as s:
        assert s.scalar(select(AssistRequest).where(AssistRequest.ref == "京协〔2022〕17号")) is None  # not yet
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-assist-new-zh.png"), full_page=True)
    _post(pg, "#receive-confirm")
    request_no = pg.locator("#receive-done").get_attribute("data-request")
    with unit_of_work() as s:
        req = service.get_request(s, request_no)
        rows = {p.person.person_id: p.id for p in req.persons}
        assert len(rows) == 2 and req.created_by == "epidemiologist"
        assert sum(service.obligation_of(s, p) is not None for p in req.persons) == placed
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "assist.receive",
                                                 AuditEntry.entity_id == request_no)).actor == "epidemiologist"
        ra, rb = rows[a.person_id], rows[b.person_id]
    pg.goto(f"/assist/requests/{request_no}")    # the epidemiologist's page stays open
    pg.wait_for_selector(f"#ap-{rb}")
    # the verifier finds the second person at the door
    ver, vp = _as(browser, server, "verifier")
    vp.goto("/entry")
    vp.click("#entry-forms a[href='/assist']")
    vp.click(f"#assist-requests a[href='/assist/requests/{request_no}']")
    _post(vp, f"#ap-{rb} button.outcome")
    assert vp.locator(f"#outcome-{rb}-outcome-err").inner_text() == "缺少必填项：核查结果"
    vp.select_option(f"#outcome-{rb}-outcome", "found_negative")
    _post(vp, f"#ap-{rb} button.outcome")
    vp.wait_for_selector(f"#ap-{rb}-done")
    assert vp.locator(f"#ap-{rb} button.withdraw").count() == 0   # the verifier does not withdraw
    assert vp.request.post("/assist/new", form={"ref": "x"}, headers={"HX-Request": "true"}).status == 403
    with unit_of_work() as s:
        row = service.get_person_row(s, rb)
        assert row.outcome == "found_negative" and s.get(Task, row.task_fk).status == "done"
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "assist.outcome",
                                                 AuditEntry.entity_id == str(rb))).actor == "verifier"
    assert vp.errors == []
    ver.close()
    # the epidemiologist's page still shows the person unchecked: the withdrawal is refused with what changed
    pg.fill(f"#withdraw-{rb}-reason", "发函方更正")
    _post(pg, f"#ap-{rb} button.withdraw")
    stale = pg.locator(f"#ap-{rb} .stale")
    assert "待核查" in stale.inner_text() and "已找到，核酸阴性" in stale.inner_text()
    with unit_of_work() as s:
        assert service.get_person_row(s, rb).withdrawn_at is None
    # one person withdrawn, then the rest after the confirmation
    pg.fill(f"#withdraw-{ra}-reason", "身份证号有误")
    _post(pg, f"#ap-{ra} button.withdraw")
    pg.wait_for_selector(f"#ap-{ra}-done")
    pg.reload()
    pg.fill("#withdraw-all-reason", "发函方撤回")
    _post(pg, "#withdraw-all-submit")
    assert pg.locator("#withdraw-all-effect").get_attribute("data-live") == "1"
    _post(pg, "#withdraw-all-confirm")
    pg.wait_for_selector("#withdraw-all-done")
    with unit_of_work() as s:
        req = service.get_request(s, request_no)
        assert all(p.withdrawn_at is not None for p in req.persons)
        assert all(service.obligation_of(s, p) is None for p in req.persons)
        assert {e.actor for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "assist.withdraw"))} == \
            {"epidemiologist"}
    # a case's risk persons living outside our subdistrict: previewed (the service's own grouping), then issued
    _, cases = outbreak
    with unit_of_work() as s:
        case = case_service.get_case(s, cases[0])
        home = case.person.community[:9]
        groups, _ = service.outbound_groups(s, case, home=home)
        expected = sum(len(v) for v in groups.values())
    pg.goto("/assist/new")
    pg.fill("#outbound-case_id", "C999999")
    pg.fill("#outbound-home", home)
    _post(pg, "#outbound-submit")
    assert "未找到" in pg.locator("#outbound-case_id-err").inner_text()
    pg.fill("#outbound-case_id", cases[0])
    _post(pg, "#outbound-submit")
    assert int(pg.locator("#outbound-effect").get_attribute("data-n")) == expected > 0
    _post(pg, "#outbound-confirm")
    issued = pg.locator("#outbound-done").get_attribute("data-requests").split(",")
    with unit_of_work() as s:
        reqs = [service.get_request(s, no) for no in issued]
        assert sum(len(r.persons) for r in reqs) == expected and {r.direction for r in reqs} == {"outbound"}
        assert {e.actor for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "assist.outbound",
                                                                    AuditEntry.entity_id.in_(issued)))} == \
            {"epidemiologist"}
    assert pg.errors == []
    epi.close()
    epi, pg = _as(browser, server, "epidemiologist", width=390)
    pg.goto("/assist/new?lang=en")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    pg.goto(f"/assist/requests/{request_no}")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    epi.close()
    lab, lp = _as(browser, server, "lab")
    assert lp.request.get("/assist").status == 403
    lab.close()
