// The chair board's behaviour HTML cannot do alone:
// - tooltips (full name, readiness, actual chair time) on hover and on keyboard focus;
// - moving a booking by dragging it to another time or chair, or from the keyboard (focus it, press M,
//   then the arrow keys: left/right one slot, up/down one chair; Enter to continue, Escape to cancel).
// Either way the nurse lands on the move confirmation page, where the planner re-checks the slot
// through the same move service as the move page (same confirmation, same refusal messages).
(function () {
  "use strict";

  var live = document.getElementById("board-live");
  if (!live) return;
  var announcer = document.getElementById("board-move-status");

  if (window.bootstrap && window.bootstrap.Tooltip) {
    new window.bootstrap.Tooltip(document.body, {
      selector: "#board-live [data-bs-toggle=tooltip]",
      trigger: "hover focus",
      container: "body",
    });
  }
  function dropTooltips() {
    document.querySelectorAll("body > .tooltip").forEach(function (tip) { tip.remove(); });
  }
  document.body.addEventListener("htmx:beforeSwap", dropTooltips);

  function board() { return live.querySelector(".board"); }
  function tracks() { return Array.prototype.slice.call(live.querySelectorAll(".board-track[data-chair-id]")); }
  function grid() {
    var b = board();
    return {
      opens: Date.parse(b.getAttribute("data-opens")),
      span: parseInt(b.getAttribute("data-span-seconds"), 10) * 1000,
      step: parseInt(b.getAttribute("data-slot-minutes"), 10) * 60000,
      zone: b.getAttribute("data-timezone") || undefined,
    };
  }
  function snap(ms, g) {
    var snapped = g.opens + Math.round((ms - g.opens) / g.step) * g.step;
    return Math.min(Math.max(snapped, g.opens), g.opens + g.span - g.step);
  }
  function clock(ms, g) {
    return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: g.zone }).format(new Date(ms));
  }
  function timeAt(track, clientX, g) {
    var rect = track.getBoundingClientRect();
    var fraction = Math.min(Math.max((clientX - rect.left) / rect.width, 0), 1);
    return g.opens + fraction * g.span;
  }
  function say(text) { if (announcer) announcer.textContent = text; }

  var ghost = null;
  function showGhost(track, tile, startMs, g) {
    if (!ghost) {
      ghost = document.createElement("div");
      ghost.className = "board-drop-ghost";
      ghost.setAttribute("aria-hidden", "true");
    }
    if (ghost.parentNode !== track) track.appendChild(ghost);
    ghost.style.left = ((startMs - g.opens) * 100 / g.span).toFixed(4) + "%";
    ghost.style.width = tile.style.width;
    ghost.textContent = track.getAttribute("data-chair-label") + " " + clock(startMs, g);
  }
  function hideGhost() { if (ghost && ghost.parentNode) ghost.parentNode.removeChild(ghost); }

  function moveTo(tile, track, startMs) {
    var query = new URLSearchParams({
      search: "1",
      from: "board",
      chair: track.getAttribute("data-chair-id"),
      start: new Date(startMs).toISOString(),
    });
    window.location.assign(tile.getAttribute("data-move-url") + "?" + query.toString());
  }

  // Pointer: HTML drag and drop. The board stops refreshing itself while a booking is being moved.
  var dragged = null;
  live.addEventListener("dragstart", function (event) {
    var tile = event.target.closest && event.target.closest("a.board-appt[data-move-url]");
    if (!tile) return;
    var g = grid();
    var track = tile.closest(".board-track");
    dragged = { tile: tile, grab: timeAt(track, event.clientX, g) - Date.parse(tile.getAttribute("data-start")) };
    window.boardIsMoving = true;
    dropTooltips();
    tile.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/uri-list", tile.href);
  });
  live.addEventListener("dragover", function (event) {
    var track = dragged && event.target.closest && event.target.closest(".board-track[data-chair-id]");
    if (!track) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    var g = grid();
    showGhost(track, dragged.tile, snap(timeAt(track, event.clientX, g) - dragged.grab, g), g);
  });
  live.addEventListener("drop", function (event) {
    var track = dragged && event.target.closest && event.target.closest(".board-track[data-chair-id]");
    if (!track) return;
    event.preventDefault();
    var g = grid();
    moveTo(dragged.tile, track, snap(timeAt(track, event.clientX, g) - dragged.grab, g));
  });
  live.addEventListener("dragend", function () {
    if (dragged) dragged.tile.classList.remove("is-dragging");
    dragged = null;
    window.boardIsMoving = false;
    hideGhost();
  });

  // Keyboard: M picks the focused booking up, arrows move it, Enter continues, Escape puts it back.
  var moving = null;
  function describe() {
    var g = grid();
    return "Moving " + moving.tile.querySelector(".who").textContent + " to " +
      moving.track.getAttribute("data-chair-label") + " at " + clock(moving.start, g) +
      ". Arrow keys change the time and the chair, Enter continues to the confirmation, Escape cancels.";
  }
  function stopMoving(message) {
    if (moving) moving.tile.classList.remove("is-dragging");
    moving = null;
    window.boardIsMoving = false;
    hideGhost();
    if (message) say(message);
  }
  live.addEventListener("keydown", function (event) {
    var tile = event.target.closest && event.target.closest("a.board-appt[data-move-url]");
    if (!tile) return;
    if (!moving && (event.key === "m" || event.key === "M") && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      dropTooltips();
      moving = { tile: tile, track: tile.closest(".board-track"), start: Date.parse(tile.getAttribute("data-start")) };
      window.boardIsMoving = true;
      tile.classList.add("is-dragging");
      showGhost(moving.track, tile, moving.start, grid());
      say(describe());
      return;
    }
    if (!moving || moving.tile !== tile) return;
    var g = grid();
    var all = tracks();
    var index = all.indexOf(moving.track);
    if (event.key === "ArrowLeft") moving.start = snap(moving.start - g.step, g);
    else if (event.key === "ArrowRight") moving.start = snap(moving.start + g.step, g);
    else if (event.key === "ArrowUp" && index > 0) moving.track = all[index - 1];
    else if (event.key === "ArrowDown" && index < all.length - 1) moving.track = all[index + 1];
    else if (event.key === "Enter") { event.preventDefault(); moveTo(tile, moving.track, moving.start); return; }
    else if (event.key === "Escape") { event.preventDefault(); stopMoving("Move cancelled."); return; }
    else if (event.key === "Tab") { stopMoving("Move cancelled."); return; }
    else return;
    event.preventDefault();
    showGhost(moving.track, tile, moving.start, g);
    say(describe());
  });
})();
