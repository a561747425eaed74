"""No English sentence in a refusal on a Chinese page (issue 25). Every raise of the error family
(fangkong/errors.py) that a page can reach carries its message key, so the page says it in the user's language;
each keyed text in Chinese holds no English sentence; and refusals met through the pages and forms, walked in
Chinese over real HTTP, show none either (the service's English stays under "technical details" only)."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest
from test_api import server  # noqa: F401 - the real-HTTP server fixture

from fangkong.kit.i18n import t

ROOT = Path(__file__).parent.parent / "fangkong"
FAMILY = {"FangkongError", "NotFound", "Conflict", "InvalidInput", "Forbidden"}
#: the modules of pages and forms (HTML routes): where reachability starts
PAGE_MODULES = {"web.py", "forms_web.py", "results_web.py", "setup_web.py", "map_web.py", "chains_web.py",
                "pages.py", "entry.py", "listexport.py", "webkit.py", "forms.py"}
#: three English words in a row: a sentence, not a code or an id ("P00001", "C000001", "SMS")
ENGLISH = re.compile(r"[A-Za-z]{2,}[,;:]?\s+[A-Za-z]{2,}[,;:]?\s+[A-Za-z]{2,}")
PAGE = {"accept": "text/html"}


@functools.cache
def _trees() -> dict[Path, ast.Module]:
    """Every module of the package parsed, once for this module's tests (read only)."""
    return {p: ast.parse(p.read_text()) for p in ROOT.rglob("*.py")}


def _reachable_unkeyed() -> list[str]:
    """Raises of the error family without key=, in any function a page's function may call (by name, over the
    whole package: an over-approximation, so nothing reachable is missed); the CLI and API modules excluded."""
    trees = _trees()
    defs: dict[str, list] = {}
    for p, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                defs.setdefault(node.name, []).append((p, node))
    todo = [(p, n) for p, tree in trees.items() if p.name in PAGE_MODULES for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    seen: dict = {}
    while todo:
        p, node = todo.pop()
        if (p, node.lineno) in seen:
            continue
        seen[p, node.lineno] = node
        for call in ast.walk(node):
            if isinstance(call, ast.Call):
                name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
                todo += [(q, d) for q, d in defs.get(name, [])
                         if q.name not in ("commands.py", "cli.py", "api.py")]
    out = []
    for (p, _), node in seen.items():
        for r in ast.walk(node):
            if isinstance(r, ast.Raise) and isinstance(r.exc, ast.Call):
                f = r.exc.func
                if (f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")) in FAMILY and \
                        not any(k.arg == "key" for k in r.exc.keywords):
                    out.append(f"{p.relative_to(ROOT.parent)}:{r.lineno}")
    return sorted(set(out))


def _keys() -> set[str]:
    keys = set()
    for tree in _trees().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in FAMILY:
                kw = {k.arg: k.value for k in node.keywords}
                if isinstance(kw.get("key"), ast.Constant):
                    keys.add(kw["key"].value)
    return keys


def test_every_refusal_a_page_reaches_has_its_key():
    assert _reachable_unkeyed() == []


def test_no_refusal_text_in_chinese_holds_an_english_sentence():
    keys = _keys()
    assert len(keys) >= 100
    english = {}
    for key in keys:
        zh = t(key, "zh")
        text = zh.format(**{n: "1" for n in re.findall(r"\{(\w+)\}", zh)})
        if ENGLISH.search(text):
            english[key] = text
    assert english == {}


def _shown(html: str) -> str:
    """What a reader sees: no technical details, scripts, styles, tags or attributes."""
    html = re.sub(r"<(details|script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("lang", ["zh"])
def test_refusals_walked_in_chinese_show_no_english_sentence(server, lang):  # noqa: F811
    admin = server.client_for("admin", username="walker")
    admin.cookies.set("lang", lang)
    iso = server.client_for("isolation")
    iso.cookies.set("lang", lang)
    hx = {"hx-request": "true", "accept": "*/*"}
    district = server.client_for("isolation", "140106")
    district.cookies.set("lang", lang)
    answers = {
        # a page that is not there, an unknown record behind a form, refusals of forms (a conflict, bad input)
        "unknown review": admin.post("/people/reviews/99999", data={"decision": "merge"}, headers=PAGE),
        "unknown merge": admin.post("/people/merges/99999/undo", headers=PAGE),
        "unknown case": admin.get("/cases/C999999", headers=PAGE),
        "unknown request": admin.get("/assist/requests/R999999", headers=PAGE),
        "outside the district": district.post("/isolation/hospitals/new", headers=hx, data={
            "hospital_id": "H1", "name": "一院", "jurisdiction": "140105", "beds": "10"}),
        "citizen with no person": admin.post("/users/new", headers=hx, data={
            "username": "w2", "role": "citizen", "password": "kP7-" * 5}),
        "staff with a person": admin.post("/users/new", headers=hx, data={
            "username": "w4", "role": "lab", "password": "kP7-" * 5, "person_id": "P00001"}),
        "weak password": admin.post("/users/new", headers=hx, data={
            "username": "w3", "role": "lab", "password": "123"}),
        "user again": admin.post("/users/new", headers=hx, data={
            "username": "walker", "role": "lab", "password": "kP7-" * 5}),
        "bad bulletin day": admin.get("/bulletin", params={"day": "1900-01-01"}, headers=PAGE),
    }
    seen = {}
    for what, r in answers.items():
        assert r.status_code in (200, 404, 409, 422), (what, r.status_code, r.text[:300])
        found = ENGLISH.findall(_shown(r.text))
        if found:
            seen[what] = found
    assert seen == {}
