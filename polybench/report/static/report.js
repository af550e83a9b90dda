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
