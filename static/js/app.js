// Behaviour every page shares (loaded by base.html; the CSP allows no inline script or handler):
// a form marked data-autosubmit (a center or day switcher) submits as soon as one of its selects changes.
(function () {
  "use strict";

  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // htmx (deferred) wires the page only once the document has loaded: a search typed or a select
  // changed before that sent no request, and the page never answered it. When htmx has processed
  // the page (its first htmx:load, on the body), each field it listens to whose value is no longer
  // the one the page was served with gets one of its trigger events again: one without htmx's
  // "changed" modifier (htmx took the typed value as the field's first one), so "search" for the
  // searches ("input changed delay:250ms, search") and "change" for the selects.
  var REPLAYED = ["search", "change", "input"];

  function changedSinceServed(field) {
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    return "defaultValue" in field && field.value !== field.defaultValue;
  }

  function replayedEvent(spec) {
    var names = spec.split(",").map(function (part) {
      var words = part.trim().split(/\s+/);
      return words.indexOf("changed") >= 0 ? null : words[0];
    });
    return REPLAYED.filter(function (name) { return names.indexOf(name) >= 0; })[0] || null;
  }

  function replayEarlyEdits() {
    document.querySelectorAll("input[hx-trigger], select[hx-trigger], textarea[hx-trigger]").forEach(function (field) {
      if (!changedSinceServed(field)) return;
      var name = replayedEvent(field.getAttribute("hx-trigger"));
      if (name) field.dispatchEvent(new Event(name, { bubbles: true }));
    });
  }

  document.addEventListener("htmx:load", function onFirstLoad(event) {
    if (event.target !== document.body) return;
    document.removeEventListener("htmx:load", onFirstLoad);
    replayEarlyEdits();
  });
})();
