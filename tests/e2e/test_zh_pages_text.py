"""No English left on a Chinese page (issue 25): every page as each role, in Chinese, read as a user reads it
(the text, the names given to screen readers, placeholders, titles), holds no ASCII English word but those
of an allow-list: identifiers, codes, units, file formats and the brand."""

from __future__ import annotations

import re

from e2e.walk import ALLOWED, TEXT, english_words  # noqa: F401 - ALLOWED, TEXT: for other tests
from sqlalchemy import select

from fangkong.tasks.models import Task


def _visible(html: str) -> str:
    """The text of an HTML fragment (tags dropped; what a screen reader is told only in English is marked lang=en)."""
    html = re.sub(r'<[^>]*lang="en"[^>]*>.*?</[a-z]+>', " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_word_finder():
    assert english_words("风险人员 close 密接 C000001 P00012 140105 shop") == {"close", "shop"}
    assert english_words("fangkong demo · CSV · admin · 37.5 °C · p50") == set()
    assert english_words("'abc': not a number") == {"abc", "not", "number"}
    assert english_words("原因 overdue_test · 2022-03-07") == {"overdue_test"}


def test_no_english_word_on_a_chinese_page(shared, zh_phone_walk):
    """Every page of every role in Chinese (the session's one walk, at phone width: the folded menu's words are
    read too), and a server message reaching a page."""
    found: dict[str, set[str]] = {}
    for v in zh_phone_walk:
        for word in v.words:
            found.setdefault(word, set()).add(v.path)
    problems = [f"{v.role} zh {v.path}: {', '.join(sorted(v.words))}" for v in zh_phone_walk if v.words]
    # a server message reaching a page is in its language: "moved" without the community they moved to
    w = shared.world
    with shared.session() as s:
        task = s.scalars(select(Task).where(Task.kind == "verification", Task.status == "open",
                                             Task.jurisdiction == w.community)).first()
        task_id, version = task.id, task.version
    r = shared.client_for("admin").post(f"/verify/{task_id}", data={"outcome": "moved", "version": version,
                                                                     "community": w.community},
                                        headers={"HX-Request": "true", "Cookie": "lang=zh"})
    assert r.status_code == 422 and "请填写其迁入社区编码" in r.text, r.text[:500]
    problems += [f"/verify/{task_id} (moved): {', '.join(sorted(ws))}" for ws in [english_words(_visible(r.text))] if ws]
    print("\n" + "\n".join(f"{k}: {sorted(v)[:4]}" for k, v in sorted(found.items())))
    assert problems == [], "\n".join(problems)
