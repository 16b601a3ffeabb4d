// Draws the weight chart and symptom timeline from the page's JSON data.
(function () {
  "use strict";
  var el = document.getElementById("chart-data");
  if (!el || typeof Chart === "undefined") { return; }
  var data = JSON.parse(el.textContent);
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  Chart.defaults.animation = reduceMotion ? false : Chart.defaults.animation;
  Chart.defaults.font.size = 14;

  var weightCanvas = document.getElementById("weight-chart");
  if (weightCanvas && data.weights.length) {
    new Chart(weightCanvas, {
      type: "line",
      data: {
        labels: data.weights.map(function (p) { return p.x; }),
        datasets: [{ label: "Weight (" + data.weight_unit + ")", data: data.weights.map(function (p) { return p.y; }),
          borderColor: "#1d3f6e", backgroundColor: "#1d3f6e", tension: 0.2 }]
      },
      options: { maintainAspectRatio: false, plugins: { legend: { display: false } },
        scales: { y: { title: { display: true, text: data.weight_unit } } } }
    });
  }

  var symptomCanvas = document.getElementById("symptom-chart");
  if (symptomCanvas && data.symptoms.length) {
    var days = Array.from(new Set(data.symptoms.map(function (p) { return p.x; }))).sort();
    var labels = Array.from(new Set(data.symptoms.map(function (p) { return p.y; })));
    new Chart(symptomCanvas, {
      type: "scatter",
      data: { datasets: [{ label: "Severity", data: data.symptoms,
        pointRadius: data.symptoms.map(function (p) { return 4 + p.severity; }),
        backgroundColor: "rgba(29, 63, 110, 0.55)", borderColor: "#1d3f6e" }] },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: {
          label: function (ctx) { var p = ctx.raw; return p.y + " on " + p.x + ": severity " + p.severity + "/10"; } } } },
        scales: { x: { type: "category", labels: days }, y: { type: "category", labels: labels, offset: true } }
      }
    });
  }
})();
