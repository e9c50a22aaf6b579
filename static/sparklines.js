/* A sparkline of the last six hours' hashrate in each rig's Hashrate cell of the Rigs table (section#rigs), from
   /history/sparklines.json; drawn again after every live update, fetched again at most once a minute. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg", W = 72, H = 16;
  var cache = null, fetched = 0, pending = null;

  function links() {
    return Array.prototype.slice.call(document.querySelectorAll('section#rigs td.rig > a[href^="/rigs/"]'));
  }
  function idOf(a) {
    var m = /^\/rigs\/(\d+)\//.exec(a.getAttribute("href"));
    return m ? m[1] : null;
  }
  function cellOf(a) {  /* the row's Hashrate cell, where the line has room (else beside the name) */
    var tr = a.closest("tr");
    return (tr && tr.querySelector("td.rate")) || a.parentNode;
  }
  function draw(a, values) {
    var where = cellOf(a);
    var old = where.querySelector("svg.spark");
    if (old) old.remove();
    var points = (values || []).filter(function (v) { return v != null; });
    if (points.length < 2) return;
    var max = Math.max.apply(null, points), min = Math.min.apply(null, points);
    var span = max - min || max || 1;
    var step = W / (values.length - 1), d = [];
    values.forEach(function (v, i) {
      if (v == null) return;
      d.push((i * step).toFixed(1) + "," + (H - 1 - (v - min) / span * (H - 2)).toFixed(1));
    });
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "hashrate over the last 6 hours");
    var line = document.createElementNS(NS, "polyline");
    line.setAttribute("points", d.join(" "));
    svg.appendChild(line);
    where.appendChild(svg);
  }
  function paint() {
    if (!cache) return;
    links().forEach(function (a) { draw(a, cache[idOf(a)]); });
  }
  function refresh() {
    var ids = links().map(idOf).filter(Boolean);
    if (!ids.length) return;
    if (cache && Date.now() - fetched < 60000) return paint();
    if (pending) return;
    pending = fetch("/history/sparklines.json?rigs=" + ids.slice(0, 1000).join(","), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (data) { cache = data; fetched = Date.now(); paint(); })
      .catch(function () {})
      .then(function () { pending = null; });
  }
  function start() {
    refresh();
    /* live updates (WebSocket or polling) replace the table: draw the new rows' lines once they are in */
    var timer = null;
    new MutationObserver(function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (links().some(function (a) { return !cellOf(a).querySelector("svg.spark"); })) refresh();
      }, 100);
    }).observe(document.body, {childList: true, subtree: true});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
