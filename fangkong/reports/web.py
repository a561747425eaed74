"""Pages of the reports domain: the bulletin (print, CSV, XLSX) and the risk persons board."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fangkong.contacts import service as contact_service
from fangkong.contacts.models import CATEGORY_PATTERN, CATEGORY_PATTERN_OR_EMPTY
from fangkong.db.audit import audit_export
from fangkong.db.masking import mask_rows
from fangkong.errors import InvalidInput
from fangkong.kit.deps import SessionDep, SettingsDep, actor_of
from fangkong.kit.i18n import t
from fangkong.kit.listexport import EXPORT_MAX, export_list
from fangkong.kit.webkit import lang_of, page_day, page_now, past_day, templates
from fangkong.protocol.times import PlannedDate
from fangkong.reports import exports, issued
from fangkong.reports.board import SORTS, BoardFilter, board, communities

router = APIRouter(include_in_schema=False)
PAGE = 50
CategoryQ = Annotated[str | None, Query(pattern=CATEGORY_PATTERN_OR_EMPTY)]
KindQ = Annotated[str | None, Query(pattern="^[a-z_]{0,40}$")]


VersionQ = Annotated[int | None, Query(ge=1, le=10_000)]


@router.get("/bulletin", response_class=HTMLResponse)
def bulletin_page(request: Request, session: SessionDep, settings: SettingsDep, day: PlannedDate | None = None,
                  version: VersionQ = None):
    """The day's bulletin as issued (the last version, or the one asked), saying when it is a correction or
    has been corrected since; a draft counted now as of D 24:00 when it has not been issued."""
    lang = lang_of(request)
    day = day or page_day(request)
    shown = issued.shown(session, day, tz=settings.zone, lang=lang, version=version)
    return templates.TemplateResponse(request, "bulletin.html", {
        "lang": lang, "b": shown.figures, "day": day, "text": shown.text, "issued": shown.issued,
        "latest_version": shown.latest_version, "tz": settings.zone, "lake": _lake_rows(shown.lake),
        "rows": [(k, label, v, t(exports.figure_unit(k), lang)) for k, label, v in exports.figure_rows(shown.figures, lang)]})


def _lake_rows(stated: dict) -> list[dict]:
    """The lake's versions at the day's end (issued.Shown.lake), their commit times as datetimes."""
    return [{"table": table, "version": v.get("version"),
             "committed_at": datetime.fromisoformat(v["committed_at"]) if v.get("committed_at") else None}
            for table, v in stated.items()]


def _audit_export(session, b, day: date, fmt: str) -> None:
    """The bulletin holds figures only (no personal data); its export is logged like every other."""
    audit_export(session, actor_of(session), "bulletin", day.isoformat(), rows=len(exports.figure_rows(b)), fmt=fmt,
                 unmasked=False)


@router.get("/bulletin.csv")
def bulletin_csv(request: Request, session: SessionDep, settings: SettingsDep, day: PlannedDate,
                 version: VersionQ = None):
    b = issued.shown(session, day, tz=settings.zone, version=version).figures
    _audit_export(session, b, day, "csv")
    return Response(exports.to_csv(b, lang_of(request)), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="bulletin-{day}.csv"'})


@router.get("/bulletin.xlsx")
def bulletin_xlsx(request: Request, session: SessionDep, settings: SettingsDep, day: PlannedDate,
                  version: VersionQ = None):
    b = issued.shown(session, day, tz=settings.zone, version=version).figures
    _audit_export(session, b, day, "xlsx")
    return Response(exports.to_xlsx(b, lang_of(request)),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="bulletin-{day}.xlsx"'})


SortQ = Annotated[str, Query(pattern=f"^({'|'.join(SORTS)})$")]


def _board_filter(category, kind, community, case_id, overdue, sort, desc) -> BoardFilter:
    return BoardFilter(category=category or None, kind=kind or None, community=community or None,
                       case_id=case_id or None, overdue=overdue, sort=sort, desc=desc)


@router.get("/risk-persons", response_class=HTMLResponse)
def board_page(request: Request, session: SessionDep, category: CategoryQ = None, kind: KindQ = None,
               community: Annotated[str | None, Query(max_length=32)] = None,
               case_id: Annotated[str | None, Query(max_length=20)] = None,
               overdue: bool = False, sort: SortQ = "found", desc: bool | None = None,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    f = _board_filter(category, kind, community, case_id, overdue, sort, desc)
    total, rows = board(session, f, now=page_now(request), limit=PAGE, offset=(page - 1) * PAGE,
                        past=past_day(request) is not None)
    rows = mask_rows(session, rows)  # another district's case behind a resident, its residents behind a case
    context = {"lang": lang_of(request), "rows": rows, "total": total, "f": f, "page": page,
               "pages": max(1, -(-total // PAGE)), "communities": communities(session)}
    name = "board_rows.html" if request.headers.get("hx-request") else "board.html"
    return templates.TemplateResponse(request, name, context)


def _board_export(request: Request, session, f: BoardFilter, fmt: str) -> Response:
    """The board's rows as filtered, every page (at most EXPORT_MAX), masked as the page is and audited
    (kit/listexport.py, as every list's export)."""
    total, rows = board(session, f, now=page_now(request), limit=EXPORT_MAX, past=past_day(request) is not None)
    rows = mask_rows(session, rows)
    return export_list(request, session, entity="risk_persons", title="board", header=exports.BOARD_HEADER,
                       rows=exports.board_rows(rows, lang_of(request)), total=total, fmt=fmt,
                       filters=_describe(f))


def _describe(f: BoardFilter) -> str:
    parts = [f"{k}={v}" for k, v in (("category", f.category), ("kind", f.kind), ("community", f.community),
                                     ("case_id", f.case_id)) if v]
    return "&".join([*parts, *(["overdue"] if f.overdue else [])])[:200] or "all"


@router.get("/risk-persons.csv")
def board_csv(request: Request, session: SessionDep, category: CategoryQ = None, kind: KindQ = None,
              community: Annotated[str | None, Query(max_length=32)] = None,
              case_id: Annotated[str | None, Query(max_length=20)] = None, overdue: bool = False,
              sort: SortQ = "found", desc: bool | None = None):
    return _board_export(request, session, _board_filter(category, kind, community, case_id, overdue, sort, desc),
                         "csv")


@router.get("/risk-persons.xlsx")
def board_xlsx(request: Request, session: SessionDep, category: CategoryQ = None, kind: KindQ = None,
               community: Annotated[str | None, Query(max_length=32)] = None,
               case_id: Annotated[str | None, Query(max_length=20)] = None, overdue: bool = False,
               sort: SortQ = "found", desc: bool | None = None):
    return _board_export(request, session, _board_filter(category, kind, community, case_id, overdue, sort, desc),
                         "xlsx")


@router.post("/risk-persons/bulk")
def board_bulk(session: SessionDep, ids: Annotated[list[int], Form()],
               category: Annotated[str, Form(pattern=CATEGORY_PATTERN)],
               reason: Annotated[str, Form(min_length=1, max_length=500)]):
    """Bulk action: set the category of the selected risk persons, each change audited with the reason."""
    if len(ids) > 1000:
        raise InvalidInput("at most 1000 risk persons at a time", key="err_bulk_limit")
    for risk_id in ids:
        contact_service.override_category(session, contact_service.get_risk_person(session, risk_id), category,
                                          reason=reason)
    return RedirectResponse("/risk-persons", status_code=303)
