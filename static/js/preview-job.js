// Follow a rule preview job without reloading the page: poll its JSON status,
// move the bar, and show the result in place when it ends (the edit page keeps
// the draft typed in its form). Without script the panel's "Refresh" link and
// the job page's meta refresh do the same.
(function () {
  "use strict";
  var WIDTHS = ["w-25", "w-50", "w-75", "w-100"];

  function showProgress(panel, data) {
    var bar = panel.querySelector('[role="progressbar"]');
    var fill = panel.querySelector(".progress-bar");
    var label = panel.querySelector("[data-preview-label]");
    if (bar) { bar.setAttribute("aria-valuenow", String(data.percent)); }
    if (fill) {
      // Set through the CSSOM, which the CSP allows (a style attribute it does not);
      // the server's coarse w-* class would win over it, so it goes.
      WIDTHS.forEach(function (name) { fill.classList.remove(name); });
      fill.style.width = data.percent + "%";
    }
    if (label && label.textContent !== data.label) { label.textContent = data.label; }
  }

  function show(panel, data) {
    if (data.active) {
      showProgress(panel, data);
      return panel;
    }
    var holder = document.createElement("div");
    holder.innerHTML = data.html;
    var ended = holder.firstElementChild;
    panel.replaceWith(ended);
    var heading = ended.querySelector("h2");
    if (heading) {  // tell screen-reader users the result is there
      heading.setAttribute("tabindex", "-1");
      heading.focus({preventScroll: true});
    }
    return null;
  }

  function follow(panel) {
    var url = panel.getAttribute("data-preview-status");
    var delay = 1000;
    function poll() {
      if (!panel) { return; }  // ended meanwhile (cancelled from this page)
      // X-Background: watching a preview is not activity (tracker/session_policy.py).
      fetch(url, {headers: {Accept: "application/json", "X-Background": "1"}, credentials: "same-origin", cache: "no-store"})
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.json();
        })
        .then(function (data) {
          delay = 1000;
          if (!panel) { return; }
          panel = show(panel, data);
          if (panel) { window.setTimeout(poll, delay); }
        })
        .catch(function () {
          delay = Math.min(delay * 2, 15000);  // the server is busy or away: ask less often
          window.setTimeout(poll, delay);
        });
    }
    var cancel = panel.querySelector("form[data-preview-cancel]");
    if (cancel) {
      cancel.addEventListener("submit", function (event) {
        event.preventDefault();
        fetch(cancel.action, {
          method: "POST",
          body: new FormData(cancel),
          headers: {Accept: "application/json"},
          credentials: "same-origin"
        }).then(function (response) { return response.json(); })
          .then(function (data) { if (panel) { panel = show(panel, data); } })
          .catch(function () { cancel.submit(); });
      });
    }
    showProgress(panel, {
      percent: parseInt(panel.querySelector('[role="progressbar"]').getAttribute("aria-valuenow"), 10) || 0,
      label: panel.querySelector("[data-preview-label]").textContent
    });
    window.setTimeout(poll, 500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.querySelector("[data-preview-status]");
    if (panel) { follow(panel); }
  });
})();
