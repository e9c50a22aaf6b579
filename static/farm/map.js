// The rack map on a wall screen (/map/?wall=1): full screen on a click, the map fetched again every
// data-refresh seconds, the next site every data-every seconds, without leaving the page (full screen stays).
(function () {
  var timers = [];
  function replaceLive(html) {
    var live = document.getElementById("live"), box = document.createElement("div");
    box.innerHTML = html;
    var fresh = box.querySelector("#live");
    if (live && fresh) live.replaceWith(fresh);
  }
  function nextSite(url) {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html"), page = doc.getElementById("wall");
      if (!page) return;
      document.getElementById("wall").replaceWith(page);
      document.title = doc.title;
      start();
    }).catch(function () { /* the next turn tries again */ });
  }
  function start() {
    timers.forEach(clearInterval);
    timers = [];
    var wall = document.getElementById("wall");
    if (!wall) return;
    var current = wall.dataset.current, next = wall.dataset.next;
    timers.push(setInterval(function () {
      if (document.visibilityState !== "visible") return;
      fetch(current, {headers: {"HX-Request": "true"}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) { if (html) replaceLive(html); })
        .catch(function () { /* the next round tries again */ });
    }, (Number(wall.dataset.refresh) || 10) * 1000));
    if (next) timers.push(setInterval(function () { nextSite(next); }, (Number(wall.dataset.every) || 30) * 1000));
    var full = document.getElementById("fullscreen");
    if (full) full.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
