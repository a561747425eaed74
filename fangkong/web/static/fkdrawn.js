/* fkDrawn(chart, act, timingName) -> Promise(ms): runs act() (a setOption or dispatchAction of an ECharts chart) and
   resolves when the chart has drawn it: ECharts' 'finished', or, should it not come ('finished' waits for every
   animation and progressive step, and never comes when nothing changed), 100 ms after the last frame painted, and
   after a second when nothing was painted at all. The milliseconds are also kept in window[timingName] (the browser
   tests and bench/map_chains.py read them). Shared by fkmap.js and fkchains.js. */
window.fkDrawn = function (chart, act, timingName) {
  return new Promise(resolve => {
    const t0 = performance.now();
    let last = null, quiet = null, done = false, acting = true, finishedEarly = false;
    const end = at => {
      if (done) return;
      done = true;
      clearTimeout(quiet); clearTimeout(limit);
      chart.off('finished', onFinished); chart.off('rendered', onRendered);
      const ms = (at ?? performance.now()) - t0;
      if (timingName) window[timingName] = ms;
      resolve(ms);
    };
    // setOption paints at once: a draw may finish inside act(), and act() may draw twice; the time is when it returns
    const onFinished = () => { if (acting) finishedEarly = true; else end(performance.now()); };
    const onRendered = () => { last = performance.now(); clearTimeout(quiet); quiet = setTimeout(() => end(last), 100); };
    chart.on('finished', onFinished);
    chart.on('rendered', onRendered);
    const limit = setTimeout(() => end(last), 1000);
    act();
    acting = false;
    if (finishedEarly) end(performance.now());
  });
};
