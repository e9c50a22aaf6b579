// Every table: sort by a column (click or Enter on its header), a filter box (every word must
// appear in the row) and "problems only" (rows marked warn/err, late, stale or unreachable).
// The choices are kept per table id and applied again after each live swap.
(function () {
  "use strict";
  var state = {};  // table id -> {col, dir, text, problems}
  var UNITS = { "H/s": 1, "kH/s": 1e3, "MH/s": 1e6, "GH/s": 1e9, "TH/s": 1e12, "PH/s": 1e15, "EH/s": 1e18 };
  var PROBLEM = ".err, .warn, .h-warn, .h-err, .lst-warn, .lst-err";

  function sortKey(text) {
    var t = text.replace(/^[⚠✖▶ ]+/, "").trim();
    var d = t.match(/^(?:(\d+)d )?(?:(\d+)h )?(?:(\d+)m )?(\d+)s$/);
    if (d) return ((+d[1] || 0) * 86400) + ((+d[2] || 0) * 3600) + ((+d[3] || 0) * 60) + (+d[4]);
    var m = t.match(/^(-?[\d,]*\.?\d+(?:e[+-]?\d+)?)\s*([kMGTPE]?H\/s)?/i);
    if (m) return parseFloat(m[1].replace(/,/g, "")) * (m[2] ? (UNITS[m[2]] || 1) : 1);
    return null;
  }

  function isProblem(tr) {
    return tr.matches(".dim, .h-warn, .h-err, .lst-warn, .lst-err") || tr.querySelector(PROBLEM) !== null;
  }

  function apply(section) {
    var s = state[section.id];
    var table = section.querySelector("table");
    if (!s || !table || !table.tBodies[0]) return;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    if (s.col !== undefined && s.col !== null) {
      var keyed = rows.map(function (tr, i) {
        var cell = tr.cells[s.col];
        var text = cell ? cell.textContent : "";
        return { tr: tr, i: i, n: sortKey(text), t: text.toLowerCase() };
      });
      keyed.sort(function (a, b) {
        var c;
        if (a.n !== null && b.n !== null) c = a.n - b.n;
        else if (a.n !== null) c = -1;
        else if (b.n !== null) c = 1;
        else c = a.t < b.t ? -1 : a.t > b.t ? 1 : 0;
        return (c || a.i - b.i) * s.dir;
      });
      keyed.forEach(function (k) { body.appendChild(k.tr); });
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
        if (i === s.col) th.setAttribute("aria-sort", s.dir > 0 ? "ascending" : "descending");
        else th.removeAttribute("aria-sort");
      });
    }
    var words = (s.text || "").toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (tr) {
      var text = tr.textContent.toLowerCase();
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; }) && (!s.problems || isProblem(tr));
      tr.hidden = !ok;
      if (ok) shown++;
    });
    var tools = section.querySelector(".tools");
    if (tools) {
      tools.querySelector(".filter").value = s.text || "";
      tools.querySelector(".problems").checked = !!s.problems;
      tools.querySelector(".shown").textContent = (words.length || s.problems) ? shown + " of " + rows.length + " rows" : "";
    }
  }

  // A table wider than its box: mark which sides have more to see (the CSS fades that edge).
  function edges(box) {
    box.classList.toggle("more-right", box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
    box.classList.toggle("more-left", box.scrollLeft > 0);
  }
  function allEdges() { document.querySelectorAll(".scroll").forEach(edges); }
  document.addEventListener("scroll", function (e) {
    if (e.target.classList && e.target.classList.contains("scroll")) edges(e.target);
  }, true);
  window.addEventListener("resize", allEdges);

  function setup(root) {
    allEdges();
    (root || document).querySelectorAll("section.table").forEach(function (section) {
      var table = section.querySelector("table");
      if (!table || !table.tHead || section.dataset.tools) return;
      section.dataset.tools = "1";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
        th.tabIndex = 0;
        th.classList.add("sortable");
        th.title = "Sort by " + th.textContent;
      });
      if (state[section.id]) apply(section);
    });
  }

  function sectionOf(el) { return el.closest("section.table"); }

  function sortBy(th) {
    var section = sectionOf(th);
    var s = state[section.id] = state[section.id] || {};
    var col = th.cellIndex;
    s.dir = s.col === col ? -s.dir : (th.classList.contains("num") ? -1 : 1);
    s.col = col;
    apply(section);
  }

  document.addEventListener("click", function (e) {
    var th = e.target.closest("th.sortable");
    if (th) sortBy(th);
  });
  document.addEventListener("keydown", function (e) {
    var th = e.target.closest && e.target.closest("th.sortable");
    if (th && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); sortBy(th); }
  });
  document.addEventListener("input", function (e) {
    if (!e.target.matches(".tools .filter, .tools .problems")) return;
    var section = sectionOf(e.target);
    var s = state[section.id] = state[section.id] || {};
    s.text = section.querySelector(".tools .filter").value;
    s.problems = section.querySelector(".tools .problems").checked;
    apply(section);
  });
  document.addEventListener("DOMContentLoaded", function () { setup(document); });
  // live swaps replace the tables: apply the choices again, keep the focus in the filter box
  var refocus = null;
  function remember() {
    var focused = document.activeElement;
    refocus = focused && focused.matches && focused.matches(".tools .filter") ? sectionOf(focused).id : null;
  }
  function again() {
    var id = refocus;
    setup(document);
    if (id) {
      var box = document.querySelector("#" + CSS.escape(id) + " .tools .filter");
      if (box && box !== document.activeElement) { box.focus(); box.setSelectionRange(box.value.length, box.value.length); }
    }
  }
  document.addEventListener("htmx:beforeSwap", remember);
  document.addEventListener("htmx:oobBeforeSwap", remember);
  document.addEventListener("htmx:wsBeforeMessage", remember);
  document.addEventListener("htmx:afterSettle", again);
  document.addEventListener("htmx:oobAfterSwap", again);
  document.addEventListener("htmx:wsAfterMessage", again);
  window.mpTables = { sortKey: sortKey, state: state };
})();
