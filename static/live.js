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
// a push sends the whole #live, or only the tables that changed and the "Data as of" line (#live-at):
// the time of the data is that line's
document.addEventListener("htmx:wsAfterMessage", function () {
  var at = document.getElementById("live-at"), live = document.getElementById("live");
  if (at && live && at.dataset.updated) live.dataset.updated = at.dataset.updated;
  window.mpSwaps++;
});
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
// The header clock, "updated N s ago" and every data age tick between pushes, on the
// server's clock (its offset from this browser's is measured when the page loads).
var mpSkew = null;
function mpAge(s) {
  s = Math.max(0, Math.floor(s));
  var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), x = s % 60;
  function two(n) { return (n < 10 ? "0" : "") + n; }
  if (d) return d + "d " + two(h) + "h " + two(m) + "m " + two(x) + "s";
  if (h) return h + "h " + two(m) + "m " + two(x) + "s";
  if (m) return m + "m " + two(x) + "s";
  return x + "s";
}
function mpTick() {
  var clock = document.querySelector(".clock[data-epoch]");
  if (mpSkew === null) mpSkew = clock ? Number(clock.dataset.epoch) - Date.now() / 1000 : 0;
  var now = Date.now() / 1000 + mpSkew;
  if (clock && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(clock.textContent)) {
    var t = new Date((now + Number(clock.dataset.offset || 0)) * 1000).toISOString();
    clock.textContent = t.slice(0, 10) + " " + t.slice(11, 19) + clock.textContent.slice(19);
  }
  var live = document.getElementById("live");
  if (!live) return;
  var secs = Math.max(0, Math.round(now - Number(live.dataset.updated)));
  live.querySelectorAll(".ago").forEach(function (el) { el.textContent = "updated " + secs + " s ago"; });
  live.querySelectorAll(".ticks").forEach(function (el) {
    var at = /(?:^| )at-(\d+)/.exec(el.className);
    if (at) el.textContent = mpAge(now - Number(at[1]));
  });
}
setInterval(mpTick, 1000);
// the header's refresh interval: sent when chosen (no inline handler, for a strict CSP)
document.addEventListener("change", function (e) {
  if (e.target.matches("form.refresh select")) e.target.form.submit();
});
// A command to a slow rig can take the whole rig timeout: say it is on its way, and do not send it twice.
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (!/\/(command|access|run)\/$/.test(form.getAttribute("action") || "")) return;
  var button = form.querySelector("button[type=submit], button:not([type])");
  if (!button || button.disabled) return;
  setTimeout(function () { button.disabled = true; }, 0);
  var note = document.createElement("span");
  note.className = "sending";
  note.setAttribute("role", "status");
  note.textContent = " sending… waiting for the rig's answer";
  button.after(note);
});
