// Live refresh: WebSocket pushes (htmx ws extension) and, without a socket,
// polling at the user's interval; both paused while the tab is hidden.
window.mpLive = false;
window.mpSwaps = 0;
window.mpMissed = false;
function mpPoll() { return !window.mpLive && document.visibilityState === "visible"; }
// no inline handlers (the Content-Security-Policy allows no inline script)
document.addEventListener("change", function (e) {
  if (e.target.matches("select[data-autosubmit]")) e.target.form.submit();
});
document.addEventListener("htmx:wsOpen", function () { window.mpLive = true; });
document.addEventListener("htmx:wsClose", function () { window.mpLive = false; });
document.addEventListener("htmx:wsBeforeMessage", function (e) {
  if (document.visibilityState !== "visible") { e.preventDefault(); window.mpMissed = true; }
});
document.addEventListener("htmx:wsAfterMessage", function () { window.mpSwaps++; });
document.addEventListener("htmx:afterSwap", function (e) { if (e.detail.target.id === "live") window.mpSwaps++; });
// polling without a socket, every data-refresh seconds (no hx-trigger filter: htmx would eval it)
(function () {
  var started = false;
  function start() {
    var p = document.getElementById("poller");
    if (started || !p || !Number(p.dataset.refresh)) return;
    started = true;
    setInterval(function () { if (mpPoll()) htmx.trigger(p, "mp-refresh"); }, Number(p.dataset.refresh) * 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
document.addEventListener("visibilitychange", function () {
  if (document.visibilityState === "visible" && window.mpMissed) {
    window.mpMissed = false;
    var p = document.getElementById("poller");
    if (p) htmx.trigger(p, "mp-refresh");
  }
});
setInterval(function () {
  var live = document.getElementById("live");
  if (!live) return;
  var secs = Math.max(0, Math.round(Date.now() / 1000 - Number(live.dataset.updated)));
  live.querySelectorAll(".ago").forEach(function (el) { el.textContent = "updated " + secs + " s ago"; });
}, 1000);
