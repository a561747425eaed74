"""The jobs page and /api/jobs: last run, next run, duration, failures; for the roles that may see them."""

from __future__ import annotations

from datetime import timedelta

from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.db.core import utcnow
from fangkong.jobs import registry
from fangkong.jobs.models import ScheduledJob
from fangkong.jobs.runner import Job, ensure_jobs, run_due
from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.schedule import Every


def test_the_jobs_page_shows_runs_and_failures(server, env):  # noqa: F811
    with unit_of_work() as s:
        ensure_jobs(s, registry.JOBS, now=utcnow(), settings=env)
    (recolour,) = registry.by_name(["codes.recolour"])
    assert run_due([recolour], owner="test-worker", settings=env) == {"codes.recolour": "ok"}

    def boom(settings, now):
        raise RuntimeError("the SMTP relay refused")

    with unit_of_work() as s:   # the backup failed twice in a row (its row, run under its name)
        s.get(ScheduledJob, "backup").next_run_at = utcnow() - timedelta(days=1)
    assert run_due([Job("backup", Every(1), boom, "job_backup")], owner="w", settings=env) == {"backup": "failed"}

    commander = server.client_for("commander")
    page = commander.get("/jobs")
    assert page.status_code == 200, page.text
    html = page.text
    assert "定时任务" in html and "健康码到期转码" in html and "成功" in html
    assert 'id="job-backup" class="overdue"' in html and "the SMTP relay refused" in html
    en = commander.get("/jobs", params={"lang": "en"}).text
    assert "Scheduled jobs" in en and "Recolour codes whose time has come" in en and "Recent failures" in en
    assert "收件目录" in html and 'id="inbox-lab_results"' in html and "Inbox folders" in en   # the inbox's status
    doc = {j["name"]: j for j in commander.get("/api/jobs").json()}
    assert set(doc) == {j.name for j in registry.JOBS}
    assert doc["codes.recolour"]["last_status"] == "ok" and doc["codes.recolour"]["last_duration_s"] >= 0
    assert doc["backup"]["failures"] == 1 and doc["backup"]["failing_since"] == 1
    assert doc["lake.compact"]["schedule"] == "daily 03:30"
    for role in ("verifier", "lab", "isolation"):
        assert server.client_for(role).get("/jobs").status_code == 403, role
        assert server.client_for(role).get("/api/jobs").status_code == 403, role
    assert server.anonymous().get("/api/jobs").status_code == 401
