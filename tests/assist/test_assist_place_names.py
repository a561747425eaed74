"""The assistance pages name the districts and communities (issue 25: "communities shown only as 12-digit codes"):
the issuer and the recipient of each request on /assist and on its own page, and the community a person was routed
to, by their names in the user's language; a jurisdiction the deployment cannot name stays as written. Real HTTP."""

from __future__ import annotations

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from builders.risk import import_people
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.assist import service
from fangkong.assist.models import AssistDirection, AssistRequest
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work

PAGE = {"accept": "text/html"}
NOW = datetime(2022, 3, 12, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


def _text(body: str) -> str:
    """What the reader sees: the markup (attributes included) and scripts dropped."""
    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_requests_show_district_and_community_names(server, tmp_path):  # noqa: F811
    import_people(tmp_path / "city", n=3)
    with unit_of_work() as s, acting_as(s, "test"):
        inbound = service.receive(s, ref="YZ-1", issuer="140106", reason="密接协查",
                                  persons=[service.PersonIn("人2", None, "13800000002")], now=NOW)
        named = service.receive(s, ref="BJ-7", issuer="北京市朝阳区", reason="时空伴随",
                                persons=[service.PersonIn("人3", None, "13800000003")], now=NOW)
        out = AssistRequest(direction=AssistDirection.OUTBOUND, ref="OUT-1", issuer="140105001",
                            recipient="140107", reason="C000001 风险人员协查", received_at=NOW, created_by="test")
        s.add(out)
        s.flush()
        out.request_no = f"A{out.id:06d}"
        numbers = inbound.request_no, named.request_no, out.request_no
    epi = server.client_for("epidemiologist")
    for lang, names in (("zh", ("迎泽区", "小店区 001街道", "杏花岭区", "小店区 001街道 001社区")),
                        ("en", ("Yingze", "Xiaodian subdistrict 001", "Xinghualing",
                                "Xiaodian subdistrict 001 community 001"))):
        epi.cookies.set("lang", lang)
        r = epi.get("/assist", headers=PAGE)
        assert r.status_code == 200, r.text[-500:]
        text = _text(r.text)
        assert names[0] in text and f"{names[1]} → {names[2]}" in text, text[-1500:]
        assert "北京市朝阳区" in text                     # a name as the issuer wrote it stays
        assert not re.search(r"\b1401\d{2,8}\b", text), text[-1500:]
        for no in numbers:
            page = _text(epi.get(f"/assist/requests/{no}", headers=PAGE).text)
            assert not re.search(r"\b1401\d{2,8}\b", page), (no, page[-1500:])
        page = _text(epi.get(f"/assist/requests/{numbers[0]}", headers=PAGE).text)
        assert names[0] in page and names[3] in page, page[-1500:]   # the issuer, the community routed to
