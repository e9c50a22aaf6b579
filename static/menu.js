// The header. Narrow screens: its links fold into a menu behind the "Menu" button (Escape or a second
// press closes it). Its groups (Operate, Pages, Admin) are disclosure menus: a button with
// aria-expanded that opens its links (Enter or Space; Escape, a click elsewhere or another group closes
// it). Without this script the buttons stay hidden and every link stays in the header, wrapped.
(function () {
  "use strict";
  function start() {
    var bar = document.querySelector("header.bar");
    var button = bar && bar.querySelector(".menu-toggle");
    if (!bar) return;
    var groups = Array.prototype.slice.call(bar.querySelectorAll(".group-toggle"));
    bar.classList.add("js-groups");
    function openGroup(toggle, open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.parentNode.classList.toggle("open", open);
    }
    function closeGroups(except) {
      groups.forEach(function (g) { if (g !== except) openGroup(g, false); });
    }
    groups.forEach(function (g) {
      g.hidden = false;
      g.addEventListener("click", function () {
        closeGroups(g);
        openGroup(g, g.getAttribute("aria-expanded") !== "true");
      });
    });
    document.addEventListener("click", function (e) {
      if (!e.target.closest || !e.target.closest(".group")) closeGroups(null);
    });
    function set(open) {
      bar.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    if (button) {
      bar.classList.add("js-menu");
      button.addEventListener("click", function () { set(!bar.classList.contains("open")); });
    }
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") return;
      var open = groups.filter(function (g) { return g.getAttribute("aria-expanded") === "true"; })[0];
      if (open) { closeGroups(null); open.focus(); return; }
      if (button && bar.classList.contains("open")) { set(false); button.focus(); }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
