// The queue refreshes its table every 30 s (htmx swaps #queue's content).
// 1. A new emergency flag is announced (an alert read out by screen readers).
// 2. Keyboard focus stays where it was: a link in the table is found again
//    in the new table by its id (each flag's link is "q-<flag id>") or its
//    address (pagination), and takes focus back without scrolling.
// 3. What she was looking at stays where it was on her screen: the focused
//    link at the same height (rows above it may have come or gone), else the
//    page's scroll position; and the table's sideways scroll (a phone).
(function () {
  "use strict";
  var seen = null;
  var kept = null;

  function queue() { return document.getElementById("queue"); }

  function checkEmergency() {
    var table = document.querySelector("#queue [data-newest-emergency]");
    if (!table) { return; }
    var newest = parseInt(table.getAttribute("data-newest-emergency"), 10) || 0;
    if (seen !== null && newest > seen) {
      document.getElementById("emergency-announcer").classList.remove("d-none");
    }
    seen = Math.max(seen || 0, newest);
  }

  function remember() {
    var box = queue();
    var active = document.activeElement;
    var inside = !!(active && box && box !== active && box.contains(active));
    var wide = box && box.querySelector(".table-responsive");
    kept = {
      x: window.scrollX,
      y: window.scrollY,
      left: wide ? wide.scrollLeft : 0,
      id: inside ? active.id : "",
      href: inside ? active.getAttribute("href") : null,
      top: inside ? active.getBoundingClientRect().top : null
    };
  }

  function restore() {
    if (!kept) { return; }
    var box = queue();
    var wide = box.querySelector(".table-responsive");
    if (wide) { wide.scrollLeft = kept.left; }
    var target = null;
    if (kept.id) {
      target = document.getElementById(kept.id);
    } else if (kept.href) {
      target = Array.prototype.find.call(box.querySelectorAll("a[href]"), function (a) {
        return a.getAttribute("href") === kept.href;
      });
    }
    window.scrollTo(kept.x, kept.y);
    if (target) {
      target.focus({ preventScroll: true });
      window.scrollBy(0, target.getBoundingClientRect().top - kept.top);
    }
    kept = null;
  }

  function isQueue(event) {
    return event.detail && event.detail.target && event.detail.target.id === "queue";
  }

  document.addEventListener("DOMContentLoaded", checkEmergency);
  document.body.addEventListener("htmx:beforeSwap", function (event) { if (isQueue(event)) { remember(); } });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (!isQueue(event)) { return; }
    checkEmergency();
    restore();
  });
})();
