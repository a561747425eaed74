"""No English left on a Chinese page (issue 25): every page as each role, in Chinese, read as a user reads it
(the text, the names given to screen readers, placeholders, titles), holds no ASCII English word but those
of an allow-list: identifiers, codes, units, file formats and the brand."""

from __future__ import annotations

import re

from e2e.walk import ROLES, build_world, each
from sqlalchemy import select

from fangkong.kit.clikit import unit_of_work
from fangkong.tasks.models import Task

#: words that stay as they are on a Chinese page: the brand and the CLI command named in the demo banner, the
#: language switch, file formats, percentiles, units; the demo's user names (an identifier, like a case id);
ALLOWED = {"fangkong", "demo", "English", "CSV", "XLSX", "HTMX", "°C", "p50", "p90", "p99", "ID", *ROLES,
           "backup"}   # the backup job's id, in the tooltip of its row on /jobs (the others have a dot: codes.recolour)

TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title], img[alt]'))
    parts.push(el.getAttribute('aria-label') || '', el.getAttribute('placeholder') || '', el.getAttribute('title') || '',
               el.getAttribute('alt') || '');
  for (const el of document.querySelectorAll('option')) parts.push(el.textContent);
  return parts.join('\\n');
}"""
#: a word of two letters or more (a snake_case code too), not part of an identifier (letters touching digits,
#: '-', '.', '/', '@')
WORD = re.compile(r"(?<![\w./@-])[A-Za-z][A-Za-z_']*[A-Za-z](?![\w./@-])")


def _visible(html: str) -> str:
    """The text of an HTML fragment (tags dropped; what a screen reader is told only in English is marked lang=en)."""
    html = re.sub(r'<[^>]*lang="en"[^>]*>.*?</[a-z]+>', " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def english_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text) if w not in ALLOWED}


def test_the_word_finder():
    assert english_words("风险人员 close 密接 C000001 P00012 140105 shop") == {"close", "shop"}
    assert english_words("fangkong demo · CSV · admin · 37.5 °C · p50") == set()
    assert english_words("'abc': not a number") == {"abc", "not", "number"}
    assert english_words("原因 overdue_test · 2022-03-07") == {"overdue_test"}


def test_no_english_word_on_a_chinese_page(browser, server, env, tmp_path):
    w = build_world(env, tmp_path)
    found: dict[str, set[str]] = {}

    def check(v):
        words = english_words(v.page.evaluate(TEXT))
        for word in words:
            found.setdefault(word, set()).add(v.path)
        return [", ".join(sorted(words))] if words else []

    problems = each(browser, server, w, check, lang="zh")
    # a server message reaching a page is in its language: "moved" without the community they moved to
    with unit_of_work() as s:
        task = s.scalars(select(Task).where(Task.kind == "verification", Task.status == "open",
                                             Task.jurisdiction == w.community)).first()
        task_id, version = task.id, task.version
    r = server.post(f"/verify/{task_id}", data={"outcome": "moved", "version": version, "community": w.community},
                    headers={"HX-Request": "true", "Cookie": "lang=zh"})
    assert r.status_code == 422 and "请填写其迁入社区编码" in r.text, r.text[:500]
    problems += [f"/verify/{task_id} (moved): {', '.join(sorted(ws))}" for ws in [english_words(_visible(r.text))] if ws]
    print("\n" + "\n".join(f"{k}: {sorted(v)[:4]}" for k, v in sorted(found.items())))
    assert problems == [], "\n".join(problems)
