"""The style sheet and the few lines of script report.html carries inline (it loads nothing)."""

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; margin: 0;
       background: #fafbfc; }
main { max-width: 1560px; margin: 0 auto; padding: 1rem 2rem 4rem; }
h1 { margin: .5rem 0; } section { scroll-margin-top: 2.5rem; }
h2 { border-bottom: 1px solid #d8dde6; padding-bottom: .2rem; margin-top: 2.5rem; }
nav { position: sticky; top: 0; background: #fafbfcee; padding: .4rem 0; z-index: 2; font-size: 14px; }
nav a { margin-right: .9rem; color: #2457a6; text-decoration: none; }
table { border-collapse: collapse; margin: .6rem 0; font-size: 13.5px; background: #fff; }
th, td { border: 1px solid #d8dde6; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
#results-table th { cursor: pointer; user-select: none; white-space: nowrap; }
#results-table td { white-space: nowrap; }
#results-table th.sorted-asc::after { content: " ▲"; } #results-table th.sorted-desc::after { content: " ▼"; }
tr.not-ok td { background: #fff4f2; }
.filters { display: flex; gap: 1rem; flex-wrap: wrap; align-items: center; margin: .5rem 0; }
.table-wrap { overflow-x: auto; }
.filters label { font-size: 14px; }
.reason, .error { font-family: ui-monospace, monospace; font-size: 12.5px; white-space: pre-wrap;
                  word-break: break-word; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1rem; }
figure { margin: 0; background: #fff; border: 1px solid #d8dde6; padding: .5rem; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: #555; }
.model { background: #fff; border: 1px solid #d8dde6; padding: .5rem 1.2rem 1rem; margin: 1.2rem 0; }
.facts th { width: 16rem; }
.tabs { display: flex; gap: .3rem; border-bottom: 2px solid #2457a6; }
.tab { border: 1px solid #c4cbd8; border-bottom: none; background: #eef1f6; padding: .35rem 1rem; cursor: pointer;
       font: inherit; border-radius: 4px 4px 0 0; }
.tab[aria-selected="true"] { background: #2457a6; color: #fff; border-color: #2457a6; }
.file { margin: .8rem 0; } .file summary { cursor: pointer; }
.path { font-family: ui-monospace, monospace; font-size: 13px; color: #444; }
.code { background: #f6f8fa; border: 1px solid #e1e4e8; padding: .4rem .8rem; overflow-x: auto; font-size: 12.5px; }
.code pre { margin: 0; }
.note, .loc { font-size: 13px; color: #555; } .missing { color: #8a6d00; font-style: italic; }
"""

JS = """
(function () {
  function cellValue(row, i) {
    var text = row.cells[i].textContent.trim();
    var number = parseFloat(text.replace(/,/g, "").replace(/^[^0-9.+-]*(?=[0-9.+-])/, ""));
    return isNaN(number) ? text.toLowerCase() : number;
  }
  var table = document.getElementById("results-table");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.addEventListener("click", function () {
      var ascending = !th.classList.contains("sorted-asc");
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.classList.remove("sorted-asc", "sorted-desc");
      });
      th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
      rows.slice().sort(function (a, b) {
        var x = cellValue(a, i), y = cellValue(b, i);
        if (typeof x !== typeof y) { return typeof x === "number" ? -1 : 1; }
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      }).forEach(function (row) { body.appendChild(row); });
    });
  });
  var filters = document.querySelectorAll(".filters select");
  function applyFilters() {
    rows.forEach(function (row) {
      var shown = Array.prototype.every.call(filters, function (select) {
        return !select.value || row.dataset[select.name] === select.value;
      });
      row.hidden = !shown;
    });
    document.getElementById("shown-count").textContent = rows.filter(function (r) { return !r.hidden; }).length;
  }
  Array.prototype.forEach.call(filters, function (select) { select.addEventListener("change", applyFilters); });
  applyFilters();
  Array.prototype.forEach.call(document.querySelectorAll(".code-tabs"), function (group) {
    var tabs = group.querySelectorAll(".tab"), panels = group.querySelectorAll(".code-panel");
    Array.prototype.forEach.call(tabs, function (tab) {
      tab.addEventListener("click", function () {
        Array.prototype.forEach.call(tabs, function (t) { t.setAttribute("aria-selected", String(t === tab)); });
        Array.prototype.forEach.call(panels, function (p) {
          p.hidden = p.dataset.framework !== tab.dataset.framework;
        });
      });
    });
  });
})();
"""
