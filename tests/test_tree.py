"""docs/tree.md shows the package tree as it is (scripts/tree.py writes it; issue 24: show the tree)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tree():
    spec = importlib.util.spec_from_file_location("tree_script", ROOT / "scripts" / "tree.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_tree_shows_this_checkouts_tree():
    tree = _tree()
    assert tree.block(tree.paths_now()) in (ROOT / "docs" / "tree.md").read_text(encoding="utf-8"), \
        "docs/tree.md is behind the tree: .venv/bin/python scripts/tree.py --write"


def test_the_listing_names_every_folder_and_module():
    tree = _tree()
    paths = ["fangkong/__init__.py", "fangkong/api.py", "fangkong/measures/__init__.py",
             "fangkong/measures/sites/__init__.py", "fangkong/measures/sites/web.py",
             "fangkong/db/migrations/versions/0001_spine.py"]
    assert tree.listing(paths).splitlines() == [
        "fangkong/                  api", "  db/", "    migrations/",
        "      versions/            (the migration scripts)", "  measures/", "    sites/                 web"]
