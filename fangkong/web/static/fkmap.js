/* fangkong's map (issue 26): the imported jurisdiction boundaries (GET /map/boundaries.json) drawn by ECharts' geo
   component: no tiles, nothing fetched from outside. Layers: zones as areas (one legend entry per level turns the
   level on and off), grid cells as squares, venues and a case's places as points. Zoom and pan with the wheel, a
   drag or a pinch.

   fkMap(element, {level, lang, names, zones | zonesUrl, onZones, places, cells, venues})
       -> {chart, ready: Promise, zones, setLevel(level), pan(dx, dy), toggle(name)}  (each a Promise: drawn)
     zones:   the zones' layers in columns (fangkong.zones.map.zone_layers), or zonesUrl to fetch them;
              onZones(zones) is called with them before they are drawn (the page's table)
     places:  [{name, kind, value: [lon, lat], start}]      cells: [{name, ring: [[lon, lat], ...]}]
     venues:  true to load every venue (GET /map/venues.json) as a layer
     names:   the page's words for the legend and tooltips (sealed, controlled, precaution, venues, places, cells,
              proposed)
   A zone's venue or grid cell is a square symbol sized in metres at the current zoom (never under 7 px): a pan
   moves the points, it does not redraw 6 500 polygons. Venues: about 8 000 in view (every 2nd, 4th, ... venue at
   the city's zoom; all of them zoomed in), taken anew at a zoom. window.fkMapTiming: the last draw's milliseconds (fkdrawn.js). */
(function () {
  const COLOURS = {sealed: '#c62828', controlled: '#ef6c00', precaution: '#1565c0'};
  const LEVELS = ['precaution', 'controlled', 'sealed'];  // drawn bottom to top
  const OPACITY = {approved: 0.55, proposed: 0.25};
  const MIN_PX = 7, M_PER_DEG = 111320;
  const IN_VIEW = 8000;  // about this many venues drawn in view

  function bounds(points) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const [x, y] of points) {
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    return isFinite(x0) ? [x0, y0, x1, y1] : [112.4, 37.7, 112.7, 38.0];
  }

  // a map with no imported boundaries: an invisible box around what there is to draw, so the layers still show
  function emptyGeo(points) {
    const [x0, y0, x1, y1] = bounds(points), pad = Math.max(x1 - x0, y1 - y0, 0.01) * 0.1;
    return {type: 'FeatureCollection', features: [{type: 'Feature', properties: {name: '-', label: ''},
      geometry: {type: 'Polygon', coordinates: [[[x0 - pad, y0 - pad], [x1 + pad, y0 - pad], [x1 + pad, y1 + pad],
                                                 [x0 - pad, y1 + pad], [x0 - pad, y0 - pad]]]}}]};
  }

  // district places of zones (and a case's cells): polygons, one data item per area
  function areaSeries(name, items, colour, id) {
    return {
      id, type: 'custom', name, coordinateSystem: 'geo', silent: false, z: 3, progressive: 0,
      data: items.map((it, i) => ({value: [it.rings[0][0][0], it.rings[0][0][1], i], name: it.label})),
      renderItem(params, api) {
        const it = items[params.dataIndex];
        const style = {fill: colour, opacity: it.opacity, stroke: colour, lineWidth: 1};
        return {type: 'group', children: it.rings.map(ring => {
          const pts = ring.map(p => api.coord(p));
          let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
          for (const [x, y] of pts) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
          if (x1 - x0 < MIN_PX && y1 - y0 < MIN_PX) {  // at city zoom: still a square one can see and point at
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
    const names = opts.names || {}, places = opts.places || [], cells = opts.cells || [];
    const chart = echarts.init(el, null, {renderer: 'canvas'});
    let level = opts.level || 'district', venues = null, labels = {}, zones = null, perMetre = 0, ref = [112.5, 37.9];
    let squares = [];  // the ids and metres across of the zones' square series
    const api = {chart};

    function zoneLabel(z) {
      return (zones.no[z] ? zones.no[z] + ' ' : '') + zones.name[z] +
        (zones.status[z] === 'proposed' && names.proposed ? ' (' + names.proposed + ')' : '');
    }

    // the zones' squares: per level and approval, one series of venue squares and one of grid cells (large mode
    // past 2 000), ids 'zv-<level>-<status>' and 'zc-<level>-<status>'; the legend turns a level's all on or off
    function squareSeries(l, status, kind, points) {
      squares.push({id: 'z' + kind + '-' + l + '-' + status, metres: kind === 'v' ? zones.venue_m : zones.cell_m});
      return {
        id: 'z' + kind + '-' + l + '-' + status, type: 'scatter', name: names[l] || l, coordinateSystem: 'geo', z: 3,
        symbol: 'rect', symbolSize: MIN_PX, large: true, largeThreshold: 2000, progressive: 0, data: points,
        itemStyle: {color: COLOURS[l], opacity: OPACITY[status] ?? 0.55}, emphasis: {scale: false},
        tooltip: {formatter: p => zoneLabel(p.data[2])}};
    }

    function zoneSeries() {
      const out = [], groups = {};
      squares = [];
      for (const l of LEVELS) for (const st of ['approved', 'proposed']) groups[l + '-' + st] = {v: [], c: []};
      const add = (list, key) => {
        for (let i = 0; i < list.length; i += 3) {
          const z = list[i], g = groups[zones.level[z] + '-' + (zones.status[z] === 'proposed' ? 'proposed' : 'approved')];
          if (g) g[key].push([list[i + 1], list[i + 2], z]);
        }
      };
      add(zones.venues, 'v');
      add(zones.cells, 'c');
      for (const l of LEVELS) {
        for (const st of ['approved', 'proposed']) {
          const g = groups[l + '-' + st];
          if (st === 'approved' || g.v.length) out.push(squareSeries(l, st, 'v', g.v));  // every level in the legend
          if (g.c.length) out.push(squareSeries(l, st, 'c', g.c));
        }
        const areas = zones.areas.filter(([z]) => zones.level[z] === l).map(([z, code]) => ({
          rings: zones.shapes[code], label: zoneLabel(z), opacity: OPACITY[zones.status[z]] ?? 0.55}));
        if (areas.length) out.push(areaSeries(names[l] || l, areas, COLOURS[l], 'za-' + l));
      }
      return out;
    }

    // one metre on screen now (the map's projection is linear: any point will do)
    function pixelsPerMetre() {
      const a = chart.convertToPixel({geoIndex: 0}, ref), b = chart.convertToPixel({geoIndex: 0}, [ref[0], ref[1] + 0.01]);
      return a && b ? Math.abs(a[1] - b[1]) / (0.01 * M_PER_DEG) : 0;
    }

    // the venues drawn: every stride-th (a power of two), so that about IN_VIEW are in view: at the city's zoom a
    // sample of the city's 40 000 (the same haze, a sixth of the drawing), all of them once zoomed into a district
    let stride = 1, fitted = 0;  // fitted: pixels per metre of the first view (the whole map)
    function strideAt(k) {
      if (!venues || !fitted) return 1;
      const inView = venues.lon.length / Math.max(1, (k / fitted) ** 2);
      return 2 ** Math.max(0, Math.ceil(Math.log2(inView / IN_VIEW)));
    }

    function venuePoints() {
      const n = Math.ceil(venues.lon.length / stride), out = new Float64Array(2 * n);
      for (let j = 0; j < n; j++) { out[2 * j] = venues.lon[j * stride]; out[2 * j + 1] = venues.lat[j * stride]; }
      return out;
    }

    // after a zoom the squares take their new size and the venues their sample (a pan changes nothing: the points
    // move with the map)
    function resize() {
      const k = pixelsPerMetre();
      if (!k || Math.abs(k - perMetre) <= perMetre * 1e-3) return;
      perMetre = k;
      const update = squares.map(q => ({id: q.id, symbolSize: Math.max(MIN_PX, q.metres * k)}));
      const s = strideAt(k);
      if (s !== stride) {
        stride = s;
        update.push({id: 'venues', data: venuePoints()});
      }
      if (update.length) chart.setOption({series: update});
    }

    function series() {
      const out = zones ? zoneSeries() : [];
      if (cells.length) {
        out.push(areaSeries(names.cells || 'cells', cells.map(c => ({rings: [c.ring], label: c.name, opacity: 0.35})),
                            '#6a1b9a', 'cells'));
      }
      if (venues) {
        const v = venues;
        out.push({id: 'venues', type: 'scatter', name: names.venues || 'venues', coordinateSystem: 'geo', large: true,
                  largeThreshold: 1, progressive: 0, symbolSize: 3, itemStyle: {color: '#546e7a', opacity: 0.6}, z: 4,
                  data: venuePoints(), tooltip: {formatter: p => {
                    const i = p.dataIndex * stride, kind = v.kinds[v.kind[i]];
                    return v.name[i] + ' (' + (names[kind] || kind) + ')';
                  }}});
      }
      if (places.length) {
        out.push({id: 'places', type: 'scatter', name: names.places || 'places', coordinateSystem: 'geo', symbolSize: 11,
                  z: 6, itemStyle: {color: '#8b1a1a', borderColor: '#fff', borderWidth: 1},
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

    function everyPoint() {
      const out = places.map(p => p.value);
      for (const c of cells) out.push(...c.ring);
      if (zones) {
        for (const list of [zones.venues, zones.cells]) for (let i = 0; i < list.length; i += 3) out.push([list[i + 1], list[i + 2]]);
        for (const [, code] of zones.areas) for (const ring of zones.shapes[code]) out.push(...ring);
      }
      return out;
    }

    function load(l) {
      return fetch('/map/boundaries.json?level=' + encodeURIComponent(l) + '&lang=' + (opts.lang || 'zh'),
                   {credentials: 'same-origin'})
        .then(r => (r.ok ? r.json() : {features: []}))
        .then(geo => {
          const names = {};
          for (const f of geo.features) names[f.properties.name] = f.properties.label;
          return {geo, names};
        });
    }

    function register(l, loaded) {
      labels = loaded.names;
      const first = loaded.geo.features.length ? loaded.geo.features[0].geometry.coordinates.flat(3) : everyPoint().flat();
      if (first.length >= 2 && isFinite(first[0]) && isFinite(first[1])) ref = [first[0], first[1]];
      const mapName = 'fk-' + l;
      echarts.registerMap(mapName, loaded.geo.features.length ? loaded.geo : emptyGeo(everyPoint()));
      return mapName;
    }

    const json = url => fetch(url, {credentials: 'same-origin'}).then(r => (r.ok ? r.json() : null));
    api.ready = Promise.all([
      load(level),
      opts.zonesUrl ? json(opts.zonesUrl) : Promise.resolve(opts.zones || null),
      opts.venues ? json('/map/venues.json') : Promise.resolve(null),
    ]).then(([boundaries, z, v]) => {
      zones = api.zones = z;
      venues = v;
      if (zones && opts.onZones) opts.onZones(zones);
      const mapName = register(level, boundaries);
      // the first view shows the whole map: its sample of the venues is known before anything is drawn
      stride = venues ? 2 ** Math.max(0, Math.ceil(Math.log2(venues.lon.length / IN_VIEW))) : 1;
      return window.fkDrawn(chart, () => {
        chart.setOption(option(mapName), true);
        perMetre = 0; fitted = pixelsPerMetre();
        resize();
      }, 'fkMapTiming');
    });

    chart.on('georoam', resize);
    window.addEventListener('resize', () => { chart.resize(); resize(); });
    api.setLevel = l => {
      level = l;
      return load(l).then(loaded => window.fkDrawn(chart, () => { chart.setOption({geo: {map: register(l, loaded)}}); resize(); },
                                                   'fkMapTiming'));
    };
    // pan by (dx, dy) pixels as a drag does, and a layer on or off as the legend does; each resolves when drawn
    api.pan = (dx, dy) => window.fkDrawn(chart, () => chart.dispatchAction({type: 'geoRoam', componentType: 'geo', geoIndex: 0, dx, dy}), 'fkMapTiming');
    api.toggle = name => window.fkDrawn(chart, () => chart.dispatchAction({type: 'legendToggleSelect', name}), 'fkMapTiming');
    return api;
  };
})();
