"""docs/security.md's permission table is the one in fangkong/protocol/roles.py (a doc that falls behind fails)."""

from __future__ import annotations

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
