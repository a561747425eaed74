"""The docs cannot fall behind silently (datasette's tests/test_docs.py): every doc under docs/ is linked from the
README, every link of the README and the docs reaches a file, and every `docs/<name>.md` named in the docs, the code
or the tests exists (a renamed doc leaves no stale mention)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
MENTION = re.compile(r"(?<![\w/.-])docs/[\w.-]+\.md")


def links(path: Path) -> set[str]:
    return {target for target in LINK.findall(path.read_text(encoding="utf-8")) if "://" not in target}


def test_there_are_docs():
    assert len(DOCS) >= 10, DOCS


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_doc_is_linked_from_the_readme(doc):
    assert f"docs/{doc.name}" in links(ROOT / "README.md"), f"README.md has no link to docs/{doc.name}"


@pytest.mark.parametrize("page", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_link_reaches_a_file(page):
    missing = [target for target in links(page) if not (page.parent / target).exists()]
    assert not missing, f"{page.name} links to {missing}"


def test_every_doc_named_anywhere_exists():
    sources = [ROOT / "README.md", *DOCS, *(ROOT / "fangkong").rglob("*.py"), *(ROOT / "tests").rglob("*.py"),
               *(ROOT / "bench").glob("*.md")]
    stale = sorted({(path.relative_to(ROOT).as_posix(), name) for path in sources
                    for name in MENTION.findall(path.read_text(encoding="utf-8")) if not (ROOT / name).exists()})
    assert not stale, stale
