// Front desk and floor lists (arrivals, waiting room, in chairs) refresh themselves with htmx polling.
// Polling must not keep an unattended screen signed in forever (sessions end after a few idle
// minutes), so it pauses once nobody has touched this screen for almost the session's idle time,
// and it never refreshes while a cancel form is open.
(function () {
  "use strict";

  var lastActivity = Date.now();
  ["mousemove", "mousedown", "keydown", "touchstart", "scroll", "wheel"].forEach(function (name) {
    document.addEventListener(name, function () {
      lastActivity = Date.now();
      var note = document.querySelector("[data-flow-paused]");
      if (note) note.hidden = true;
    }, { passive: true });
  });

  window.flowScreenIsActive = function () {
    var list = document.querySelector("[data-idle-seconds]");
    var idleMs = (parseInt(list && list.getAttribute("data-idle-seconds"), 10) || 900) * 1000;
    var active = Date.now() - lastActivity < idleMs - 60000;
    var note = document.querySelector("[data-flow-paused]");
    if (note) note.hidden = active;
    return active && !document.querySelector("details[open]");
  };
  // htmx's trigger filters ("every 30s [flowScreenIsActive()]") need eval, which the CSP forbids:
  // a poll (a request without a triggering event) is cancelled here instead.
  document.body.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (elt.hasAttribute("data-polls-while-active") && !event.detail.triggeringEvent && !window.flowScreenIsActive()) {
      event.preventDefault();
    }
  });

  // The center picker shows the chosen center at once (no inline handlers: the pages run under a CSP).
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // A refresh answered by the sign-in page (the session ended): show that page, not a page inside the list.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/accounts/login/") !== -1) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });
})();
