"""`fangkong reports …`: the daily bulletin, issued once its day has ended and printed as issued."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from fangkong.db.core import utcnow
from fangkong.errors import InvalidInput
from fangkong.kit.clikit import (
    err,
    handle_errors,
    lake_versions_line,
    operator,
    parse_date,
    today,
    unit_of_work,
)
from fangkong.kit.i18n import t
from fangkong.reports import issued
from fangkong.settings import get_settings

app = typer.Typer(help="Reports: the daily bulletin (通报).", no_args_is_help=True)


@app.command("bulletin")
@handle_errors
def bulletin_cmd(
    date: Annotated[str | None, typer.Option("--date", help="the day, e.g. 2022-03-14 (default: today by the "
                                                            "clock, FANGKONG_NOW in a drill)")] = None,
    lang: Annotated[str, typer.Option(help="zh (default) or en")] = "zh",
    format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    version: Annotated[int | None, typer.Option("--version", min=1, help="an earlier issued version")] = None,
    draft: Annotated[bool, typer.Option("--draft", help="count the day again from the records as of its end, "
                                                        "print it, store nothing")] = False,
    reissue: Annotated[bool, typer.Option("--reissue", help="issue a correction: a new version, marked as "
                                                            "such (needs --reason)")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="why the correction is issued")] = None,
) -> None:
    """The day's bulletin, counted as of the end of the day (D 24:00) from the records' history.

    Once the day has ended, the first print issues it (version 1, stored); every later print gives the stored
    text, whatever happened since. `--reissue --reason` issues a correction (version 2, …), marked as such.
    Before the day ends the bulletin is a draft, not stored.

    Example: `fangkong reports bulletin --date 2022-03-14 --lang en`;
    `fangkong reports bulletin --date 2022-03-14 --reissue --reason "a case of 03-14 was declared late"`
    """
    if lang not in ("zh", "en"):
        raise InvalidInput("--lang must be zh or en")
    if format not in ("text", "json"):
        raise InvalidInput("--format must be text or json")
    if reissue != (reason is not None):
        raise InvalidInput("--reissue and --reason go together")
    settings = get_settings()
    day = parse_date(date, "--date", planned=True) or today()
    now = utcnow()
    with unit_of_work(actor=operator()) as session:
        if reissue:
            issued.issue(session, day, tz=settings.zone, now=now, reason=reason)
        elif not draft and version is None and not issued.versions(session, day) \
                and now >= issued.day_end(day, settings.zone):
            issued.issue(session, day, tz=settings.zone, now=now)
        shown = issued.shown(session, day, tz=settings.zone, lang=lang, version=version, draft=draft)
        meta = shown.as_dict()
    err.print(_note(meta["issued"], day), highlight=False)
    err.print(f"{t('lake_bulletin_versions', lang)}: {lake_versions_line(meta['lake'], settings.zone, lang)}",
              highlight=False, markup=False, soft_wrap=True)
    if format == "json":  # the figures, as before issuing existed, with what was issued and the lake beside them
        print(json.dumps({**meta["figures"], "issued": meta["issued"], "lake": meta["lake"]}, ensure_ascii=False))
    else:
        print(shown.text)


def _note(meta: dict | None, day) -> str:
    if meta is None:
        return f"draft of {day}: counted now as of its end, not issued"
    note = f"issued version {meta['version']} at {meta['issued_at']} by {meta['issued_by']}"
    if meta["correction"]:
        note += f" (correction: {meta['reason']})"
    if meta["superseded"]:
        note += f"; corrected since: the last version is {meta['latest_version']}"
    return note
