"""Bulletin figures as CSV and XLSX (text cells guarded against formula injection)."""

from __future__ import annotations

import csv
import io

import xlsxwriter

from fangkong.kit.i18n import t
from fangkong.reports.service import Bulletin

__all__ = ["figure_rows", "figure_unit", "to_csv", "to_xlsx", "safe_cell"]


def safe_cell(value: object) -> object:
    """A text starting with = + - @ would run as a formula in a spreadsheet: prefix it with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


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
