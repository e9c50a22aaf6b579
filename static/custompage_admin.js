// The custom page editor: show only the boxes that apply to a section's kind.
// DATE and RIGS are drawn by the page and take no box; calc applies only to a grouped section.
(function () {
  "use strict";
  var BOXES = ["fields", "totals", "where", "having", "group", "calc", "bgen", "gen", "sort"];
  function update(inline) {
    var select = inline.querySelector("select[name$='-section']");
    if (!select) return;
    var fixed = select.value === "DATE" || select.value === "RIGS";
    var group = inline.querySelector("textarea[name$='-group']");
    var grouped = group && group.value.trim() !== "";
    BOXES.forEach(function (name) {
      var hide = fixed || (name === "calc" && !grouped);
      inline.querySelectorAll(".field-" + name).forEach(function (el) {
        var box = el.querySelector("textarea");
        el.hidden = hide && !(box && box.value.trim());  // never hide something already typed
      });
    });
  }
  function all() { document.querySelectorAll(".inline-related").forEach(update); }
  document.addEventListener("change", function (e) {
    var inline = e.target.closest && e.target.closest(".inline-related");
    if (inline) update(inline);
  });
  document.addEventListener("input", function (e) {
    if (e.target.name && /-group$/.test(e.target.name)) update(e.target.closest(".inline-related"));
  });
  document.addEventListener("formset:added", all);
  document.addEventListener("DOMContentLoaded", all);
})();
