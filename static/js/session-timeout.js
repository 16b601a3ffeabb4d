// The idle warning (tracker/session_policy.py decides; this only tells her).
// 1. The page knows how long it has before the idle end and the absolute
//    end (data-idle-left, data-absolute-left, seconds, from the server).
// 2. A little before the idle end (data-warn seconds) it asks the server
//    again (a background request, which is not activity): another tab may
//    have kept her signed in. If the end is still near, the dialog opens,
//    focus on "Stay signed in", with the time left.
// 3. "Stay signed in" (or Escape) posts to the server, which counts it as
//    activity; the dialog closes and focus goes back where it was.
// 4. At the end it asks once more; signed out, the page is loaded again, and
//    the server sends her to the login page with a calm word about why.
(function () {
  "use strict";
  var dialog = document.getElementById("session-warning");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var warnMs = parseInt(dialog.getAttribute("data-warn"), 10) * 1000;
  var statusUrl = dialog.getAttribute("data-status-url");
  var stayForm = dialog.querySelector("form[data-stay]");
  var stayButton = stayForm.querySelector("button");
  var countdown = dialog.querySelector("[data-countdown]");
  var idleEnd = 0;
  var absoluteEnd = 0;
  var timer = null;
  var ticker = null;
  var returnFocus = null;

  function learn(idleLeft, absoluteLeft) {
    var now = Date.now();
    idleEnd = now + idleLeft * 1000;
    absoluteEnd = now + absoluteLeft * 1000;
  }

  function later(at) {
    clearTimeout(timer);
    timer = setTimeout(check, Math.max(0, at - Date.now()));
  }

  function schedule() {
    // The absolute end cannot be put off: no warning, just ask when it comes.
    later(idleEnd < absoluteEnd ? idleEnd - warnMs : absoluteEnd + 1000);
  }

  function reload() {
    window.location.assign(window.location.href.split("#")[0]);
  }

  function shown() { return dialog.hasAttribute("open"); }

  function tick() {
    var left = Math.max(0, Math.ceil((idleEnd - Date.now()) / 1000));
    var seconds = left % 60;
    countdown.textContent = Math.floor(left / 60) + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  function open() {
    if (!shown()) {
      returnFocus = document.activeElement;
      dialog.showModal();
      stayButton.focus();
      ticker = setInterval(tick, 1000);
    }
    tick();
    later(idleEnd + 1000);
  }

  function close() {
    clearInterval(ticker);
    if (shown()) { dialog.close(); }
    if (returnFocus && typeof returnFocus.focus === "function") { returnFocus.focus(); }
    returnFocus = null;
  }

  function answer(data) {
    if (!data || !data.signed_in) { reload(); return; }
    if (data.idle_left === null) { close(); return; }
    learn(data.idle_left, data.absolute_left);
    if (idleEnd < absoluteEnd && idleEnd - Date.now() <= warnMs + 1000) {
      open();
    } else {
      close();
      schedule();
    }
  }

  function check() {
    fetch(statusUrl, {
      headers: { "X-Background": "1", "Accept": "application/json" },
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(answer, function () {
      later(Date.now() + 15000);  // offline for a moment: ask again soon
    });
  }

  function stay() {
    fetch(statusUrl, {
      method: "POST",
      body: new FormData(stayForm),
      headers: { "Accept": "application/json" },
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      close();
      answer(data);
    }, reload);
  }

  stayForm.addEventListener("submit", function (event) {
    event.preventDefault();
    stay();
  });
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();  // Escape: she is here, so she stays
    stay();
  });

  learn(parseInt(dialog.getAttribute("data-idle-left"), 10), parseInt(dialog.getAttribute("data-absolute-left"), 10));
  schedule();
})();
