"""Settings from the environment (FANGKONG_*), typed, read once per process."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fangkong import defaults
from fangkong.protocol.deadlines import Deadline, deadline_table

__all__ = ["DEMO_SECRET", "Settings", "get_settings", "unsafe_secret"]

#: the secret a fresh checkout runs with: good for the demo only (anyone can read it here and forge links)
DEMO_SECRET = "fangkong-demo-only-secret"
#: the shortest secret a real server starts with
MIN_SECRET = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FANGKONG_", extra="ignore")

    database_url: str = defaults.DATABASE_URL
    lake: Path = Path("./data/lake")
    engine: str = Field("duckdb", pattern="^(duckdb|pyspark)$")
    edition: str = defaults.EDITION
    tz: str = defaults.TZ
    #: Spark master for FANGKONG_ENGINE=pyspark: local[N] here, spark://host:7077 on a cluster
    spark_master: str = "local[2]"
    lang: str = Field("zh", pattern="^(zh|en)$")
    #: optional companion noise filter: either phone ≥ N hours in the cell over 14 days (0 = off)
    companion_min_cell_hours: float = 0.0
    #: our jurisdiction's code prefix (e.g. 1401 for 太原市): risk persons living outside it are pushed out
    #: as assistance requests (区域协查); empty = only phone-only persons are pushed
    jurisdiction: str = Field("", pattern=r"^\d{0,12}$")
    #: the clock (DOMAIN.md §3): overrides of the default deadlines, e.g.
    #: FANGKONG_DEADLINES='{"contacts_placed": "2h", "verified": "same_day"}'
    deadlines: dict[str, str | float] = Field(default_factory=dict)
    #: isolation-room reserve: rooms per 10 000 residents of a jurisdiction (seed 002: 20)
    rooms_per_10k: float = Field(20.0, ge=0, le=10_000)
    #: people under a measure who have not checked in by this local hour are listed as non-reporting
    checkin_by_hour: int = Field(14, ge=0, le=23)
    #: person matching (docs/people.md): score ≥ match_link → same person; ≥ match_review → an analyst decides
    match_link: float = Field(0.85, gt=0, le=1)
    match_review: float = Field(0.6, gt=0, le=1)
    #: signs the personal check-in links; set a long random value in production
    secret_key: str = Field(DEMO_SECRET, min_length=8)
    #: demo mode (set by `fangkong demo`): the server may start with the demo secret; nowhere else
    demo: bool = False
    #: raw location data (venue visits, carrier dwells, the scan journal) is kept this many days (DOMAIN.md §11);
    #: `fangkong lake purge` deletes older day partitions (run it on schedule: docs/operations.md)
    retention_days: int = Field(21, ge=1, le=3650)
    #: the lake's files (docs/lake.md): delta-rs cuts each day's place-sorted write into files of about this many
    #: MB (~17 bytes a row: 32 MB is ~2 M rows), each a contiguous range of places that the log's min/max picks
    lake_file_mb: int = Field(32, ge=1, le=4096)
    #: per-client token bucket on the public endpoints (scans, codes): "RATE/s burst N", e.g. "50/s burst 100";
    #: "0" = off (docs/operations.md)
    rate_limit: str = Field("50/s burst 100", pattern=r"^\s*(0|\d+(\.\d+)?\s*/\s*s(\s+burst\s+\d+)?)\s*$")
    #: token bucket per client and per account on the logins (POST /login, /api/auth/token): slows password
    #: guessing; "0" = off
    login_rate_limit: str = Field("0.2/s burst 10", pattern=r"^\s*(0|\d+(\.\d+)?\s*/\s*s(\s+burst\s+\d+)?)\s*$")
    #: peers whose X-Forwarded-For names the client (comma-separated IPs of our reverse proxies); empty = the
    #: TCP peer is the client and X-Forwarded-For is ignored (anyone can write it)
    trusted_proxies: str = ""
    #: Redis for the public routes' rate limits, shared by the worker processes (e.g. redis://127.0.0.1:6379/0);
    #: empty = each process counts alone. Redis down: each process counts alone meanwhile (logged)
    redis_url: str = ""
    #: a settable clock for drills, training and the demo: an ISO instant (a time without offset is in
    #: FANGKONG_TZ); the clock starts there when a process starts and runs on at real speed (docs/cli.md)
    now: datetime | None = None
    #: largest request body in bytes on the public routes (scans, codes, check-ins, logins): refused with 413
    #: from Content-Length at once, or when a chunked body passes it (fangkong/edge.py)
    max_body: int = Field(1_000_000, ge=1_000)
    #: largest request body on the signed-in staff routes (bulk assistance requests carry up to 10 000 persons)
    max_body_staff: int = Field(16_000_000, ge=1_000)
    #: the record store's connection pool for staff work, the CLI and the workers (docs/operations.md):
    #: connections kept, extra ones allowed under load, seconds a request waits for one before a 503
    db_pool_size: int = Field(5, ge=1, le=1000)
    db_max_overflow: int = Field(10, ge=0, le=1000)
    db_pool_timeout: float = Field(10.0, gt=0, le=600)
    #: the public routes' own pool (a bulkhead): a flood of citizens waits at most public_pool_timeout seconds
    #: for one of these connections, then gets 503 + Retry-After; staff connections are never theirs
    public_pool_size: int = Field(4, ge=1, le=1000)
    public_pool_timeout: float = Field(0.5, gt=0, le=60)
    #: public requests in flight at once in one server process; the next gets 503 + Retry-After at once
    public_max_inflight: int = Field(16, ge=1, le=100_000)
    #: seconds a read (GET, or any public route) may run one SQL statement (PostgreSQL statement_timeout, SQLite a progress handler;
    #: 503 + Retry-After past it); 0 = none. Writes and the CLI (imports, trace) have none
    statement_timeout: float = Field(15.0, ge=0, le=3600)
    #: a second listener for the citizen- and device-facing routes only (docs/operations.md, "two listeners"):
    #: `fangkong serve` then runs it in a process of its own on this port, and the main port (staff) keeps
    #: working whatever floods this one. 0 = one listener serves everything (the demo's default)
    public_port: int = Field(0, ge=0, le=65535)
    #: the public listener's address (empty = the main listener's --host)
    public_host: str = ""
    #: worker processes behind the public port
    public_workers: int = Field(1, ge=1, le=64)
    #: the public process's OS priority (nice, 0-19): higher = yields the CPU to the staff process
    public_nice: int = Field(10, ge=0, le=19)
    #: scheduled jobs inside `fangkong serve` (docs/operations.md, "Scheduled jobs"); 0 = only in `fangkong worker`
    jobs: bool = True
    #: seconds between two looks at the job table (a due job starts within this)
    jobs_tick: float = Field(5.0, gt=0, le=3600)
    #: seconds a running job's claim lasts without a heartbeat: a worker killed mid-job loses its claim after
    #: this, and another worker (or the same one restarted) runs the job again
    jobs_lease: float = Field(120.0, ge=1, le=86_400)
    #: seconds between two runs of an interval job, by name, over its default ({"notify.collect": 10}): an office
    #: that wants notices sooner, a drill, a test (docs/operations.md, "Scheduled jobs")
    jobs_every: dict[str, float] = Field(default_factory=dict)
    #: where the nightly backup writes (empty = a backups/ folder beside the lake)
    backup_dir: Path | None = None
    #: backups kept (the oldest beyond this are deleted)
    backup_keep: int = Field(7, ge=1, le=365)
    #: the pg_dump a PostgreSQL store's backup runs (empty = pg_dump on PATH, else the newest
    #: /usr/lib/postgresql/*/bin/pg_dump); it must be as new as the server
    pg_dump: Path | None = None
    #: the inbox folders, one per feed (empty = an inbox/ folder beside the lake): docs/operations.md
    inbox: Path | None = None
    #: seconds a dropped file must stay unchanged before it is taken (a sender that does not rename on completion)
    inbox_settle: float = Field(2.0, ge=0, le=3600)
    #: take a file only when a marker NAME.ready stands beside it
    inbox_markers: bool = False
    #: notifications (docs/operations.md): the office's work-chat robot (JSON POST), every staff notice goes there
    notify_webhook: str = ""
    #: SMTP relay for e-mail notices ("" = no e-mail), its port, sender, login, STARTTLS
    smtp_host: str = ""
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = "fangkong@localhost"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    #: the SMS gateway (HTTP POST {"phone", "text"}; bearer token) for citizens' codes and check-in reminders
    sms_url: str = ""
    sms_token: str = ""
    #: who gets e-mail for what: {"commander": ["a@x"], "team:T01": [...], "verifier:140105001": [...]}
    #: (verifier keys match a task's community by prefix)
    notify_emails: dict[str, list[str]] = Field(default_factory=dict)
    #: attempts before a message is given up (dead); back-off 30 s doubling, at most an hour
    notify_max_attempts: int = Field(8, ge=1, le=100)

    @field_validator("deadlines")
    @classmethod
    def _known_steps(cls, value: dict) -> dict:
        deadline_table(value)  # raises on an unknown step or a malformed duration
        return value

    @model_validator(mode="after")
    def _now_in_zone(self) -> Settings:
        if self.now is not None and self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=ZoneInfo(self.tz))
        return self

    def clock(self) -> dict[str, Deadline]:
        """Every step's deadline for this deployment."""
        return deadline_table(self.deadlines)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


def unsafe_secret(settings: Settings) -> str | None:
    """Why the server must not start with this secret (the demo's, or too short to resist guessing), or None.
    With the demo's public secret anyone can sign check-in links and session cookies (docs/security.md)."""
    if settings.demo:
        return None
    if settings.secret_key == DEMO_SECRET or len(settings.secret_key) < MIN_SECRET:
        return (f"FANGKONG_SECRET_KEY is {'the demo secret' if settings.secret_key == DEMO_SECRET else 'too short'}"
                f": anyone could forge check-in links and sessions with it. Set a random value of at least "
                f"{MIN_SECRET} characters, e.g. export FANGKONG_SECRET_KEY=\"$(python3 -c 'import secrets; "
                f"print(secrets.token_urlsafe(48))')\" (keep it the same across restarts and workers; "
                f"FANGKONG_DEMO=1 only for a demo: docs/operations.md)")
    return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
