"""The map and the city-wide chains view (issue 26) in Chromium, offline: the imported boundaries drawn by the app's
own ECharts (no request leaves the server), zones as areas by level, venues and a case's places as points, zoom
and pan; the chains of every case with filters. No console error; the text alternatives hold the figures; the
right roles see them (tests/auth/test_matrix.py holds the whole role table)."""

from __future__ import annotations

from e2e.conftest import SHOTS, login
from test_api import make_user

from fangkong.kit.clikit import unit_of_work
from fangkong.zones import map as zone_map


def _offline(pg, base_url: str) -> list[str]:
    """Refuse every request that is not to the app's own server; the list collects what was tried."""
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(base_url):
            return r.continue_()
        outside.append(r.request.url)
        return r.abort()

    pg.route("**/*", route)
    return outside


def _drawn(pg, name: str = "fkCityMap") -> None:
    pg.wait_for_function(f"window.{name} && window.fkMapTiming !== undefined", timeout=20_000)


def test_map_draws_boundaries_zones_venues_and_a_case_offline(page, server, outbreak):
    _, cases = outbreak
    base = str(server.base_url).rstrip("/")
    outside = _offline(page, base)
    with unit_of_work() as s:
        zones = zone_map.zone_layers(s)
    n_zones = len(zones["no"])
    squares = len(zones["venues"]) // 3 + len(zones["cells"]) // 3
    # every open zone of the outbreak has something to draw
    assert n_zones and {z for z in zones["venues"][::3] + zones["cells"][::3]} | {a[0] for a in zones["areas"]} == \
        set(range(n_zones))

    page.goto(f"/map?case={cases[0]}")
    _drawn(page)
    assert page.locator("#map-no-boundaries").count() == 0
    option = page.evaluate("""() => { const o = window.fkCityMap.chart.getOption();
        return {map: o.geo[0].map, series: o.series.map(s => [s.id, s.name, s.type,
                (ArrayBuffer.isView(s.data) ? s.data.length / 2 : (s.data || []).length)])}; }""")
    assert option["map"] == "fk-district"
    by_name: dict[str, list] = {}
    for sid, name, kind, n in option["series"]:
        by_name.setdefault(name, []).append((sid, kind, n))
    # a zone level is one layer (legend entry) of squares (venues and grid cells) and district areas
    assert {"封控区", "管控区", "防范区"} <= set(by_name)
    zone_series = [(sid, kind, n) for name in ("封控区", "管控区", "防范区") for sid, kind, n in by_name[name]]
    assert sum(n for sid, kind, n in zone_series if kind == "scatter") == squares
    assert sum(n for sid, kind, n in zone_series if kind == "custom") == len(zones["areas"])
    assert by_name["场所"][0][1] == "scatter" and by_name["场所"][0][2] > 100
    assert by_name["病例到访场所"][0][2] >= 1
    # a square is as wide as its venue or cell at this zoom (at least 7 px)
    sizes = page.evaluate("() => window.fkCityMap.chart.getOption().series.filter(s => /^z[vc]-/.test(s.id))"
                          ".map(s => [s.id, s.symbolSize])")
    assert sizes and all(size >= 7 for _, size in sizes)
    regions = page.evaluate("() => (m => (m.geoJSON || m.geoJson).features)(echarts.getMap('fk-district')).map(f => f.properties.label)")
    assert len(regions) == 6 and "小店区" in regions
    # the text alternative: every zone on the map, and the case's places
    assert page.locator("#map-zones tbody tr").count() == n_zones
    assert page.locator("#map-zones-n").inner_text() == str(n_zones)
    assert page.locator("#map-places tbody tr").count() == by_name["病例到访场所"][0][2]
    page.screenshot(path=str(SHOTS / "map-district.png"))

    # zoom and pan: the view moves; a zone level's layer turns off from the legend
    before = page.evaluate("() => window.fkCityMap.chart.getOption().geo[0].center")
    page.evaluate("() => window.fkCityMap.pan(120, 40)")
    after = page.evaluate("() => window.fkCityMap.chart.getOption().geo[0].center")
    assert after != before
    page.evaluate("() => window.fkCityMap.toggle('防范区')")
    assert page.evaluate("() => window.fkCityMap.chart.getOption().legend[0].selected['防范区']") is False
    # zoomed in, the squares grow with the map
    before = dict(sizes)
    page.evaluate("() => window.fkCityMap.chart.dispatchAction({type: 'geoRoam', componentType: 'geo', geoIndex: 0, "
                  "zoom: 4, originX: 300, originY: 200})")
    after = dict(page.evaluate("() => window.fkCityMap.chart.getOption().series.filter(s => /^z[vc]-/.test(s.id))"
                               ".map(s => [s.id, s.symbolSize])"))
    assert all(after[k] > before[k] for k in before), (before, after)
    # communities: another boundary level in place
    page.select_option("#map-level", "community")
    page.wait_for_function("() => window.fkCityMap.chart.getOption().geo[0].map === 'fk-community'")
    assert page.evaluate("() => (m => (m.geoJSON || m.geoJson).features.length)(echarts.getMap('fk-community'))") > 100
    assert "level=community" in page.url
    page.screenshot(path=str(SHOTS / "map-community.png"))

    page.goto("/map?lang=en&level=subdistrict")
    _drawn(page)
    assert page.locator("h1").inner_text() == "Outbreak map"
    assert "sealed zone" in page.evaluate("() => window.fkCityMap.chart.getOption().series.map(s => s.name)")
    assert outside == [] and page.errors == []


def test_map_at_phone_width_and_roles(browser, server, outbreak):
    make_user("isolation", "isolation")
    make_user("verifier", "verifier")
    for role, may in (("admin", True), ("isolation", False), ("verifier", False)):
        context = browser.new_context(base_url=str(server.base_url), viewport={"width": 390, "height": 844})
        pg = context.new_page()
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))  # noqa: B023
        login(pg, role)
        answer = pg.goto("/map")
        if may:
            _drawn(pg)
            assert pg.evaluate("() => document.documentElement.scrollWidth") <= 390
            box = pg.locator("#city-map").bounding_box()
            assert box["width"] <= 390 and box["height"] >= 300
            pg.screenshot(path=str(SHOTS / "map-phone.png"))
            assert errors == []
        else:
            assert answer.status == 403
            assert pg.locator("#menu a[href='/map']").count() == 0
        context.close()


def _lines(page) -> int:
    """The links the chains graph draws now (the lines series' data)."""
    return page.evaluate("() => window.fkChainsView.graph.getModel().getSeries().filter(m => m.subType === 'lines')"
                         ".reduce((a, m) => a + m.getData().count(), 0)")


def test_chains_view_filters_and_evidence_offline(page, server, outbreak):
    from fangkong.contacts import chains
    from fangkong.settings import get_settings

    _, cases = outbreak
    outside = _offline(page, str(server.base_url).rstrip("/"))
    with unit_of_work() as s:
        data = chains.city_chains(s, tz=get_settings().zone)
    assert set(cases) <= set(data["no"])
    page.goto("/chains")
    try:
        page.wait_for_function("() => window.fkChainsReady && window.fkChainsTiming !== undefined", timeout=20_000)
    except Exception:
        raise AssertionError(page.errors) from None
    page.evaluate("() => window.fkChainsReady.then(() => true)")   # the table follows the graph
    n = len(data["no"])
    assert page.locator("#cf-n-cases").inner_text() == str(n)
    assert page.locator("#cf-n-links").inner_text() == str(sum(1 for s in data["src"] if s >= 0))
    assert page.locator("#chains-table tbody tr").count() == n
    drawn = page.evaluate("() => window.fkChainsView.graph.getOption().series.filter(s => s.type === 'scatter')"
                          ".reduce((a, s) => a + (ArrayBuffer.isView(s.data) ? s.data.length / 2 : s.data.length), 0)")
    assert drawn == n
    # a click on a point names its case (the points are typed arrays: caseOf maps them back)
    first = page.evaluate("() => window.fkChainsView.caseOf({componentType: 'series', seriesId: 'gen-1', dataIndex: 0})")
    assert 0 <= first < n and data["gen"][first] == 1
    assert page.locator("#chains-timeline canvas").count() == 1
    page.screenshot(path=str(SHOTS / "chains.png"), full_page=True)

    # a district: only its cases; back to all; a date range that holds nothing
    district = data["districts"][data["district"][0]]
    page.select_option("#cf-district", str(data["district"][0]))
    expected = sum(1 for d in data["district"] if data["districts"][d] == district)
    page.wait_for_function(f"() => document.getElementById('cf-n-cases').textContent === '{expected}'")
    page.select_option("#cf-district", "-1")
    page.fill("#cf-to", "2020-01-01")
    page.dispatch_event("#cf-to", "change")
    page.wait_for_function("() => document.getElementById('cf-n-cases').textContent === '0'")
    page.wait_for_function("() => document.querySelectorAll('#chains-table tbody tr').length === 0")
    # the district of a case whose source lives in another: that source is left out, its link neither drawn nor counted
    across = [i for i, s in enumerate(data["src"]) if s >= 0 and data["district"][s] != data["district"][i]]
    assert across, "the outbreak has a link across two districts"
    district = data["district"][across[0]]
    page.evaluate(f"() => {{ document.getElementById('cf-to').value = '2099-01-01'; "
                  f"document.getElementById('cf-district').value = '{district}'; return window.fkChainsApply(); }}")
    shown = {i for i, d in enumerate(data["district"]) if d == district}
    links = sum(1 for i in shown if data["src"][i] >= 0 and data["src"][i] in shown)
    assert links < sum(1 for i in shown if data["src"][i] >= 0)   # the filter does leave a source out
    assert page.locator("#cf-n-links").inner_text() == str(links) == str(_lines(page))
    page.select_option("#cf-district", "-1")
    page.evaluate("() => { document.getElementById('cf-to').value = '2099-01-01'; return window.fkChainsApply(); }")
    # every link between shown cases drawn, after filters came and went (the lines series are new at each draw)
    assert _lines(page) == sum(1 for s in data["src"] if s >= 0)
    # a link's evidence, from its row
    if any(s >= 0 for s in data["src"]):
        page.locator("#chains-table button[data-case]").first.click()
        page.wait_for_selector("#chains-evidence h3")
        assert "→" in page.locator("#chains-evidence h3").inner_text()
        page.evaluate("() => window.fkChainsView.pan(10, 60)")
    page.goto("/chains?lang=en")
    page.wait_for_function("() => window.fkChainsReady && window.fkChainsTiming !== undefined", timeout=20_000)
    assert page.locator("h1").inner_text() == "Transmission chains of the city"
    assert outside == [] and page.errors == []


def test_chains_for_the_roles_that_read_cases(browser, server, outbreak):
    for role, may in (("isolation", True), ("verifier", False), ("lab", False)):
        make_user(role, role)
        context = browser.new_context(base_url=str(server.base_url), viewport={"width": 390, "height": 844})
        pg = context.new_page()
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))  # noqa: B023
        login(pg, role)
        answer = pg.goto("/chains")
        if may:
            pg.wait_for_function("() => window.fkChainsReady && window.fkChainsTiming !== undefined", timeout=20_000)
            assert pg.evaluate("() => document.documentElement.scrollWidth") <= 390
            pg.screenshot(path=str(SHOTS / "chains-phone.png"))
            assert errors == []
        else:
            assert answer.status == 403 and pg.locator("#menu a[href='/chains']").count() == 0
        context.close()
