// Behaviour every page shares (loaded by base.html; the CSP allows no inline script or handler):
// a form marked data-autosubmit (a center or day switcher) submits as soon as one of its selects changes.
(function () {
  "use strict";

  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
