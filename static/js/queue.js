// Announce a new emergency flag when the queue refreshes itself (htmx).
(function () {
  "use strict";
  var seen = null;
  function check() {
    var table = document.querySelector("#queue [data-newest-emergency]");
    if (!table) { return; }
    var newest = parseInt(table.getAttribute("data-newest-emergency"), 10) || 0;
    if (seen !== null && newest > seen) {
      document.getElementById("emergency-announcer").classList.remove("d-none");
    }
    seen = Math.max(seen || 0, newest);
  }
  document.addEventListener("DOMContentLoaded", check);
  document.body.addEventListener("htmx:afterSwap", check);
})();
