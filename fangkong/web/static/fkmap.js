/* fangkong's map (issue 26): the imported jurisdiction boundaries (GET /map/boundaries.json) drawn by ECharts' geo
   component: no tiles, nothing fetched from outside. Layers: zones as areas (one series per level: the legend turns
   each level on and off), grid cells as squares, venues and a case's places as points. Zoom and pan with the wheel,
   a drag or a pinch.

   fkMap(element, {level, lang, names, zones, places, cells, venues}) -> {chart, setLevel(level), ready: Promise}
     zones:  [{no, name, level, status, rings: [[[lon, lat], ...], ...]}]
     places: [{name, kind, value: [lon, lat], start}]      cells: [{name, ring: [[lon, lat], ...]}]
     venues: true to load every venue (GET /map/venues.json) as a layer
     names:  the page's words for the legend and tooltips (sealed, controlled, precaution, venues, places, cells)
   window.fkMapTiming (for bench/map_chains.py): the last render's milliseconds, from setOption to 'finished'. */
(function () {
  const COLOURS = {sealed: '#c62828', controlled: '#ef6c00', precaution: '#1565c0'};
  const LEVELS = ['precaution', 'controlled', 'sealed'];  // drawn bottom to top
  const MIN_PX = 7;

  function bounds(points) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const [x, y] of points) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
    return isFinite(x0) ? [x0, y0, x1, y1] : [112.4, 37.7, 112.7, 38.0];
  }

  // a map with no imported boundaries: an invisible box around what there is to draw, so the layers still show
  function emptyGeo(points) {
    const [x0, y0, x1, y1] = bounds(points), pad = Math.max(x1 - x0, y1 - y0, 0.01) * 0.1;
    return {type: 'FeatureCollection', features: [{type: 'Feature', properties: {name: '-', label: ''},
      geometry: {type: 'Polygon', coordinates: [[[x0 - pad, y0 - pad], [x1 + pad, y0 - pad], [x1 + pad, y1 + pad],
                                                 [x0 - pad, y1 + pad], [x0 - pad, y0 - pad]]]}}]};
  }

  function areaSeries(name, items, colour, opacity) {
    // one data item per area: its first corner places it; renderItem draws every ring of it in map coordinates
    return {
      type: 'custom', name, coordinateSystem: 'geo', silent: false, z: 3,
      data: items.map((it, i) => ({value: [it.rings[0][0][0], it.rings[0][0][1], i], name: it.label})),
      renderItem(params, api) {
        const it = items[params.dataIndex];
        const style = {fill: colour, opacity: it.opacity ?? opacity, stroke: colour, lineWidth: 1};
        return {type: 'group', children: it.rings.map(ring => {
          const pts = ring.map(p => api.coord(p));
          const xs = pts.map(p => p[0]), ys = pts.map(p => p[1]);
          const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
          if (x1 - x0 < MIN_PX && y1 - y0 < MIN_PX) {  // a venue at city zoom: still a square one can see and point at
            const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
            return {type: 'rect', shape: {x: cx - MIN_PX / 2, y: cy - MIN_PX / 2, width: MIN_PX, height: MIN_PX}, style};
          }
          return {type: 'polygon', shape: {points: pts}, style};
        })};
      },
      itemStyle: {color: colour},
      tooltip: {formatter: p => p.name},
    };
  }

  window.fkMap = function (el, opts) {
    const names = opts.names || {}, zones = opts.zones || [], places = opts.places || [], cells = opts.cells || [];
    const chart = echarts.init(el, null, {renderer: 'canvas'});
    let level = opts.level || 'district', venues = null, labels = {};
    const all = [].concat(...zones.map(z => z.rings.flat()), places.map(p => p.value), ...cells.map(c => c.ring));

    function series() {
      const out = LEVELS.map(l => areaSeries(names[l] || l, zones.filter(z => z.level === l && z.rings.length).map(z => ({
        rings: z.rings, label: (z.no || '') + ' ' + z.name, opacity: z.status === 'proposed' ? 0.25 : 0.55})),
        COLOURS[l], 0.55));
      if (cells.length) {
        out.push(areaSeries(names.cells || 'cells', cells.map(c => ({rings: [c.ring], label: c.name})), '#6a1b9a', 0.35));
      }
      if (venues) {
        const v = venues;
        out.push({type: 'scatter', name: names.venues || 'venues', coordinateSystem: 'geo', large: true, largeThreshold: 2000,
                  symbolSize: 3, itemStyle: {color: '#546e7a', opacity: 0.6}, z: 4,
                  data: v.lon.map((x, i) => [x, v.lat[i], i]),
                  tooltip: {formatter: p => v.name[p.data[2]] + ' (' + (names[v.kinds[v.kind[p.data[2]]]] || v.kinds[v.kind[p.data[2]]]) + ')'}});
      }
      if (places.length) {
        out.push({type: 'scatter', name: names.places || 'places', coordinateSystem: 'geo', symbolSize: 11, z: 6,
                  itemStyle: {color: '#8b1a1a', borderColor: '#fff', borderWidth: 1},
                  data: places.map(p => ({name: p.name, value: p.value, start: p.start, kind: p.kind})),
                  tooltip: {formatter: p => (p.data.start ? p.data.start + ' ' : '') + p.data.name}});
      }
      return out;
    }

    function option(mapName) {
      return {
        animation: false,
        tooltip: {trigger: 'item', confine: true},
        legend: {bottom: 0, type: 'scroll'},
        geo: {map: mapName, roam: true, scaleLimit: {min: 0.8, max: 60}, aspectScale: Math.cos(37.87 * Math.PI / 180),
              top: 10, bottom: 40, left: 10, right: 10, selectedMode: false,
              label: {show: false}, emphasis: {label: {show: true, formatter: p => labels[p.name] || ''},
                                               itemStyle: {areaColor: '#e3ecf5'}},
              itemStyle: {areaColor: '#f7f9fb', borderColor: '#7a8a99', borderWidth: 0.8},
              tooltip: {show: true, formatter: p => labels[p.name] || ''}},
        series: series(),
      };
    }

    function timed(draw) {
      return new Promise(resolve => {
        const t0 = performance.now();
        chart.off('finished');
        chart.on('finished', () => { chart.off('finished'); window.fkMapTiming = performance.now() - t0; resolve(); });
        draw();
      });
    }

    function render(opt, notMerge) { return timed(() => chart.setOption(opt, notMerge)); }

    function load(l) {
      return fetch('/map/boundaries.json?level=' + encodeURIComponent(l) + '&lang=' + (opts.lang || 'zh'),
                   {credentials: 'same-origin'})
        .then(r => (r.ok ? r.json() : {features: []}))
        .then(geo => {
          labels = {};
          for (const f of geo.features) labels[f.properties.name] = f.properties.label;
          const mapName = 'fk-' + l;
          echarts.registerMap(mapName, geo.features.length ? geo : emptyGeo(all));
          return mapName;
        });
    }

    const ready = Promise.all([load(level), opts.venues ? fetch('/map/venues.json', {credentials: 'same-origin'})
      .then(r => (r.ok ? r.json() : null)) : Promise.resolve(null)])
      .then(([mapName, v]) => { venues = v; return render(option(mapName), true); });

    window.addEventListener('resize', () => chart.resize());
    return {
      chart, ready,
      setLevel(l) { level = l; return load(l).then(mapName => render({geo: {map: mapName}}, false)); },
      // pan by (dx, dy) pixels as a drag does, and a layer on or off as the legend does; each resolves when drawn
      pan(dx, dy) { return timed(() => chart.dispatchAction({type: 'geoRoam', componentType: 'geo', geoIndex: 0, dx, dy})); },
      toggle(name) { return timed(() => chart.dispatchAction({type: 'legendToggleSelect', name})); },
    };
  };
})();
