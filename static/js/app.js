// Behaviour every page shares (loaded by base.html; the CSP allows no inline script or handler):
// a form marked data-autosubmit (a center or day switcher) submits as soon as one of its selects changes.
(function () {
  "use strict";

  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // htmx (deferred) wires the page only once the document has loaded: a search typed or a select
  // changed before that sent no request, and the page never answered it. As htmx wires each field
  // (its htmx:afterProcessNode, while it processes the page it was served with), a field whose value
  // is no longer the one the page was served with gets one of its trigger events again: one without
  // htmx's "changed" modifier (htmx took the typed value as the field's first one), so "search" for
  // the searches ("input changed delay:250ms, search") and "change" for the selects. An edit made
  // after that moment is htmx's own, and is not sent twice (htmx announces the page, its htmx:load
  // on the body, only a moment later).
  var REPLAYED = ["search", "change", "input"];

  function changedSinceServed(field) {
    if (field.tagName === "SELECT") {
      var options = Array.prototype.slice.call(field.options);
      if (!field.multiple) {
        // A select served with no option marked selected shows its first option (the browser's own
        // choice, not the user's): that is the value it was served with.
        var served = options.filter(function (option) { return option.defaultSelected; }).pop() || options[0];
        return Boolean(served) && !served.selected;
      }
      return options.some(function (option) { return option.selected !== option.defaultSelected; });
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

  var servedPageProcessed = false;
  document.addEventListener("htmx:afterProcessNode", function (event) {
    var field = event.target;
    if (servedPageProcessed || !field.matches("input[hx-trigger], select[hx-trigger], textarea[hx-trigger]")) return;
    if (!changedSinceServed(field)) return;
    var name = replayedEvent(field.getAttribute("hx-trigger"));
    if (name) field.dispatchEvent(new Event(name, { bubbles: true }));
  });
  document.addEventListener("htmx:load", function onFirstLoad(event) {
    if (event.target !== document.body) return;
    document.removeEventListener("htmx:load", onFirstLoad);
    servedPageProcessed = true;
  });
})();
