"""docs/security.md's permission table is the one in fangkong/protocol/roles.py (a doc that falls behind fails)."""

from __future__ import annotations

import re
from pathlib import Path

from fangkong.protocol.roles import DEVICE_PERMISSIONS, PERMISSIONS, ROLE_PERMISSIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_the_permission_table_in_the_docs_is_the_code_s():
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| `")
            and line.split("|")[1].strip().strip("`") in PERMISSIONS]
    header = next(line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| permission |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    holders = {**ROLE_PERMISSIONS, **{f"{kind} device": perms for kind, perms in DEVICE_PERMISSIONS.items()}}
    assert columns == list(holders)
    documented = {}
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        documented[cells[0].strip("`")] = {who for who, mark in zip(columns, cells[1:], strict=True) if mark}
    assert documented == {p: {who for who, perms in holders.items() if p in perms} for p in PERMISSIONS}


FAMILIES = ("Public citizen routes", "Device routes", "Check-in links", "Staff reads", "Staff writes",
            "Imports and exports", "CLI")
QUESTIONS = ("Who may call:", "What they can learn:", "What they can make us believe:", "What a flood costs:",
             "Tests:")
_REF = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def _exists(path: str, name: str) -> bool:
    file = DOC.parents[1] / path
    return file.is_file() and re.search(rf"^def {name}\(", file.read_text(encoding="utf-8"), re.M) is not None


def test_each_family_of_routes_answers_the_five_questions_with_tests_that_exist():
    text = DOC.read_text(encoding="utf-8")
    model = text.split("## Threat model by family of routes", 1)[1].split("\n## ", 1)[0]
    blocks = dict(re.findall(r"^### (.+?)\n(.*?)(?=^### |\Z)", model, re.M | re.S))
    assert list(blocks) == list(FAMILIES)
    for family, block in blocks.items():
        for question in QUESTIONS:
            assert f"**{question}**" in block, f"{family}: no '{question}'"
        tests = _REF.findall(block.split("**Tests:**", 1)[1])
        assert tests, f"{family}: names no test"
    # every test the doc names, anywhere in it, exists: a renamed or deleted test fails here
    missing = [f"{path}::{name}" for path, name in _REF.findall(text) if not _exists(path, name)]
    assert not missing, missing
