"""The translation table: every key once (a repeated key silently replaces the first: the board showed
超时任务 beside a single deadline), and every key in both languages."""

from __future__ import annotations

import ast
from pathlib import Path

from fangkong.kit import i18n


def _table_keys() -> list[str]:
    tree = ast.parse(Path(i18n.__file__).read_text(encoding="utf-8"))
    keys: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and len(node.keys) > 50:   # the table, not a small literal
            keys += [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return keys


def test_no_key_is_defined_twice():
    keys = _table_keys()
    assert keys, "the translation table was not found"
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    assert not repeated, f"defined more than once: {repeated}"


def test_a_deadline_and_the_task_filter_say_different_things():
    assert i18n.t("overdue", "zh") == "超时"
    assert i18n.t("overdue_tasks", "zh") == "超时任务"
