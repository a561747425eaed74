/* The city's transmission chains (issue 26), drawn by ECharts on a canvas: cases as points, links from each case's
   likely source, close contacts as counts (in the tooltip and the table), and a timeline of new cases a day by generation. Laid out once, in the browser, in O(cases): x is the declared day, each
   cluster a band of rows (the largest on top, sporadic cases at the bottom), cases of one cluster and day stacked.
   Filters only hide: 10 000 cases and their links redraw in one setOption from typed arrays (large mode, no
   progressive steps); a click on a point names its case (caseOf).

   fkChains(graphEl, timelineEl, data, words) -> {graph, timeline, apply(filter) -> Promise, pan(start, end) -> Promise,
                                                shown: indexes of the cases shown, caseOf(click) -> index or -1}
     data: /chains/data.json;   filter: {from, to (days), district (index or -1), cluster (label or -1), minSize}
   window.fkChainsTiming: the last draw's milliseconds, from setOption (or the zoom) to drawn (fkdrawn.js). */
(function () {
  const GEN_COLOURS = ['#8b1a1a', '#d84315', '#f9a825', '#6d4c41'];
  const CAT_COLOURS = ['#c62828', '#ef6c00', '#1565c0', '#78909c'];
  const DAY = 86400000;
  const FEW = 2000;  // up to this many cases shown, larger round points

  function layout(d) {
    const n = d.no.length, size = new Map(), y = new Float64Array(n), members = new Map();
    for (let i = 0; i < n; i++) {
      const c = d.cluster[i];
      size.set(c, (size.get(c) || 0) + 1);
      if (!members.has(c)) members.set(c, []);
      members.get(c).push(i);
    }
    const labels = [...size.keys()].sort((a, b) => a - b);  // 0 = the largest
    let top = 0;
    const stack = new Map();
    for (const c of labels) {
      if (size.get(c) === 1) continue;  // sporadic cases share the bottom band
      let tallest = 0;
      for (const i of members.get(c)) {
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

    function tooltip(i) {
      const src = d.src[i] >= 0 ? d.no[d.src[i]] : (words.noSource || '');
      return d.no[i] + '<br>' + dayText(d.day[i]) + ' · ' + (d.district_names[d.district[i]] || '') +
        '<br>' + (words.generation || 'generation') + ' ' + d.gen[i] + ' · ' + (words.contacts || 'contacts') + ' ' + d.contacts[i] +
        '<br>' + (words.source || 'source') + ': ' + src + (d.cat[i] >= 0 ? ' (' + (words.categories[d.categories[d.cat[i]]] || '') + ')' : '');
    }

    // the points by generation and the links by how they were found, as flat typed arrays drawn in ECharts' large
    // mode (no object per case, one path per series); which case a point is: index[g][point]
    const index = GEN_COLOURS.map(() => []);
    let draws = 0;
    function series(shown) {
      const visible = new Uint8Array(n), few = shown.length <= FEW;
      for (const i of shown) visible[i] = 1;
      const counts = GEN_COLOURS.map(() => 0), nLinks = CAT_COLOURS.map(() => 0);
      for (const i of shown) {
        counts[Math.min(d.gen[i], 4) - 1]++;
        if (d.src[i] >= 0 && visible[d.src[i]]) nLinks[Math.max(d.cat[i], 0)]++;
      }
      const points = counts.map(c => new Float64Array(2 * c)), links = nLinks.map(c => new Float64Array(5 * c));
      const at = GEN_COLOURS.map(() => 0), lat = CAT_COLOURS.map(() => 0);
      for (let g = 0; g < index.length; g++) index[g] = new Int32Array(counts[g]);
      for (const i of shown) {
        const g = Math.min(d.gen[i], 4) - 1, k = at[g]++;
        points[g][2 * k] = d.day[i]; points[g][2 * k + 1] = y[i]; index[g][k] = i;
        const s = d.src[i];
        if (s >= 0 && visible[s]) {
          const c = Math.max(d.cat[i], 0), o = 5 * lat[c]++, l = links[c];
          l[o] = 2; l[o + 1] = d.day[s]; l[o + 2] = y[s]; l[o + 3] = d.day[i]; l[o + 4] = y[i];
        }
      }
      // a new id each time: ECharts 5.6 merges a lines series' new typed array into the old one's length (the
      // links of a filter were not drawn); a new series takes it whole
      draws++;
      const out = d.categories.map((c, k) => ({
        id: 'links-' + c + '-' + draws, name: words.categories[c] || c, type: 'lines', coordinateSystem: 'cartesian2d', large: true,
        largeThreshold: 1, progressive: 0, polyline: false, silent: true, z: 1, data: nLinks[k] ? links[k] : [],
        lineStyle: {color: CAT_COLOURS[k], width: 1, opacity: 0.55}}));
      GEN_COLOURS.forEach((colour, g) => out.push({
        id: 'gen-' + (g + 1), name: (words.generation || 'generation') + ' ' + (g === 3 ? '4+' : g + 1), type: 'scatter',
        large: true, largeThreshold: 1, progressive: 0, z: 3, itemStyle: {color: colour}, data: counts[g] ? points[g] : [],
        symbol: few ? 'circle' : 'rect', symbolSize: few ? 6 : 4,  // squares draw faster than circles
        tooltip: {formatter: p => tooltip(index[g][p.dataIndex])}}));
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
                 {type: 'slider', xAxisIndex: 0, filterMode: 'none', showDataShadow: false, height: 18, bottom: 8, labelFormatter: v => dayText(v).slice(5)}],
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
      return window.fkDrawn(graph, () => graph.setOption(Object.assign(axes, {series: series(shown)}), {replaceMerge: ['series']}),
                           'fkChainsTiming');
    };
    // pan or zoom the days shown (percent of the whole), as the slider or a drag does
    api.pan = (start, end) => window.fkDrawn(graph, () => graph.dispatchAction({type: 'dataZoom', dataZoomIndex: 2, start, end}),
                                            'fkChainsTiming');
    api.clusterSizes = size;
    // the case a clicked point is (-1: not a case's point)
    api.caseOf = p => (p.componentType === 'series' && /^gen-/.test(p.seriesId || '') ?
      index[+p.seriesId.slice(4) - 1][p.dataIndex] ?? -1 : -1);
    window.addEventListener('resize', () => { graph.resize(); timeline.resize(); });
    return api;
  };
})();
