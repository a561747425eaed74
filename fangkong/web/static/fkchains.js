/* The city's transmission chains (issue 26), drawn by ECharts on a canvas: cases as points, links from each case's
   likely source, close contacts as counts (in the tooltip and the table; the point's size when few are shown), and a
   timeline of new cases a day by generation. Laid out once, in the browser, in O(cases): x is the declared day, each
   cluster a band of rows (the largest on top, sporadic cases at the bottom), cases of one cluster and day stacked.
   Filters only hide: 10 000 cases redraw in one setOption (large mode for the points and the links).

   fkChains(graphEl, timelineEl, data, words) -> {graph, timeline, apply(filter) -> Promise, pan(start, end) -> Promise,
                                                shown: indexes of the cases shown}
     data: /chains/data.json;   filter: {from, to (days), district (index or -1), cluster (label or -1), minSize}
   window.fkChainsTiming: the last draw's milliseconds, from setOption (or the zoom) to ECharts' 'finished'. */
(function () {
  const GEN_COLOURS = ['#8b1a1a', '#d84315', '#f9a825', '#6d4c41'];
  const CAT_COLOURS = ['#c62828', '#ef6c00', '#1565c0', '#78909c'];
  const DAY = 86400000;

  function layout(d) {
    const n = d.no.length, size = new Map(), y = new Float64Array(n);
    for (const c of d.cluster) size.set(c, (size.get(c) || 0) + 1);
    const labels = [...size.keys()].sort((a, b) => a - b);  // 0 = the largest
    let top = 0;
    const base = new Map(), stack = new Map();
    for (const c of labels) {
      if (size.get(c) === 1) continue;  // sporadic cases share the bottom band
      base.set(c, top);
      let tallest = 0;
      for (let i = 0; i < n; i++) if (d.cluster[i] === c) {
        const k = c + ':' + d.day[i], h = stack.get(k) || 0;
        stack.set(k, h + 1); y[i] = -(top + h); tallest = Math.max(tallest, h + 1);
      }
      top += tallest + 1;
    }
    for (let i = 0; i < n; i++) if (size.get(d.cluster[i]) === 1) {
      const k = 'sporadic:' + d.day[i], h = stack.get(k) || 0;
      stack.set(k, h + 1); y[i] = -(top + h);
    }
    return {y, size};
  }

  function dayText(day) { const t = new Date(Math.round(day) * DAY); return isNaN(t) ? '' : t.toISOString().slice(0, 10); }

  window.fkChains = function (graphEl, timelineEl, data, words) {
    const d = data, n = d.no.length, {y, size} = layout(d);
    const graph = echarts.init(graphEl, null, {renderer: 'canvas'});
    const timeline = echarts.init(timelineEl, null, {renderer: 'canvas'});
    const api = {graph, timeline, shown: []};

    function timed(chart, draw) {
      return new Promise(resolve => {
        const t0 = performance.now();
        chart.off('finished');
        chart.on('finished', () => { chart.off('finished'); window.fkChainsTiming = performance.now() - t0; resolve(); });
        draw();
      });
    }

    function tooltip(i) {
      const src = d.src[i] >= 0 ? d.no[d.src[i]] : (words.noSource || '');
      return d.no[i] + '<br>' + dayText(d.day[i]) + ' · ' + (d.district_names[d.district[i]] || '') +
        '<br>' + (words.generation || 'generation') + ' ' + d.gen[i] + ' · ' + (words.contacts || 'contacts') + ' ' + d.contacts[i] +
        '<br>' + (words.source || 'source') + ': ' + src + (d.cat[i] >= 0 ? ' (' + (words.categories[d.categories[d.cat[i]]] || '') + ')' : '');
    }

    function series(shown) {
      const visible = new Uint8Array(n);
      for (const i of shown) visible[i] = 1;
      const few = shown.length <= 3000;
      const points = GEN_COLOURS.map(() => []), links = CAT_COLOURS.map(() => []);
      for (const i of shown) {
        points[Math.min(d.gen[i], 4) - 1].push([d.day[i], y[i], i]);
        const s = d.src[i];
        if (s >= 0 && visible[s]) links[Math.max(d.cat[i], 0)].push([[d.day[s], y[s]], [d.day[i], y[i]]]);
      }
      const out = d.categories.map((c, k) => ({
        id: 'links-' + c, name: words.categories[c] || c, type: 'lines', coordinateSystem: 'cartesian2d', large: true,
        largeThreshold: 500, polyline: false, silent: true, z: 1, data: links[k],
        lineStyle: {color: CAT_COLOURS[k], width: 1, opacity: 0.55}}));
      GEN_COLOURS.forEach((colour, g) => out.push({
        id: 'gen-' + (g + 1), name: (words.generation || 'generation') + ' ' + (g === 3 ? '4+' : g + 1), type: 'scatter',
        large: !few, largeThreshold: 3000, z: 3, data: points[g], itemStyle: {color: colour},
        symbolSize: few ? (v => 5 + Math.min(12, Math.sqrt(d.contacts[v[2]]))) : 4,
        tooltip: {formatter: p => tooltip(p.data[2])}}));
      return out;
    }

    function timelineOption(shown) {
      if (!shown.length) return {series: [0, 1, 2, 3].map(g => ({id: 'tl-' + g, data: []})), xAxis: {data: []}};
      let lo = Infinity, hi = -Infinity;
      for (const i of shown) { lo = Math.min(lo, d.day[i]); hi = Math.max(hi, d.day[i]); }
      const counts = [0, 1, 2, 3].map(() => new Array(hi - lo + 1).fill(0));
      for (const i of shown) counts[Math.min(d.gen[i], 4) - 1][d.day[i] - lo] += 1;
      const days = counts[0].map((_, k) => dayText(lo + k).slice(5));
      return {xAxis: {data: days}, series: counts.map((c, g) => ({id: 'tl-' + g, data: c}))};
    }

    graph.setOption({
      animation: false,
      tooltip: {trigger: 'item', confine: true},
      legend: {top: 0, type: 'scroll'},
      grid: {left: 8, right: 8, top: 30, bottom: 56, containLabel: true},
      xAxis: {type: 'value', scale: true, axisLabel: {formatter: v => (Number.isInteger(v) ? dayText(v).slice(5) : '')},
              minInterval: 1, axisLine: {onZero: false},
              splitLine: {show: true, lineStyle: {color: '#eef1f4'}}},
      yAxis: {type: 'value', show: false, scale: true},
      dataZoom: [{type: 'inside', xAxisIndex: 0, filterMode: 'none'}, {type: 'inside', yAxisIndex: 0, filterMode: 'none'},
                 {type: 'slider', xAxisIndex: 0, filterMode: 'none', height: 18, bottom: 8, labelFormatter: v => dayText(v).slice(5)}],
      series: [],
    });
    timeline.setOption({
      animation: false,
      tooltip: {trigger: 'axis'},
      legend: {top: 0},
      grid: {left: 8, right: 8, top: 28, bottom: 4, containLabel: true},
      xAxis: {type: 'category', data: []}, yAxis: {type: 'value', minInterval: 1},
      series: [0, 1, 2, 3].map(g => ({id: 'tl-' + g, type: 'bar', stack: 'gen', data: [], itemStyle: {color: GEN_COLOURS[g]},
                                      name: (words.generation || 'generation') + ' ' + (g === 3 ? '4+' : g + 1)})),
    });

    api.apply = function (f) {
      const shown = [];
      for (let i = 0; i < n; i++) {
        if (d.day[i] < f.from || d.day[i] > f.to) continue;
        if (f.district >= 0 && d.district[i] !== f.district) continue;
        if (f.cluster >= 0 && d.cluster[i] !== f.cluster) continue;
        if (size.get(d.cluster[i]) < (f.minSize || 1)) continue;
        shown.push(i);
      }
      api.shown = shown;
      timeline.setOption(timelineOption(shown));
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity;
      for (const i of shown) { x0 = Math.min(x0, d.day[i]); x1 = Math.max(x1, d.day[i]); y0 = Math.min(y0, y[i]); }
      const axes = shown.length ? {xAxis: {min: x0 - 0.5, max: x1 + 0.5}, yAxis: {min: y0 - 1, max: 1}}
                                : {xAxis: {min: null, max: null}, yAxis: {min: null, max: null}};
      return timed(graph, () => graph.setOption(Object.assign(axes, {series: series(shown)}), {replaceMerge: ['series']}));
    };
    // pan or zoom the days shown (percent of the whole), as the slider or a drag does
    api.pan = (start, end) => timed(graph, () => graph.dispatchAction({type: 'dataZoom', dataZoomIndex: 2, start, end}));
    api.clusterSizes = size;
    window.addEventListener('resize', () => { graph.resize(); timeline.resize(); });
    return api;
  };
})();
