"""contacts.lanes: the lake lane runs on its own thread, or here with FANGKONG_TRACE_SERIAL=1; Later arguments are
given as their values; ahead() starts item n + 1 once item n's first part is in."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from fangkong.contacts import lanes
from fangkong.lake.queries import Lake


def _thread(*args) -> tuple[int, tuple]:
    return threading.get_ident(), args


@pytest.mark.parametrize("serial", [False, True])
def test_the_lake_lane_is_another_thread_unless_serial(tmp_path: Path, monkeypatch, serial):
    if serial:
        monkeypatch.setenv("FANGKONG_TRACE_SERIAL", "1")
    lake = Lake(tmp_path / "lake")
    first = lanes.soon(lake, _thread, 1)
    ident, args = lanes.soon(lake, _thread, first, "x").get(timeout=30)
    assert args == (first.get(), "x")        # a Later argument arrives as its value
    assert (ident == threading.get_ident()) is serial


def test_a_failure_on_the_lake_lane_is_raised_by_get(tmp_path: Path):
    def fails() -> None:
        raise ValueError("lake")

    later = lanes.soon(Lake(tmp_path / "lake"), fails)
    with pytest.raises(ValueError, match="lake"):
        later.get(timeout=30)


@pytest.mark.parametrize("serial", [False, True])
def test_ahead_starts_the_next_item_once_the_first_part_is_in(tmp_path: Path, monkeypatch, serial):
    if serial:
        monkeypatch.setenv("FANGKONG_TRACE_SERIAL", "1")
    lake, log = Lake(tmp_path / "lake"), []

    def start(item: str) -> list[lanes.Later[str]]:
        log.append(f"start {item}")
        return [lanes.soon(lake, str.__add__, item, str(i)) for i in range(3)]

    for item, parts in lanes.ahead(["a", "b", "c"], start):
        log.append(f"consume {item}")
        log.extend(parts)
    assert log == ["start a", "consume a", "start b", "a0", "a1", "a2", "consume b", "start c", "b0", "b1", "b2",
                   "consume c", "c0", "c1", "c2"]
