// "Print this page" (templates/tracker/visit_summary.html): our CSP forbids
// inline script. The print styles are static/css/app.css's @media print.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
