#include "pipeline/report_page.h"

namespace unetx::pipeline {

const std::string& report_css() {
  static const std::string kCss = R"CSS(
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #f5f7fa; --card: #fff;
        --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
header { background: #102a43; color: #f0f4f8; padding: 28px 40px 0; }
header h1 { margin: 0; font-size: 26px; font-weight: 600; }
header .sub { margin: 4px 0 0; color: #bcccdc; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 20px 0; }
.kpi { background: rgba(255,255,255,.08); border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.kpi .v { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.kpi .k { font-size: 12px; color: #bcccdc; text-transform: uppercase; letter-spacing: .04em; }
nav { display: flex; gap: 4px; flex-wrap: wrap; }
nav a { color: #d9e2ec; text-decoration: none; padding: 8px 14px; border-radius: 6px 6px 0 0; }
nav a:hover { background: var(--bg); color: var(--ink); }
main { max-width: 1280px; margin: 0 auto; padding: 8px 40px 40px; }
section { background: var(--card); border-radius: 10px; margin: 24px 0; padding: 20px 24px;
          box-shadow: 0 1px 3px rgba(16,42,67,.08); }
h2 { margin: 0 0 4px; font-size: 19px; font-weight: 600; }
.note { color: var(--muted); margin: 0 0 14px; font-size: 13px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 12px; border-bottom: 1px solid var(--line); text-align: left;
         white-space: nowrap; }
th { font-weight: 600; font-size: 12px; color: var(--muted); text-transform: uppercase;
     letter-spacing: .03em; background: #fafbfc; position: sticky; top: 0; }
td.num, th.num { text-align: right; }
td.empty { color: #9aa5b1; }
tbody tr:hover { background: #f0f4f8; }
table.summary tr.first td { border-top: 2px solid var(--line); }
table.summary td.metric { font-weight: 600; }
td.better { font-weight: 700; }
td.sig { color: #b3261e; font-weight: 600; }
.scroll { overflow: auto; max-height: 640px; border: 1px solid var(--line); border-radius: 6px; }
#case-table th { cursor: pointer; user-select: none; }
#case-table th:hover { color: var(--accent); }
#case-table th[aria-sort=ascending]::after { content: " \25B2"; }
#case-table th[aria-sort=descending]::after { content: " \25BC"; }
.toolbar { display: flex; gap: 12px; align-items: center; margin-bottom: 10px; }
.toolbar input { padding: 6px 10px; border: 1px solid #cbd2d9; border-radius: 6px; width: 240px; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 2px; }
.gallery { display: grid; grid-template-columns: 1fr; gap: 18px; }
.case { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.case h3 { margin: 0 0 8px; font-size: 15px; font-weight: 600; }
.case h3 .tag { display: inline-block; font-size: 11px; padding: 1px 8px; border-radius: 10px;
                color: #fff; margin-right: 8px; vertical-align: 2px; }
.tag.best { background: #00875a; } .tag.worst { background: #c62828; }
.panels { display: flex; flex-wrap: wrap; gap: 12px; }
.panels figure img { image-rendering: pixelated; border-radius: 4px; display: block;
                     max-width: 100%; height: auto; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; color: var(--muted); font-size: 12px;
          margin: 6px 0 14px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
          vertical-align: -1px; margin-right: 5px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 0 0 30px; }
@media print { header { background: none; color: var(--ink); } nav, .toolbar { display: none; }
               .scroll { max-height: none; overflow: visible; } }
)CSS";
  return kCss;
}

const std::string& report_script() {
  static const std::string kScript = R"JS(
(function () {
  'use strict';
  var table = document.getElementById('case-table');
  if (!table) return;
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: 'base'});

  function value(row, col, numeric) {
    var cell = row.cells[col];
    if (!numeric) return cell.textContent;
    var v = parseFloat(cell.getAttribute('data-v'));
    return isNaN(v) ? null : v;
  }

  function sortBy(col, descending) {
    var numeric = heads[col].getAttribute('data-type') === 'num';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, col, numeric), y = value(b, col, numeric);
      if (numeric) {
        if (x === null || y === null) return (x === null) - (y === null);  // NaN last
        return descending ? y - x : x - y;
      }
      var c = collator.compare(x, y);
      return descending ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < heads.length; ++i) heads[i].removeAttribute('aria-sort');
    heads[col].setAttribute('aria-sort', descending ? 'descending' : 'ascending');
  }

  Array.prototype.forEach.call(heads, function (head, col) {
    head.addEventListener('click', function () {
      sortBy(col, head.getAttribute('aria-sort') === 'ascending');
    });
  });

  var filter = document.getElementById('case-filter');
  if (filter) filter.addEventListener('input', function () {
    var text = filter.value.toLowerCase();
    Array.prototype.forEach.call(body.rows, function (r) {
      r.hidden = text !== '' && r.cells[0].textContent.toLowerCase().indexOf(text) < 0;
    });
  });

  var m = /[#&]sort=(-?)([^&]+)/.exec(window.location.hash);
  if (m) {
    var key = decodeURIComponent(m[2]);
    Array.prototype.forEach.call(heads, function (head, col) {
      if (head.getAttribute('data-key') === key) sortBy(col, m[1] === '-');
    });
  }
})();
)JS";
  return kScript;
}

}  // namespace unetx::pipeline
