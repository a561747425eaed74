"""Every user-facing string has its translation (issue 25): each field a page takes is named in a validation
message by its label, each code a page shows as a label (an enum's values) has one in both languages, and each
message key a service raises with (FangkongError.key) is in the table and formats with the parameters given."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import fangkong
from fangkong.cases.models import CaseStatus
from fangkong.codes.models import CodeColour
from fangkong.contacts.models import RiskCategory
from fangkong.kit.i18n import _TABLE, t
from fangkong.kit.i18n_forms import FORMS
from fangkong.measures.models import MeasureCategory, SiteStatus, TestResult, VerificationOutcome
from fangkong.protocol.roles import ROLE_PERMISSIONS
from fangkong.tasks.models import OwnerKind, TaskKind, TaskStatus
from fangkong.testing.models import RetestReason, RoundKind
from fangkong.zones.models import PlaceKind, ZoneLevel, ZoneStatus

ROOT = Path(fangkong.__file__).parent


def _missing(key: str) -> bool:
    return key not in _TABLE and key not in FORMS


def test_every_field_a_page_takes_has_a_label():
    from fastapi.routing import iter_route_contexts

    from fangkong.api import app

    missing = set()
    for rc in iter_route_contexts(app.routes):
        d = getattr(rc.original_route, "dependant", None)
        if d is None or rc.path.startswith("/api"):
            continue
        fields = [*d.query_params, *d.body_params, *d.path_params]
        for sub in d.dependencies:
            fields += [*sub.query_params, *sub.body_params]
        missing |= {f"{rc.path} {p.alias or p.name}" for p in fields if _missing(f"field_{p.alias or p.name}")}
    assert not missing, sorted(missing)


#: (prefix of the key, the codes) of every code a page shows as a label
SHOWN = [("", CaseStatus), ("", TaskKind), ("task_", TaskStatus), ("owner_", OwnerKind), ("site_", SiteStatus),
         ("", TestResult), ("", MeasureCategory), ("", RiskCategory), ("zone_", ZoneStatus), ("", ZoneLevel),
         ("zplace_", PlaceKind), ("round_", RoundKind), ("", RetestReason), ("", CodeColour),
         ("outcome_", VerificationOutcome), ("role_", list(ROLE_PERMISSIONS))]


@pytest.mark.parametrize(("prefix", "codes"), SHOWN, ids=[getattr(c, "__name__", "roles") for _, c in SHOWN])
def test_every_code_shown_has_a_label_in_both_languages(prefix, codes):
    assert [str(c) for c in codes if _missing(f"{prefix}{c}")] == []


def _raised_keys() -> list[tuple[str, str, set[str]]]:
    """(where, key, parameter names) of every `key="…"` a FangkongError is raised with."""
    out = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                kw = {k.arg: k.value for k in node.keywords}
                if isinstance(kw.get("key"), ast.Constant) and isinstance(kw["key"].value, str) \
                        and isinstance(node.func, ast.Name) and node.func.id in (
                        "InvalidInput", "Conflict", "NotFound", "Forbidden", "FangkongError"):
                    params = kw.get("params")
                    names = {k.value for k in params.keys} if isinstance(params, ast.Dict) else set()
                    out.append((f"{path.relative_to(ROOT)}:{node.lineno}", kw["key"].value, names))
    return out


def test_every_refusal_key_is_translated_and_formats_with_its_parameters():
    found = _raised_keys()
    assert len(found) >= 40
    problems = []
    for where, key, names in found:
        if _missing(key):
            problems.append(f"{where}: {key} not in the table")
            continue
        for lang in ("zh", "en"):
            wanted = set(re.findall(r"\{(\w+)\}", t(key, lang)))
            if not wanted <= names:
                problems.append(f"{where}: {key} ({lang}) wants {sorted(wanted - names)}")
    assert problems == []
