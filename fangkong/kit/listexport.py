"""CSV / XLSX export of any list page (issue 25), one way for all: the page takes `?export=csv|xlsx` beside its
own filters and answers every row those filters select (at most EXPORT_MAX) instead of one page, as the page
shows them: masked as the page masks them (fangkong.kit.pii: unmasked only with ?unmask=1&reason=…, which the
auth layer allows and audits), communities by name, labels in the user's language. Each export is audited (who,
which list, which filters, how many rows, masked or not). A page adds `{% include "export_links.html" %}`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Annotated

import xlsxwriter
from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from fangkong.db.audit import audit_export
from fangkong.db.core import utcnow
from fangkong.kit import pii
from fangkong.kit.deps import actor_of
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of
from fangkong.settings import get_settings

__all__ = ["EXPORT_MAX", "ExportQ", "export_list", "safe_cell", "table_csv", "table_xlsx"]

#: rows an export holds at most (the file says how many the filters selected: x-total-count)
EXPORT_MAX = 100_000
#: a list page's ?export= (absent: the page itself)
ExportQ = Annotated[str | None, Query(pattern="^(csv|xlsx)?$")]
#: query parameters that do not select rows (the page's own machinery)
_NOT_FILTERS = {"export", "page", "lang", "unmask", "reason"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: object) -> object:
    """A text starting with = + - @ would run as a formula in a spreadsheet: prefix it with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def table_csv(table: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    for row in table:
        w.writerow(["" if v is None else safe_cell(v) for v in row])
    return "\ufeff" + buf.getvalue()  # BOM: Excel opens UTF-8 Chinese correctly


def table_xlsx(table: Iterable[Sequence[object]], title: str) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "constant_memory": True})
    sheet = book.add_worksheet("".join(c for c in title if c not in "[]:*?/\\")[:31] or "export")
    bold = book.add_format({"bold": True})
    for i, row in enumerate(table):
        for j, v in enumerate(row):
            if isinstance(v, bool) or v is None:
                sheet.write_string(i, j, "" if v is None else str(v))
            elif isinstance(v, int | float):
                sheet.write_number(i, j, v)
            else:
                sheet.write_string(i, j, str(safe_cell(v)), bold if i == 0 else None)
    book.close()
    return buf.getvalue()


def when(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time in the deployment's zone, as the pages show it; empty for none."""
    return value.astimezone(get_settings().zone).strftime(fmt) if value else ""


def filters_of(request: Request) -> str:
    """The filters the export was made with, for the audit entry ("all" when none)."""
    parts = [f"{k}={v}" for k, v in request.query_params.multi_items() if k not in _NOT_FILTERS and v]
    return "&".join(parts)[:200] or "all"


def export_list(request: Request, session: Session, *, entity: str, title: str, header: Sequence[str],
                rows: Iterable[Sequence[object]], total: int | None = None, fmt: str | None = None,
                filters: str | None = None) -> Response:
    """The list as a file in the format ?export= (or `fmt`) asked: `header` are translation keys, `rows` the cells
    (already masked and translated); audited as an export of `entity` with the request's filters (or `filters`)."""
    fmt = fmt or request.query_params.get("export") or "csv"
    lang = lang_of(request)
    body = list(rows)[:EXPORT_MAX]
    table = [[t(h, lang) for h in header], *body]
    audit_export(session, actor_of(session), entity, filters or filters_of(request), rows=len(body), fmt=fmt,
                 unmasked=pii.unmasked())
    name = f"{entity}-{utcnow().astimezone(get_settings().zone):%Y%m%d-%H%M}.{fmt}"
    headers = {"content-disposition": f'attachment; filename="{name}"',
               "x-total-count": str(len(body) if total is None else total)}
    if fmt == "xlsx":
        return Response(table_xlsx(table, t(title, lang)), media_type=XLSX, headers=headers)
    return Response(table_csv(table), media_type="text/csv; charset=utf-8", headers=headers)
