/**
 * What the HTML report inlines so it needs no network: its stylesheet, the uPlot charting library
 * (its minified build and CSS, read from the installed `uplot` package at render time) and the
 * small script that draws each backfill's charts from the data embedded in the page.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/**
 * Module state on purpose: a load-once cache of two files of the installed package, which do not
 * change while the process runs; read on the first HTML report, never at start-up.
 */
let cached: { js: string; css: string } | undefined;

/** uPlot's minified browser build and stylesheet. */
export function uplotAssets(): { js: string; css: string } {
  cached ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return cached;
}

/** The report's own stylesheet: readable on a phone, printable, no web fonts. */
export const REPORT_CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--info:#0969da}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1120px;margin:0 auto;padding:24px 20px 64px}
h1{font-size:1.7em;margin:0 0 8px;line-height:1.25}
h2{font-size:1.3em;margin:36px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:1.05em;margin:20px 0 8px}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:var(--soft);padding:1px 4px;border-radius:4px;word-break:break-word}
pre{background:var(--soft);padding:10px 12px;border-radius:6px;overflow-x:auto;white-space:pre}
pre code{background:none;padding:0}
.scroll{overflow-x:auto;margin:8px 0 12px}
table{border-collapse:collapse;min-width:100%;font-size:14px}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.n,th.n{text-align:right;white-space:nowrap}
.meta td:first-child{font-weight:600;white-space:nowrap;width:1%}
.badge{display:inline-block;white-space:nowrap;font-size:13px;padding:0 8px;border-radius:10px;border:1px solid var(--line);background:var(--soft)}
.s-completed,.s-pass,.s-open{color:var(--ok);border-color:#aceebb;background:#dafbe1}
.s-failed,.s-fail,.s-error,.s-closed{color:var(--bad);border-color:#ffcecb;background:#ffebe9}
.s-warn,.s-waiting{color:var(--warn);border-color:#f5e0a0;background:#fff8c5}
.s-running,.s-in_progress{color:var(--info);border-color:#b6e3ff;background:#ddf4ff}
.callout{border-left:4px solid var(--info);background:#ddf4ff;padding:8px 12px;border-radius:4px;margin:12px 0}
.callout.bad{border-color:var(--bad);background:#ffebe9}.callout.warn{border-color:var(--warn);background:#fff8c5}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card b{display:block;font-size:1.35em}
.card span{color:var(--muted);font-size:13px}
nav{font-size:14px;color:var(--muted);margin:8px 0 0;display:flex;flex-wrap:wrap;gap:2px 14px}
nav a{color:var(--info);text-decoration:none;white-space:nowrap}
details{margin:6px 0}
summary{cursor:pointer;color:var(--info)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px;margin:12px 0}
.chart{border:1px solid var(--line);border-radius:8px;padding:8px;min-height:250px;overflow:hidden}
.chart h4{margin:0 0 4px;font-size:14px}
.muted{color:var(--muted)}
footer{margin-top:40px;color:var(--muted);font-size:13px}
@media (max-width:640px){main{padding:14px 10px 40px}h1{font-size:1.35em}body{font-size:14px}th,td{padding:4px 6px}}
@media print{nav,.noprint{display:none}main{max-width:none;padding:0}h2{break-after:avoid}tr,.chart,.card{break-inside:avoid}pre{white-space:pre-wrap}a{color:inherit;text-decoration:none}summary{color:inherit}}
`;

/** Draws the charts: reads `#tm-data`, one uPlot per chart element, resized with the page and for print. */
export const CHART_SCRIPT = `
(function () {
  var el = document.getElementById('tm-data');
  if (!el || typeof uPlot === 'undefined') return;
  var data = JSON.parse(el.textContent);
  var charts = [];
  function width(node) { return Math.max(240, node.clientWidth - 16); }
  function opts(node, ylabel, series) {
    return {
      width: width(node), height: 210, scales: { x: { time: false } },
      axes: [{ label: 'seconds since the first batch', size: 40 }, { label: ylabel, size: 60 }],
      series: [{ label: 's' }].concat(series), legend: { show: true }
    };
  }
  data.backfills.forEach(function (b, i) {
    var s = b.series, few = s.t.length < 40;
    var rate = document.getElementById('tm-rate-' + i), ms = document.getElementById('tm-ms-' + i);
    if (rate) charts.push([rate, new uPlot(opts(rate, 'rows/s', [
      { label: 'rows/s', stroke: '#0969da', width: 2, fill: 'rgba(9,105,218,0.08)', points: { show: few } }
    ]), [s.t, s.rowsPerSecond], rate)]);
    if (ms) charts.push([ms, new uPlot(opts(ms, 'ms', [
      { label: 'batch ms (mean)', stroke: '#1a7f37', width: 2, points: { show: few } },
      { label: 'batch ms (max)', stroke: '#cf222e', width: 1, dash: [4, 4], points: { show: few } }
    ]), [s.t, s.batchMs, s.batchMsMax], ms)]);
  });
  function resize() { charts.forEach(function (c) { c[1].setSize({ width: width(c[0]), height: 210 }); }); }
  var t; window.addEventListener('resize', function () { clearTimeout(t); t = setTimeout(resize, 100); });
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details').forEach(function (d) { d.setAttribute('open', ''); });
    resize();
  });
  document.documentElement.setAttribute('data-charts', String(charts.length));
})();
`;
