"""A person the records hold without a name, phone or ID number (an assistance request's row, a carrier's phone
owner not yet identified) is shown with the neutral mark on the pages, never "None" (issue 25). Real HTTP."""

from __future__ import annotations

import re

from builders.risk import declare, import_people
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.kit.webkit import MISSING
from fangkong.people.lookup import get_person

PAGE = {"accept": "text/html"}


def _row(body: str, marker: str) -> str:
    rows = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", body, re.S) if marker in r]
    assert rows, (marker, body[-1500:])
    return rows[0]


def test_a_person_without_name_or_phone_shows_the_mark_not_none(server, tmp_path):  # noqa: F811
    import_people(tmp_path / "city", n=4)
    with unit_of_work() as s:
        p = get_person(s, "P00002")
        p.name = p.phone = p.id_number = None
        with acting_as(s, "test"):
            declare(s, "P00002")
    epi = server.client_for("epidemiologist")
    r = epi.get("/search", params={"q": "P00002"}, headers=PAGE)
    assert r.status_code == 200, r.text[-500:]
    row = _row(r.text, 'data-person="P00002"')
    assert "None" not in row
    assert f"<td>P00002</td>{f'<td>{MISSING}</td>' * 3}" in row, row      # name, phone and ID number
    r = epi.get("/cases", headers=PAGE)
    assert r.status_code == 200, r.text[-500:]
    row = _row(r.text, "P00002")
    assert "None" not in row and f'<span class="muted">{MISSING}</span>' in row, row
