"""`fangkong boundaries import FILE` and `fangkong import DIR` with a boundaries.geojson (docs/formats.md)."""

from __future__ import annotations

import json

import pytest
from builders.city import person, write_csv
from clihelp import fk
from sqlalchemy import func, select

from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work
from fangkong.people.boundaries import service
from fangkong.people.boundaries.models import Boundary

pytestmark = pytest.mark.both_stores


def square(x: float, y: float, d: float = 0.1) -> list:
    return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]


def feat(code: str, name: str, x: float = 112.5, y: float = 37.8) -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "Polygon", "coordinates": square(x, y)}}


def write(path, features: list) -> object:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"type": "FeatureCollection", "features": [\n'
                    + ",\n".join(json.dumps(f, ensure_ascii=False) for f in features) + "\n]}\n", encoding="utf-8")
    return path


def rows() -> dict[str, Boundary]:
    with unit_of_work() as s:
        return {b.code: (b.level, b.name, b.geometry["coordinates"]) for b in s.scalars(select(Boundary))}


def test_import_validates_each_feature_by_line_and_is_idempotent(env, tmp_path):
    good = [feat("1401", "太原市"), feat("140105", "小店区"), feat("140105001001", "一社区", 112.51, 37.81)]
    bad = [{"type": "Feature", "properties": {"name": "无码"}, "geometry": good[0]["geometry"]},
           feat("140105", "小店区又一次")]
    f = write(tmp_path / "b.geojson", good + bad)
    r = fk("boundaries", "import", f)
    assert r.exit_code == 1
    out = " ".join(r.output.split())
    assert "5 features, 3 new, 0 unchanged, 2 rejected" in out
    assert "b.geojson:5: feature 4: properties.code" in out
    assert "b.geojson:6: feature 5: code 140105 is already feature 2 of this file" in out
    assert rows()["140105001001"][0] == "community" and rows()["1401"][:2] == ("city", "太原市")
    r = fk("boundaries", "import", write(tmp_path / "b.geojson", good))  # the same file again: nothing changes
    assert r.exit_code == 0 and "3 features, 0 new, 3 unchanged, 0 rejected" in " ".join(r.output.split())
    # a redrawn boundary is refused unless --replace
    moved = write(tmp_path / "moved.geojson", [feat("140105", "小店区", 112.7, 37.7)])
    r = fk("boundaries", "import", moved)
    assert r.exit_code == 1 and "import with --replace to redraw it" in " ".join(r.output.split())
    assert rows()["140105"][2] == [square(112.5, 37.8)]
    assert fk("boundaries", "import", moved, "--replace").exit_code == 0
    assert rows()["140105"][2] == [square(112.7, 37.7)]
    with unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "boundaries")) == 4
        assert [b.code for b in service.boundaries(s, ("district", "community"))] == ["140105", "140105001001"]
        assert service.levels_present(s) == ["city", "district", "community"]


def test_strict_keeps_nothing_and_broken_json_names_its_line(env, tmp_path):
    f = write(tmp_path / "b.geojson", [feat("140106", "迎泽区"), feat("x", "坏")])
    r = fk("boundaries", "import", f, "--strict")
    assert r.exit_code == 1 and "nothing imported" in " ".join(r.output.split()) and rows() == {}
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection",\n"features": [\n{"type": "Feature",,}\n]}', encoding="utf-8")
    r = fk("boundaries", "import", broken)
    assert r.exit_code == 1 and "broken.geojson: line 3 column" in " ".join(r.output.split())
    r = fk("boundaries", "import", tmp_path / "none.geojson")
    assert r.exit_code == 1 and "no such file" in r.output


def test_import_folder_reads_boundaries_first(env, tmp_path):
    write_csv(tmp_path / "city" / "persons.csv", [person(1)])
    write(tmp_path / "city" / "boundaries.geojson", [feat("140105", "小店区")])
    r = fk("import", tmp_path / "city")
    assert r.exit_code == 0, r.output
    assert "boundaries.geojson" in r.output and set(rows()) == {"140105"}
    assert fk("import", tmp_path / "city").exit_code == 0 and set(rows()) == {"140105"}
