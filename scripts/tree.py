"""The package tree of fangkong/ as docs/tree.md shows it: one line a folder, its modules after it.

    .venv/bin/python scripts/tree.py              # the tree of this checkout
    .venv/bin/python scripts/tree.py --rev REV    # the tree at a commit (git ls-tree)
    .venv/bin/python scripts/tree.py --write      # rewrite the "now" listing in docs/tree.md

Modules are named without `.py` and without `__init__`; the folder of migration scripts is not listed; the
web folder's templates and static files are not Python and are left out. tests/test_tree.py checks that
docs/tree.md shows this checkout's tree."""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "tree.md"
#: the markers around the generated listing in docs/tree.md
BEGIN, END = "<!-- tree: now (scripts/tree.py --write) -->", "<!-- /tree -->"
#: folders whose modules are not named (one more migration does not change the tree)
COUNTED = {"versions": "the migration scripts"}
WIDTH = 26
LINE = 110


def paths_now() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "fangkong").rglob("*.py")
                  if "__pycache__" not in p.parts)


def paths_at(rev: str) -> list[str]:
    out = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", rev, "fangkong"],
                         capture_output=True, text=True, check=True).stdout
    return sorted(p for p in out.splitlines() if p.endswith(".py"))


def listing(paths: list[str]) -> str:
    """The tree of these .py paths: `folder/   module module …`, nested by two spaces."""
    modules: dict[PurePosixPath, list[str]] = defaultdict(list)
    for path in map(PurePosixPath, paths):
        for parent in list(path.parents)[:-1]:
            modules.setdefault(parent, [])
        if path.stem != "__init__":
            modules[path.parent].append(path.stem)
    lines = []
    for folder in sorted(modules, key=lambda f: f.parts):
        depth = len(folder.parts) - 1
        names = sorted(modules[folder])
        shown = f"({COUNTED[folder.name]})" if folder.name in COUNTED else " ".join(names)
        head = "  " * depth + folder.name + "/"
        lines += textwrap.wrap(f"{head:<{WIDTH}} {shown}", LINE, subsequent_indent=" " * (WIDTH + 1),
                               break_on_hyphens=False) if shown else [head]
    return "\n".join(lines) + "\n"


def block(paths: list[str]) -> str:
    return f"{BEGIN}\n```\n{listing(paths)}```\n{END}"


def write() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    DOC.write_text(text[:start] + block(paths_now()) + text[end:], encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rev", help="a commit: its tree (git ls-tree) instead of this checkout's")
    ap.add_argument("--write", action="store_true", help="rewrite the 'now' listing of docs/tree.md")
    args = ap.parse_args()
    if args.write:
        write()
        return
    sys.stdout.write(listing(paths_at(args.rev) if args.rev else paths_now()))


if __name__ == "__main__":
    main()
