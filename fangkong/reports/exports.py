"""Bulletin figures as CSV and XLSX (text cells guarded against formula injection)."""

from __future__ import annotations

import csv
import io

import xlsxwriter

from fangkong.kit import pii
from fangkong.kit.i18n import t
from fangkong.kit.listexport import safe_cell, table_csv, table_xlsx
from fangkong.kit.webkit import place_name
from fangkong.reports.service import Bulletin
from fangkong.settings import get_settings

__all__ = ["BOARD_HEADER", "board_rows", "board_table", "figure_rows", "figure_unit", "table_csv", "table_xlsx", "to_csv", "to_xlsx", "safe_cell"]


def figure_unit(key: str) -> str:
    """What a bulletin figure counts (issue 25): cases (例), people (人, each once) or days (天)."""
    if key.startswith(("new_", "total_")):
        return "unit_cases"
    return "unit_days" if key.startswith("days_") else "unit_people"


def figure_rows(b: Bulletin, lang: str = "zh") -> list[tuple[str, str, object]]:
    rows: list[tuple[str, str, object]] = [
        ("new_confirmed", t("confirmed", lang), b.new_confirmed),
        ("new_asymptomatic", t("asymptomatic", lang), b.new_asymptomatic),
        ("new_community", t("community_new", lang), b.new_community),
        ("new_under_control", t("control_new", lang), b.new_under_control),
        ("total_cases", t("total_cases", lang), b.total_cases),
        ("traced_total", t("traced", lang), b.traced_total),
    ]
    rows += [(f"traced_{c}", t(c, lang), n) for c, n in b.traced_by_category.items()]
    rows += [("tests_positive", t("positive", lang), b.tests_positive),
             ("tests_negative", t("negative", lang), b.tests_negative),
             ("tests_pending", t("pending", lang), b.tests_pending),
             ("isolation_in_site", t("centralized_isolation", lang), b.isolation_in_site),
             ("isolation_at_home", t("home_isolation", lang), b.isolation_at_home),
             ("monitoring", t("health_monitoring", lang), b.monitoring),
             ("days_since_community_case", t("days_since", lang), b.days_since_community_case)]
    return rows


def to_csv(b: Bulletin, lang: str = "zh") -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["day", "figure", "label", "value"])
    for key, label, value in figure_rows(b, lang):
        w.writerow([b.day.isoformat(), key, safe_cell(label), "" if value is None else value])
    return "\ufeff" + buf.getvalue()  # BOM: Excel opens UTF-8 Chinese correctly


def to_xlsx(b: Bulletin, lang: str = "zh") -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(b.day.isoformat())
    bold = book.add_format({"bold": True})
    for col, head in enumerate(("figure", "label", "value")):
        sheet.write_string(0, col, head, bold)
    for row, (key, label, value) in enumerate(figure_rows(b, lang), start=1):
        sheet.write_string(row, 0, key)
        sheet.write_string(row, 1, str(safe_cell(label)))
        if value is not None:
            sheet.write_number(row, 2, value)
    sheet.set_column(0, 1, 28)
    book.close()
    return buf.getvalue()


#: the board's columns (translation keys), as the page shows them
BOARD_HEADER = ("case_id", "person", "name", "phone", "community", "category", "measure", "checkin_until", "found_at",
                "deadline", "overdue")


def board_rows(rows: list, lang: str = "zh") -> list[list[object]]:
    """The risk persons board's rows as cells, masked as the page shows them."""
    local = get_settings().zone
    when = lambda v: v.astimezone(local).strftime("%Y-%m-%d %H:%M") if v else ""  # noqa: E731
    return [[r.case_id, r.person_id or "", pii.name(r.name) or "", pii.phone(r.phone) or "",
             place_name(r.community, lang), t(r.category, lang), t(r.measure_kind, lang) if r.measure_kind else "",
             when(r.measure_end), when(r.found_at), when(r.deadline), t("yes" if r.overdue else "no", lang)]
            for r in rows]


def board_table(rows: list, lang: str = "zh") -> list[list[object]]:
    """The risk persons board as a table (a header row, then a row each), masked as the page shows it."""
    return [[t(k, lang) for k in BOARD_HEADER], *board_rows(rows, lang)]
