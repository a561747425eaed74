"""Person matching rules: normalisation, field similarities, the match score and the link / review / new decision."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from fangkong.protocol import idnumber

__all__ = ["Weights", "Thresholds", "Record", "Match", "WEIGHTS", "NAME_CHARS", "ADDRESS_CHARS", "prepare",
           "normalise_name", "normalise_address", "normalise_phone", "levenshtein", "name_similarity",
           "phone_similarity", "birth_similarity", "address_similarity", "compare", "decide"]

#: names are compared on their first 16 characters, addresses on their first 32 (keeps the vectorised path exact)
NAME_CHARS = 16
ADDRESS_CHARS = 32
_NAME_DROP = re.compile(r"[\s·•.\-_]+")
_ADDRESS_DROP = re.compile(r"[\s\W_]+")
# "山西省太原市迎泽区" in front of a street address is written by some sources and not by others
_ADMIN_PREFIX = re.compile(r"^(?:[^省市区县]{1,7}[省市])*(?:[^省市区县]{1,7}[区县])?")


@dataclass(frozen=True)
class Weights:
    """Each field's share of the score; they sum to 1, a missing field contributes nothing."""

    name: float = 0.35
    phone: float = 0.25
    birth: float = 0.25
    address: float = 0.15


WEIGHTS = Weights()


@dataclass(frozen=True)
class Thresholds:
    """score ≥ link → the same person; review ≤ score < link → an analyst decides; below → a new person."""

    link: float = 0.85
    review: float = 0.6

    def __post_init__(self) -> None:
        if not 0 < self.review <= self.link <= 1:
            raise ValueError(f"need 0 < review ({self.review}) ≤ link ({self.link}) ≤ 1")


@dataclass(frozen=True)
class Record:
    """One side of a comparison, normalised by `prepare`."""

    name: str | None = None
    id_number: str | None = None
    phones: tuple[str, ...] = ()
    birth_date: date | None = None
    sex: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Match:
    score: float
    fields: dict[str, float | None] = field(default_factory=dict)
    veto: str | None = None

    def evidence(self) -> dict:
        return {"score": round(self.score, 4), "veto": self.veto,
                "fields": {k: None if v is None else round(v, 4) for k, v in self.fields.items()}}


def normalise_name(s: str | None) -> str | None:
    if not s:
        return None
    out = _NAME_DROP.sub("", unicodedata.normalize("NFKC", s).casefold())
    return out[:NAME_CHARS] or None


def normalise_address(s: str | None) -> str | None:
    if not s:
        return None
    out = _ADDRESS_DROP.sub("", unicodedata.normalize("NFKC", s).casefold())
    out = _ADMIN_PREFIX.sub("", out)
    return out[:ADDRESS_CHARS] or None


def normalise_phone(s: str | None) -> str | None:
    digits = re.sub(r"\D", "", s or "")
    return digits or None


def prepare(*, name=None, id_number=None, phones=(), birth_date=None, sex=None, address=None) -> Record:
    """Normalise fields; a valid ID number supplies a missing birth date and sex (GB 11643 encodes both)."""
    idn = id_number.strip().upper() if id_number else None
    if idn and idnumber.is_valid(idn):
        birth_date = birth_date or idnumber.birth_date_of(idn)
        sex = sex or idnumber.sex_of(idn)
    ph = tuple(sorted({p for p in (normalise_phone(x) for x in phones) if p}))
    return Record(name=normalise_name(name), id_number=idn or None, phones=ph, birth_date=birth_date,
                  sex=sex or None, address=normalise_address(address))


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def name_similarity(a: str | None, b: str | None) -> float | None:
    """1 − edit distance / longer length, on normalised names; None when either is missing."""
    if not a or not b:
        return None
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def phone_similarity(a: str | None, b: str | None) -> float | None:
    """1 equal; 0.5 for one mistyped digit; else 0."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    if len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1:
        return 0.5
    return 0.0


def birth_similarity(a: date | None, b: date | None) -> float | None:
    """1 equal; 0.5 when only one of year, month, day differs or month and day are swapped; else 0."""
    if a is None or b is None:
        return None
    if a == b:
        return 1.0
    same = (a.year == b.year) + (a.month == b.month) + (a.day == b.day)
    swapped = a.year == b.year and a.month == b.day and a.day == b.month
    return 0.5 if same == 2 or swapped else 0.0


def address_similarity(a: str | None, b: str | None) -> float | None:
    """Shared leading characters / longer length: Chinese addresses go from the district down to the door."""
    if not a or not b:
        return None
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n / max(len(a), len(b))


def _veto(a: Record, b: Record) -> str | None:
    if a.id_number and b.id_number and a.id_number != b.id_number:
        return "different resident ID numbers"
    if a.sex and b.sex and a.sex != b.sex:
        return "different sex"
    return None


def compare(a: Record, b: Record, weights: Weights = WEIGHTS) -> Match:
    """The match score of two records in [0, 1], with each field's similarity as evidence."""
    phone = max((s for s in (phone_similarity(x, y) for x in a.phones for y in b.phones) if s is not None),
                default=None)
    fields = {"name": name_similarity(a.name, b.name), "phone": phone,
              "birth_date": birth_similarity(a.birth_date, b.birth_date),
              "address": address_similarity(a.address, b.address)}
    veto = _veto(a, b)
    if veto:
        return Match(0.0, fields, veto)
    score = 0.0
    for key, w in (("name", weights.name), ("phone", weights.phone), ("birth_date", weights.birth),
                   ("address", weights.address)):
        score += w * (fields[key] or 0.0)
    return Match(score, fields, None)


def decide(score: float, thresholds: Thresholds) -> str:
    """`link`, `review` or `new`."""
    if score >= thresholds.link:
        return "link"
    return "review" if score >= thresholds.review else "new"
