"""The measure forms (issue 26, c) in Chromium: the epidemiologist finds a person's measures, an extension
without a reason is refused beside the field, an escalation writes the successor (audited), a measure changed
by someone else since the page was loaded is shown (409), not changed again; the lab may not. The second test:
an extension refused by the rule (an exposure before the last, in Chinese), then made (the successor, its tests,
the audit); a release the page first says is allowed, then made; a release and an extension made by someone else
while the page was open are shown (409), not made again."""

from __future__ import annotations

import re
from datetime import timedelta

from e2e.conftest import SHOTS, login
from sqlalchemy import select
from test_api import make_user

from fangkong.db.audit import AuditEntry
from fangkong.db.core import utcnow
from fangkong.kit.clikit import unit_of_work
from fangkong.measures import lifecycle
from fangkong.measures.models import Measure, MeasureStatus, TestResult
from fangkong.protocol.edition import load_edition
from fangkong.settings import get_settings


def _as(browser, server, role: str):
    make_user(role, role)
    context = browser.new_context(base_url=str(server.base_url), viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    login(pg, role)
    return context, pg


def test_escalate_extend_and_a_stale_measure(browser, server, outbreak):
    with unit_of_work() as s:
        homes = s.scalars(select(Measure).where(Measure.status == MeasureStatus.ACTIVE,
                                                Measure.kind == "home_isolation").order_by(Measure.id).limit(2)).all()
        (m1, p1), (m2, p2) = [(m.id, m.person.person_id) for m in homes]
    context, pg = _as(browser, server, "epidemiologist")
    pg.goto("/entry")
    pg.click("#entry-forms a[href='/measures/act']")
    pg.fill("#measures-person", p1)
    pg.click("#measures-find")
    pg.wait_for_selector(f"#measure-{m1}")
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-measures-zh.png"), full_page=True)
    # why it cannot be released yet, in the page's language (not the rule's English)
    why = pg.locator(f"#measure-{m1} .release-refused").inner_text()
    assert why and not re.search("[A-Za-z]", why), why
    pg.click(f"#measure-{m1} button.extend")
    pg.wait_for_selector(f"#extend-{m1}-reason-err")
    assert pg.locator(f"#extend-{m1}-reason-err").inner_text() == "缺少必填项：理由"
    pg.fill(f"#escalate-{m1}-reason", "家中不具备隔离条件")
    pg.click(f"#measure-{m1} button.escalate")
    pg.wait_for_selector("#measures tr[data-kind=centralized_isolation] .done")  # the row shows the successor
    with unit_of_work() as s:
        old = s.get(Measure, m1)
        assert old.status == MeasureStatus.REPLACED
        new = s.scalar(select(AuditEntry).where(AuditEntry.action == "measure.escalated")
                       .order_by(AuditEntry.id.desc()))
        assert new.actor == "epidemiologist"
        assert s.get(Measure, int(new.entity_id)).kind == "centralized_isolation"
    # someone else escalates the second person's measure while the page is open
    pg.goto(f"/measures/act?person={p2}")
    pg.wait_for_selector(f"#measure-{m2}")
    with unit_of_work(actor="another") as s:
        lifecycle.escalate(s, s.get(Measure, m2), now=utcnow(), reason="other")
    pg.fill(f"#escalate-{m2}-reason", "again")
    pg.click(f"#measure-{m2} button.escalate")
    pg.wait_for_selector(f"#measure-{m2} .stale")
    pg.screenshot(path=str(SHOTS / "form-measures-stale-zh.png"), full_page=True)
    with unit_of_work() as s:
        escalations = s.scalars(select(AuditEntry).where(AuditEntry.action == "measure.escalated")).all()
        assert [a.actor for a in escalations].count("epidemiologist") == 1
    context.close()
    context, pg = _as(browser, server, "lab")
    assert pg.request.get(f"/measures/act?person={p2}").status == 403
    assert pg.request.post(f"/measures/{m2}/extend", form={"reason": "x", "version": "1"},
                           headers={"HX-Request": "true"}).status == 403
    context.close()


def _local(when) -> str:
    return when.astimezone(get_settings().zone).strftime("%Y-%m-%dT%H:%M")


def _releasable(measure_id: int) -> None:
    """The measure's period over and each of its tests negative: the rules allow its release now."""
    with unit_of_work(actor="setup") as s:
        m = s.get(Measure, measure_id)
        past = utcnow() - timedelta(hours=2)
        m.end_at = m.phase_end_at = past
        m.then_kind = None
        for test in m.tests:
            test.result, test.result_at = TestResult.NEGATIVE, past - timedelta(days=1)


def test_extend_release_and_a_stale_one_as_the_epidemiologist(browser, server, outbreak):
    with unit_of_work() as s:
        rows = s.scalars(select(Measure).where(Measure.status == MeasureStatus.ACTIVE,
                                               Measure.kind == "home_isolation", Measure.category != "secondary")
                         .order_by(Measure.id.desc()).limit(4)).all()
        (m1, p1, last1), (m2, p2, _), (m3, p3, _), (m4, p4, _) = [
            (m.id, m.person.person_id, m.last_exposure_at) for m in rows]
        end1 = s.get(Measure, m1).end_at
    context, pg = _as(browser, server, "epidemiologist")
    # an exposure before the last one is refused by the rule, in Chinese, and nothing changes
    pg.goto(f"/measures/act?person={p1}")
    pg.wait_for_selector(f"#measure-{m1}")
    pg.fill(f"#extend-{m1}-exposure_at", _local(last1 - timedelta(days=1)))
    pg.fill(f"#extend-{m1}-reason", "再次接触")
    pg.click(f"#measure-{m1} button.extend")
    pg.wait_for_selector(f"#measure-{m1} .refusal")
    assert pg.locator(f"#measure-{m1} .refusal").inner_text() == "新的暴露时间须晚于上一次暴露"
    with unit_of_work() as s:
        assert s.get(Measure, m1).status == MeasureStatus.ACTIVE
    # a new exposure an hour ago: the measure is extended (a successor from that exposure, audited)
    exposure = utcnow() - timedelta(hours=1)
    pg.fill(f"#extend-{m1}-exposure_at", _local(exposure))
    pg.fill(f"#extend-{m1}-reason", "与确诊病例再次同餐")
    pg.click(f"#measure-{m1} button.extend")
    pg.wait_for_selector("#measures .done")
    with unit_of_work() as s:
        assert s.get(Measure, m1).status == MeasureStatus.REPLACED
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "measure.extended")
                         .order_by(AuditEntry.id.desc()))
        assert entry.actor == "epidemiologist" and entry.after["reason"] == "与确诊病例再次同餐"
        new = s.get(Measure, int(entry.entity_id))
        assert new.status == MeasureStatus.ACTIVE and new.person.person_id == p1
        assert _local(new.last_exposure_at) == _local(exposure) and new.end_at >= end1
        assert new.tests, "the extension schedules its tests"
    assert pg.locator(f"#measure-{new.id}-done").inner_text() == "已延长"
    # a measure whose period is over with its tests negative: released after the page says so
    _releasable(m2)
    pg.goto(f"/measures/act?person={p2}")
    pg.wait_for_selector(f"#measure-{m2} button.release")
    assert pg.locator(f"#measure-{m2} .effect").inner_text() == "期满且检测均阴性：可解除"
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-measures-release-zh.png"), full_page=True)
    pg.click(f"#measure-{m2} button.release")
    pg.wait_for_selector(f"#measure-{m2}-done")
    with unit_of_work() as s:
        m = s.get(Measure, m2)
        assert m.status == MeasureStatus.RELEASED and m.ended_at is not None
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "measure.released",
                                                       AuditEntry.entity_id == str(m2))) == "epidemiologist"
    # released by someone else while the page is open: shown with what it is now, not released twice
    _releasable(m3)
    pg.goto(f"/measures/act?person={p3}")
    pg.wait_for_selector(f"#measure-{m3} button.release")
    with unit_of_work(actor="another") as s:
        lifecycle.release(s, s.get(Measure, m3), edition=load_edition(get_settings().edition),
                          tz=get_settings().zone, now=utcnow())
    pg.click(f"#measure-{m3} button.release")
    pg.wait_for_selector(f"#measure-{m3} .stale")
    assert "已解除" in pg.locator(f"#measure-{m3} .stale").inner_text()
    # extended by someone else while the page is open: this extension is not made on top of it
    pg.goto(f"/measures/act?person={p4}")
    pg.wait_for_selector(f"#measure-{m4}")
    with unit_of_work(actor="another") as s:
        m = s.get(Measure, m4)
        lifecycle.extend(s, m, exposure_at=utcnow() - timedelta(hours=3), edition=load_edition(get_settings().edition),
                         tz=get_settings().zone, now=utcnow(), reason="other")
    pg.fill(f"#extend-{m4}-exposure_at", _local(utcnow() - timedelta(hours=2)))
    pg.fill(f"#extend-{m4}-reason", "mine")
    pg.click(f"#measure-{m4} button.extend")
    pg.wait_for_selector(f"#measure-{m4} .stale")
    pg.screenshot(path=str(SHOTS / "form-measures-stale-extend-zh.png"), full_page=True)
    with unit_of_work() as s:
        released = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "measure.released",
                                                            AuditEntry.entity_id == str(m3))).all()
        assert released == ["another"], released
        extended = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "measure.extended")).all()
        assert sorted(extended) == ["another", "epidemiologist"], extended
    assert pg.errors == []
    context.close()
    context, pg = _as(browser, server, "lab")
    assert pg.request.post(f"/measures/{m4}/release", form={"version": "1"},
                           headers={"HX-Request": "true"}).status == 403
    context.close()
