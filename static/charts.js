/* History charts drawn by uPlot from /history/...json, sized to their width (one point per pixel at most).
   Drag across a chart to zoom, double-click to zoom out; the legend shows the values under the cursor.
   No inline script: each .charts section says where its data is in data- attributes. */
(function () {
  "use strict";
  var UNITS = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s", "PH/s", "EH/s"];

  /* incr (axis labels only): the spacing of the ticks, whose precision the label keeps */
  function precise(digits, incr) {
    return incr ? Math.min(6, Math.max(digits, Math.ceil(-Math.log10(incr) - 1e-9))) : digits;
  }
  function rate(v, incr) {
    if (v == null) return "–";
    var i = 0, scale = 1;
    while (Math.abs(v) / scale >= 1000 && i < UNITS.length - 1) { scale *= 1000; i++; }
    return (v / scale).toFixed(precise(Math.abs(v) / scale < 10 ? 2 : 1, incr && incr / scale)) + " " + UNITS[i];
  }
  function fixed(unit, digits) {
    return function (v, incr) { return v == null ? "–" : v.toFixed(precise(digits, incr)) + unit; };
  }
  function count(v, incr) {
    if (v == null) return "–";
    return incr ? (Number.isInteger(v) ? String(v) : "") : String(Math.round(v));
  }
  function css(name, fallback) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  }
  function colours() {
    return [css("--accent", "#2457c5"), css("--ok", "#17803d"), css("--warn", "#a15c00"), css("--err", "#b42318"),
            "#8e44ad", "#16a085", "#d35400", "#7f8c8d"];
  }
  /* A y axis labelled by the series' own formatter, as precise as the ticks' spacing and never one
     label twice (a flat line's ticks 16,999.5, 17,000 and 17,000.5 would all read "17.0 kH/s"). */
  function axis(value) {
    var fg = css("--muted", "#667"), line = css("--line", "#d6d9de");
    return {stroke: fg, grid: {stroke: line, width: 1}, ticks: {stroke: line, width: 1}, size: 88,
            values: value ? function (u, ticks, i, space, incr) {
              var seen = {};
              return ticks.map(function (t) {
                var text = value(t, incr);
                if (seen[text]) return "";
                seen[text] = true;
                return text;
              });
            } : undefined};
  }

  var SPANS = {"1h": 3600, "24h": 86400, "7d": 604800, "30d": 2592000, "1y": 31536000};
  var shown = 86400;  /* the range asked for: the x axis covers it even where points are missing */

  function plot(box, title, width, xs, series, scales) {
    var c = colours();
    var opts = {
      title: title, width: width, height: 190, scales: Object.assign({x: {time: true, auto: false, min: Date.now() / 1000 - shown, max: Date.now() / 1000}},
                           scales || {}),
      cursor: {drag: {x: true, y: false}},
      axes: [axis(), axis(series[0].value)],
      series: [{}].concat(series.map(function (s, i) {
        return {label: s.label, stroke: c[i % c.length], width: 1.5, value: function (u, v) { return s.value(v); },
                scale: s.scale || "y", spanGaps: false, paths: s.step ? uPlot.paths.stepped({align: 1}) : undefined};
      })),
    };
    if (series.some(function (s) { return s.scale === "pool"; })) {
      opts.axes.push({scale: "pool", side: 1, stroke: css("--muted", "#667"), grid: {show: false}, size: 64,
                      values: function (u, ticks) { return ticks.map(function (t) { return Number.isInteger(t) ? "pool " + t : ""; }); }});
    }
    var holder = document.createElement("div");
    holder.className = "chart";
    box.appendChild(holder);
    return new uPlot(opts, [xs].concat(series.map(function (s) { return s.data; })), holder);
  }

  function empty(box, text) {
    var p = document.createElement("p");
    p.className = "empty";
    p.textContent = text;
    box.appendChild(p);
  }

  function rigCharts(box, data, width) {
    if (!data.t.length) return empty(box, "No history yet: a point is recorded every minute.");
    plot(box, "Hashrate", width, data.t, [
      {label: "average", data: data.hs, value: rate}, {label: "current", data: data.hs_now, value: rate}]);
    plot(box, "Temperature (hottest board, hottest chip)", width, data.t, [
      {label: "board °C", data: data.temp, value: fixed(" °C", 1)},
      {label: "chip °C", data: data.chip_temp || data.t.map(function () { return null; }), value: fixed(" °C", 1)}]);
    if ((data.power || []).some(function (v) { return v != null; })) {
      plot(box, "Power (reported, else estimated from the model's nominal power)", width, data.t, [
        {label: "power", data: data.power, value: fixed(" W", 0)}]);
    }
    plot(box, "Rejects, hardware errors and the pool in use", width, data.t, [
      {label: "rejected", data: data.rej_pct, value: fixed(" %", 2)},
      {label: "HW errors", data: data.hw_pct, value: fixed(" %", 2)},
      {label: "pool", data: data.pool, value: function (v) { return v == null ? "–" : "pool " + v; }, scale: "pool", step: true}],
      {pool: {range: function (u, min, max) { return [-0.5, Math.max(1, max) + 0.5]; }}});
    var devices = data.devices || {};
    Object.keys(devices).forEach(function (label) {
      var d = devices[label];
      plot(box, label, width, d.t, [{label: "hashrate", data: d.hs, value: rate},
                                    {label: "°C", data: d.temp, value: fixed(" °C", 1), scale: "temp"}],
           {temp: {}});
    });
  }

  function farmCharts(box, data, width) {
    if (!data.t.length) return empty(box, "No history yet: a point is recorded every minute.");
    Object.keys(data.hs).forEach(function (algorithm) {
      plot(box, "Farm hashrate, " + algorithm, width, data.t, [{label: algorithm, data: data.hs[algorithm], value: rate}]);
    });
    plot(box, "Rigs", width, data.t, [{label: "rigs", data: data.rigs, value: count},
                                      {label: "healthy", data: data.healthy, value: count}]);
  }

  function load(section) {
    var box = section.querySelector(".plots");
    shown = SPANS[section.dataset.range] || 86400;
    var width = Math.max(240, Math.floor(box.clientWidth || section.clientWidth) - 8);
    var url = section.dataset.source + "?range=" + encodeURIComponent(section.dataset.range) + "&width=" + width +
              (section.dataset.devices ? "&devices=1" : "");
    section.querySelectorAll("button[data-range]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.range === section.dataset.range));
    });
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        box.textContent = "";
        (section.dataset.farm ? farmCharts : rigCharts)(box, data, width);
      })
      .catch(function (e) { box.textContent = ""; empty(box, "The history could not be loaded (" + e.message + ")."); });
  }

  function init() {
    if (typeof uPlot === "undefined") return;
    var sections = document.querySelectorAll("section.charts[data-source]");
    sections.forEach(function (section) {
      section.addEventListener("click", function (ev) {
        var b = ev.target.closest("button[data-range]");
        if (!b) return;
        section.dataset.range = b.dataset.range;
        load(section);
      });
      load(section);
    });
    var timer = null, lastWidth = window.innerWidth;
    function redraw() { sections.forEach(load); }
    window.addEventListener("resize", function () {
      if (window.innerWidth === lastWidth) return;
      lastWidth = window.innerWidth;
      clearTimeout(timer);
      timer = setTimeout(redraw, 250);
    });
    if (window.matchMedia) window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
