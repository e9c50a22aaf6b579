// The custom page editor: in each section only the boxes that hold something, and an "add" button
// for each of the others. Fields and Group are always there; Calc only once the section has a group
// (and as soon as one is typed). DATE and RIGS are drawn by the page and take no box.
// The sections are folded in <details> (templates/admin/custompages/sections.html), one open at a time.
(function () {
  "use strict";
  var ALWAYS = ["fields", "group"];
  var OPTIONAL = ["totals", "where", "having", "calc", "bgen", "gen", "sort", "formats"];
  var LABEL = {totals: "Totals", where: "Where", having: "Having", calc: "Calc", bgen: "Bgen", gen: "Gen",
               sort: "Sort", formats: "Formats"};

  // The element that holds one box (its label, textarea, help and errors): a whole form row, or
  // its half where two boxes share a row.
  function holder(inline, name) {
    var half = inline.querySelector(".fieldBox.field-" + name);
    return half ? half.parentElement : inline.querySelector(".form-row.field-" + name);
  }
  function text(inline, name) {
    var box = inline.querySelector("textarea[name$='-" + name + "']");
    return box ? box.value.trim() : "";
  }
  function bar(inline) {
    var found = inline.querySelector(".add-boxes");
    if (found) return found;
    var fieldset = inline.querySelector("fieldset");
    if (!fieldset) return null;
    found = document.createElement("div");
    found.className = "add-boxes";
    found.appendChild(document.createTextNode("Add: "));
    OPTIONAL.forEach(function (name) {
      var b = document.createElement("button");
      b.type = "button";
      b.dataset.box = name;
      b.textContent = "+ " + LABEL[name];
      found.appendChild(b);
    });
    fieldset.appendChild(found);
    return found;
  }
  function update(inline) {
    var select = inline.querySelector("select[name$='-section']");
    if (!select || inline.classList.contains("empty-form")) return;
    var fixed = select.value === "DATE" || select.value === "RIGS";
    var grouped = text(inline, "group") !== "";
    var adds = bar(inline);
    var anyAdd = false;
    ALWAYS.concat(OPTIONAL).forEach(function (name) {
      var el = holder(inline, name);
      if (!el) return;
      var held = text(inline, name) !== "" || el.querySelector(".errorlist") !== null;
      var allowed = !fixed && (name !== "calc" || grouped);
      var opened = el.dataset.opened === "1";
      var show = held || (allowed && (ALWAYS.indexOf(name) >= 0 || name === "calc" || opened));  // never hide something typed
      el.hidden = !show;
      var button = adds && adds.querySelector("button[data-box='" + name + "']");
      if (button) {
        button.hidden = show || !allowed;
        anyAdd = anyAdd || !button.hidden;
      }
    });
    if (adds) adds.hidden = !anyAdd;
    // a row whose boxes are all hidden takes no room
    inline.querySelectorAll(".form-row").forEach(function (row) {
      var halves = row.querySelectorAll(".fieldBox");
      if (!halves.length) return;
      row.hidden = Array.prototype.every.call(halves, function (h) { return h.parentElement.hidden; });
    });
  }
  function all() { document.querySelectorAll(".inline-related").forEach(update); }

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest(".add-boxes button[data-box]");
    if (!button) return;
    var inline = button.closest(".inline-related");
    var el = holder(inline, button.dataset.box);
    el.dataset.opened = "1";
    update(inline);
    var box = el.querySelector("textarea");
    if (box) box.focus();
  });
  document.addEventListener("change", function (e) {
    var inline = e.target.closest && e.target.closest(".inline-related");
    if (inline) update(inline);
  });
  document.addEventListener("input", function (e) {
    if (e.target.name && /-group$/.test(e.target.name)) update(e.target.closest(".inline-related"));
  });
  document.addEventListener("formset:added", function (e) {
    var inline = e.target.closest ? e.target.closest(".inline-related") || e.target : e.target;
    var fold = inline.querySelector && inline.querySelector("details.fold");
    if (fold) fold.open = true;  // a new section opens (and folds the one that was open)
    all();
  });
  document.addEventListener("DOMContentLoaded", all);
})();
