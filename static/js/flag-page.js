// A nurse's flag page: her last 90 days load when she asks for them (htmx
// swaps the charts and their tables in under "Her last 90 days"); focus
// moves to that heading, so a keyboard or screen reader starts there
// instead of on the button that is gone.
(function () {
  "use strict";
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail || !event.detail.target || event.detail.target.id !== "her-90-days-body") { return; }
    var heading = document.getElementById("her-90-days-h");
    if (heading) { heading.focus(); }
  });
})();
