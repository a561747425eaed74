"""The place_names table (issue 25: community names, not codes): imported from a folder like any table, bad rows
refused with their line, a later file renames, FANGKONG_PLACE_NAMES wins, and the pages' place_name reads it."""

from __future__ import annotations

from fangkong import importer
from fangkong.kit.clikit import unit_of_work
from fangkong.kit.webkit import place_name
from fangkong.protocol.places import check_name_row


def test_the_row_check():
    assert check_name_row("140105001002", "迎泽社区") is None
    assert check_name_row("1401050010", "x") and check_name_row("14010500100A", "x")
    assert check_name_row("140105001002", " ") == "name is empty"
    assert check_name_row("140105", "区" * 65)


def test_imported_names_are_what_the_pages_show(sqlite_env, tmp_path, monkeypatch):
    monkeypatch.delenv("FANGKONG_PLACE_NAMES", raising=False)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "place_names.csv").write_text(
        "code,name,name_en\n140105001,坞城街道,Wucheng Subdistrict\n140105001002,锦绣社区,Jinxiu Community\n"
        "14010500100,坏编码,Bad\n140105001003,,\n140105001004,汾河社区,\n", encoding="utf-8")
    assert place_name("140105001002") == "小店区 001街道 002社区"   # before: spelled from the district
    [r] = importer.import_folder(unit_of_work, sqlite_env, folder)
    assert (r.table, r.rows, r.inserted, r.rejected) == ("place_names", 5, 3, 2)
    assert [e.line for e in r.errors] == [4, 5]
    assert place_name("140105001002") == "锦绣社区" and place_name("140105001002", "en") == "Jinxiu Community"
    assert place_name("140105001004", "en") == "汾河社区"        # no English name given: the Chinese one
    assert place_name("140105001009") == "坞城街道 009社区"       # its subdistrict named
    # the same file again changes nothing; a later one renames
    [r] = importer.import_folder(unit_of_work, sqlite_env, folder)
    assert (r.inserted, r.unchanged) == (0, 3)
    (folder / "place_names.csv").write_text("code,name\n140105001002,锦绣新村社区\n", encoding="utf-8")
    importer.import_folder(unit_of_work, sqlite_env, folder)
    assert place_name("140105001002") == "锦绣新村社区" and place_name("140105001") == "坞城街道"
    # the deployment's own list wins
    own = tmp_path / "own.csv"
    own.write_text("140105001002,民政局的名字\n", encoding="utf-8")
    monkeypatch.setenv("FANGKONG_PLACE_NAMES", str(own))
    assert place_name("140105001002") == "民政局的名字"
