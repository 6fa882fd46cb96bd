// The booking pages' small bits of behaviour HTML cannot do alone:
// picking a patient from the search-as-you-type list (mouse or keyboard),
// and pausing the board's polling while nobody uses the screen.
(function () {
  "use strict";

  function picker(root) {
    var search = root.querySelector("#patient-search");
    var results = root.querySelector("#patient-search-results");
    var hidden = root.querySelector("[data-picked-id]");
    var picked = root.querySelector("[data-picked]");
    var pickedLabel = root.querySelector("[data-picked-label]");
    var clear = root.querySelector("[data-picker-clear]");
    if (!search || !results || !hidden) return;

    function options() {
      return Array.prototype.slice.call(results.querySelectorAll("[data-patient-id]"));
    }
    function choose(option) {
      hidden.value = option.getAttribute("data-patient-id");
      pickedLabel.textContent = option.getAttribute("data-patient-label");
      picked.hidden = false;
      search.hidden = true;
      results.innerHTML = "";
      var next = root.closest("form").querySelector("select[name=protocol]");
      if (next) {
        next.focus();
        // Suggest the dose after this patient's last one when the protocol is already chosen.
        if (next.value && window.htmx) window.htmx.trigger(next, "change");
      }
    }
    results.addEventListener("click", function (event) {
      var option = event.target.closest("[data-patient-id]");
      if (option) choose(option);
    });
    results.addEventListener("keydown", function (event) {
      var list = options();
      var index = list.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && index < list.length - 1) { list[index + 1].focus(); event.preventDefault(); }
      if (event.key === "ArrowUp") { (index > 0 ? list[index - 1] : search).focus(); event.preventDefault(); }
      if (event.key === "Escape") { results.innerHTML = ""; search.focus(); }
    });
    search.addEventListener("keydown", function (event) {
      var list = options();
      if (event.key === "ArrowDown" && list.length) { list[0].focus(); event.preventDefault(); }
      if (event.key === "Enter") {
        event.preventDefault(); // never submit the search without a picked patient
        if (list.length === 1) choose(list[0]);
        else if (list.length) list[0].focus();
      }
    });
    if (clear) {
      clear.addEventListener("click", function () {
        hidden.value = "";
        picked.hidden = true;
        search.hidden = false;
        search.value = "";
        search.focus();
      });
    }
  }

  document.querySelectorAll("[data-patient-picker]").forEach(picker);
  // The board polls only while someone uses the screen: polling must not keep an idle session
  // alive past the idle logoff. A margin keeps the last poll inside the session's lifetime.
  var lastActivity = Date.now();
  ["mousemove", "keydown", "pointerdown", "touchstart", "wheel", "scroll"].forEach(function (name) {
    window.addEventListener(name, function () {
      lastActivity = Date.now();
      var note = document.querySelector("[data-board-paused]");
      if (note) note.hidden = true;
    }, { passive: true });
  });
  window.boardIsActive = function () {
    var live = document.getElementById("board-live");
    var idleMs = (parseInt(live && live.getAttribute("data-idle-seconds"), 10) || 900) * 1000;
    var active = Date.now() - lastActivity < idleMs - 60000;
    var note = document.querySelector("[data-board-paused]");
    if (note) note.hidden = active;
    // No refresh while a booking is being dragged or moved from the keyboard (board.js).
    return active && !window.boardIsMoving;
  };
  // htmx's own trigger filters ("every 20s [boardIsActive()]") need eval, which the CSP forbids:
  // a poll (a request without a triggering event) is cancelled here instead.
  document.body.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (elt.id === "board-live" && !event.detail.triggeringEvent && !window.boardIsActive()) event.preventDefault();
  });

  // Keep the board where the nurse scrolled it when it refreshes itself.
  var scrolled = null;
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var scroller = event.detail.target.querySelector(".board-scroll");
    scrolled = scroller ? [scroller.scrollTop, scroller.scrollLeft] : null;
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var scroller = event.detail.target.querySelector(".board-scroll");
    if (scroller && scrolled) { scroller.scrollTop = scrolled[0]; scroller.scrollLeft = scrolled[1]; }
    scrolled = null;
  });
  // A refresh answered by the sign-in page (the session ended): show that page, not a board inside the board.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/accounts/login/") !== -1) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });
})();
