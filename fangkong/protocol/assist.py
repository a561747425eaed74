"""Inbound assistance requests (区域协查): the risk category a request states, read from its reason."""

from __future__ import annotations

__all__ = ["CATEGORY_WORDS", "stated_category"]

#: the words of a 协查函's reason that state a risk category, highest first (DOMAIN.md §2 glossary); the
#: secondary contact's words contain 密接 and are read (and taken out) before the close contact's
CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("secondary", ("次密接", "密接的密接", "密切接触者的密切接触者", "次密切接触者")),
    ("close", ("密接", "密切接触")),
    ("companion", ("时空伴随",)),
    ("overlap", ("轨迹重合", "一般接触")),
)
_CODES = {"close", "secondary", "companion", "overlap"}
_ORDER = ("close", "secondary", "companion", "overlap")


def stated_category(reason: str) -> str | None:
    """The highest risk category the reason names (a request "密接及次密接" is read as close: the stricter
    measure; the issuer's list does not say which person is which), or None when it names none (a request
    to find a person for another reason places no measure). The category codes themselves (close, secondary,
    companion, overlap) are accepted as the whole reason."""
    text = (reason or "").strip()
    if text.lower() in _CODES:
        return text.lower()
    found = set()
    for category, words in CATEGORY_WORDS:
        for w in words:
            if w in text:
                found.add(category)
                text = text.replace(w, "\x00")   # 次密接 must not be read again as 密接
    return next((c for c in _ORDER if c in found), None)
