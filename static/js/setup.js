// Center setup: forms marked hx-boost and the inline row editors post without a full reload.
// A refusal (400 bad input, 409 "move these bookings first") is shown in place like any answer,
// and a session that ended shows the sign-in page instead of a page inside the panel.
(function () {
  "use strict";

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/accounts/login/") !== -1) {
      event.detail.shouldSwap = false;
      window.location.reload();
      return;
    }
    if (xhr && (xhr.status === 400 || xhr.status === 409)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After an inline edit row appears, put the keyboard in its first field; after it is saved or
  // cancelled, back on the row's Edit button.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.closest) return;
    var panel = document.getElementById("setup-panel");
    if (!panel) return;
    var row = target.id ? document.getElementById(target.id) : null;
    var focusable = row && row.querySelector("[data-autofocus], input:not([type=hidden]), select");
    if (focusable && row !== panel) focusable.focus();
  });
})();
