
(function () {
  function cellValue(row, i) {
    var text = (row.cells[i] ? row.cells[i].textContent : "").trim();
    var num = parseFloat(text.replace(/[^0-9.\-]/g, ""));
    return /^[<>~]?\s*-?[0-9.]+/.test(text) && !isNaN(num) ? num : text.toLowerCase();
  }
  // A long table's page carries its first rows; the others are in a script of their own, added
  // (once) when the reader asks for them, filters or sorts. A script, not a fetch: it also works
  // from a copy of the site opened as files.
  function loadRows(table, done) {
    if (!table.dataset.lrRows) { done(); return; }
    if (table.lrWaiting) { table.lrWaiting.push(done); return; }
    table.lrWaiting = [done];
    var key = table.dataset.lrKey;
    var note = document.querySelector('p.lr-more[data-lr-for="' + key + '"]');
    if (note) note.textContent = "Loading the other rows\u2026";
    var script = document.createElement("script");
    script.src = table.dataset.lrRows;
    script.onload = function () {
      var html = (window.lrRows || {})[key];
      if (html) table.tBodies[0].insertAdjacentHTML("beforeend", html);
      delete table.dataset.lrRows;
      if (note) note.remove();
      var waiting = table.lrWaiting;
      table.lrWaiting = null;
      waiting.forEach(function (f) { f(); });
    };
    script.onerror = function () {
      table.lrWaiting = null;
      if (note) note.textContent = "The other rows could not be loaded; they are in the downloadable data.";
    };
    document.head.appendChild(script);
  }
  function setupMore(table) {
    var note = document.querySelector('p.lr-more[data-lr-for="' + table.dataset.lrKey + '"]');
    var button = note && note.querySelector("button.lr-show-all");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      loadRows(table, function () { if (table.lrRefresh) table.lrRefresh(); });
    });
  }
  function setup(table) {
    var body = table.tBodies[0];
    if (!body) return;
    var filter = document.createElement("input");
    filter.type = "search";
    filter.className = "lr-filter";
    filter.placeholder = "Filter rows";
    filter.setAttribute("aria-label", "Filter the rows of this table");
    var count = document.createElement("span");
    count.className = "lr-meta lr-count";
    count.setAttribute("aria-live", "polite");
    function update() {
      var q = filter.value.trim().toLowerCase(), shown = 0, rows = body.rows;
      Array.prototype.forEach.call(rows, function (r) {
        var hit = !q || r.textContent.toLowerCase().indexOf(q) !== -1;
        r.hidden = !hit;
        if (hit) shown++;
      });
      var total = table.dataset.lrRows ? Number(table.dataset.lrTotal) : rows.length;
      count.textContent = " " + shown + " of " + total + " rows";
    }
    table.lrRefresh = update;
    filter.addEventListener("input", function () { loadRows(table, update); });
    table.parentNode.insertBefore(filter, table);
    table.parentNode.insertBefore(count, table);
    update();
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "lr-sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () { loadRows(table, function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) {
          c.setAttribute("aria-sort", "none");
        });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, i), y = cellValue(b, i);
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
        update();
      }); });
    });
  }
  function setupAll() {
    document.querySelectorAll("table.lr-sortable").forEach(setup);
    document.querySelectorAll("table[data-lr-rows]").forEach(setupMore);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setupAll);
  else setupAll();
})();
