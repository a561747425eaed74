"""Every list exports (issue 25): the case list, the SLA board's tasks, the verification queue, the follow-up, the
zones, the isolation sites and the open re-tests answer ?export=csv|xlsx through one helper (kit/listexport.py):
every row the filters select, labels in the user's language, people masked, communities by name, each export
audited (who, which list, which filters, how many rows, masked); a role that may not read the list gets none."""

from __future__ import annotations

import csv
import io
import re

from e2e.test_work_views import xlsx_rows
from sqlalchemy import select

from fangkong.db.audit import AuditEntry

#: (role, list address with its filters, audited entity, first column head in Chinese, column of names or None,
#:  column of communities or None)
LISTS = [
    ("epidemiologist", "/cases?status=", "cases", "编号", 3, 4),
    ("commander", "/tasks?state=open", "tasks", "类型", 3, None),
    ("isolation", "/followup?day={day}", "followup", "日期", 2, 3),
    ("commander", "/zones", "zones", "编号", None, None),
    ("isolation", "/isolation", "sites", "隔离点", None, 2),
    ("lab", "/testing", "retests", "人员", 1, 2),
    ("verifier", "/verify?community={community}", "verification", "社区", 2, 0),
    ("verifier", "/verify", "verification", "社区", None, 0),
    # the queues of /isolation, its hospitals (and the hospitals' form page), the match reviews, the jobs
    ("isolation", "/isolation?list=waiting", "isolation_waiting", "人员", 1, None),
    ("isolation", "/isolation?list=transfers", "isolation_transfers", "人员", 1, None),
    ("isolation", "/isolation?list=hospitals", "hospitals", "医院", None, 2),
    ("isolation", "/isolation/hospitals", "hospitals", "医院", None, 2),
    ("analyst", "/people/reviews", "match_reviews", "待核编号", 5, None),
    ("commander", "/jobs", "jobs", "任务", None, None),
]
#: lists the session's world may leave empty (no grey-band match in its register)
MAY_BE_EMPTY = {"zones", "retests", "match_reviews"}


def _csv(r) -> list[list[str]]:
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_every_list_exports_masked_by_name_and_audited(shared, tmp_path):
    """On the session's world (tests/e2e/conftest.py `shared`): the exports are its only audited exports."""
    w, server = shared.world, shared
    with shared.session() as s:
        before = s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0
    counts = {}
    for role, path, entity, head, name_col, place_col in LISTS:
        client = server.client_for(role)
        url = path.format(day=w.day, community=w.community)
        rows = _csv(client.get(url + ("&" if "?" in url else "?") + "export=csv"))
        assert rows[0][0] == head, (url, rows[0])
        body = rows[1:]
        assert body or entity in MAY_BE_EMPTY, f"{url}: nothing to export"
        counts[url] = len(body)
        for r in body:
            if name_col is not None and r[name_col]:
                assert "*" in r[name_col], (url, r)                       # masked as on the page
            if place_col is not None:
                assert not re.fullmatch(r"\d{9,12}", r[place_col]), (url, r)   # a community by its name
        assert not any(re.search(r"\b1\d{10}\b", c) for r in body for c in r), url   # no phone in full
    # the same list in English, and as XLSX
    client = server.client_for("epidemiologist")
    assert _csv(client.get("/cases?export=csv&lang=en"))[0][:2] == ["Case", "Status"]
    x = client.get("/cases?export=xlsx")
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    (tmp_path / "cases.xlsx").write_bytes(x.content)
    assert len(xlsx_rows(tmp_path / "cases.xlsx")) == counts["/cases?status="] + 1
    # a list the role may not read: refused, nothing exported
    assert server.client_for("lab").get("/cases?export=csv").status_code == 403
    assert server.client_for("epidemiologist").get("/zones?export=pdf").status_code == 422
    with shared.session() as s:
        done = s.scalars(select(AuditEntry).where(AuditEntry.action == "export", AuditEntry.id > before)
                         .order_by(AuditEntry.id)).all()
    assert [e.entity for e in done] == [e for _, _, e, *_ in LISTS] + ["cases", "cases"]
    assert all(e.after["unmasked"] is False for e in done)
    assert [e.after["rows"] for e in done[:len(LISTS)]] == list(counts.values())
    assert done[0].entity_id == "status=" or done[0].entity_id == "all"
    assert done[1].actor == "commander" and done[1].entity_id == "state=open"
