// Every form page (loaded by base.html; our CSP forbids inline script):
// 1. The error summary ({% form_error_summary %}) takes focus when the page
//    loads, so a screen reader reads it and a keyboard starts there; its links
//    move focus to the field and bring the field's label or question in view.
// 2. A live character count under every long text field: every textarea with
//    a maxlength, and any input marked data-charcount or with a maxlength of
//    LONG_INPUT or more. The server still enforces each field's max_length.
(function () {
  "use strict";
  var LONG_INPUT = 500;
  var script = document.currentScript;
  var text = {
    count: (script && script.dataset.countText) || "{count} of {limit} characters",
    over: (script && script.dataset.overText) || "{count} of {limit} characters: {over} too many"
  };
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return key in values ? numbers.format(values[key]) : match;
    });
  }

  // ---- the error summary
  function labelFor(field) {
    var group = field.closest("fieldset");
    if ((field.type === "radio" || field.type === "checkbox") && group) {
      var legend = group.querySelector("legend");
      if (legend) { return legend; }
    }
    return (field.id && document.querySelector('label[for="' + field.id + '"]')) || field;
  }

  function initSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    // A page that draws a field by hand with its own id: say the problem, link nowhere.
    Array.prototype.forEach.call(summary.querySelectorAll("a[href^='#']"), function (link) {
      if (!document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)))) {
        var words = document.createElement("span");
        words.textContent = link.textContent;
        link.replaceWith(words);
      }
    });
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!field) { return; }
      event.preventDefault();
      labelFor(field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  // ---- the character count
  function isLong(field) {
    if (!field.hasAttribute("maxlength")) { return false; }
    if (field.tagName === "TEXTAREA" || field.hasAttribute("data-charcount")) { return true; }
    return field.maxLength >= LONG_INPUT;
  }

  function initCount(field, index) {
    var limit = parseInt(field.getAttribute("maxlength"), 10);
    if (!(limit > 0)) { return; }
    // The browser would cut a longer paste silently; without the attribute
    // she sees how much is too much, and the server's message says it too.
    field.removeAttribute("maxlength");
    field.setAttribute("data-maxlength", String(limit));
    var id = (field.id || "charcount-field-" + index) + "-count";
    var shown = document.createElement("div");
    shown.className = "form-text charcount";
    shown.id = id;
    // Read out a second after she stops typing, not at every key.
    var spoken = document.createElement("div");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", shown);
    shown.insertAdjacentElement("afterend", spoken);
    var described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    described.push(id);
    field.setAttribute("aria-describedby", described.join(" "));
    var timer = null;

    function update(announce) {
      var count = field.value.length;
      var message = count > limit ? fill(text.over, { count: count, limit: limit, over: count - limit })
        : fill(text.count, { count: count, limit: limit });
      shown.textContent = message;
      shown.classList.toggle("charcount-over", count > limit);
      if (announce) {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { spoken.textContent = message; }, 1000);
      }
    }
    field.addEventListener("input", function () { update(true); });
    update(false);
  }

  function init() {
    initSummary();
    var fields = document.querySelectorAll("textarea[maxlength], input[maxlength]");
    Array.prototype.forEach.call(fields, function (field, index) {
      if (isLong(field)) { initCount(field, index); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
