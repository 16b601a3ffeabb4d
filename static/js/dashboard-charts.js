// Dashboard bar charts from the page's JSON data (figures are also in text).
(function () {
  "use strict";
  var el = document.getElementById("dashboard-data");
  if (!el || typeof Chart === "undefined") { return; }
  var d = JSON.parse(el.textContent);
  new Chart(document.getElementById("open-chart"), {
    type: "bar",
    data: { labels: d.tiers, datasets: [{ label: "Open", data: d.open, backgroundColor: ["#a4161a", "#9a5b00", "#1d3f6e"] }] },
    options: { maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  new Chart(document.getElementById("rules-chart"), {
    type: "bar",
    data: { labels: d.rules, datasets: [
      { label: "Confirmed", data: d.confirmed, backgroundColor: "#1d6e3f" },
      { label: "Dismissed", data: d.dismissed, backgroundColor: "#6c757d" } ] },
    options: { maintainAspectRatio: false, indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
