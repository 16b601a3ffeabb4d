// Her symptom and weight charts, from the page's JSON (selectors.history_chart).
// The same data is in a table under each chart (templates/tracker/_charts.html).
//
// Time runs on a true time axis: Chart.js's "time" scale with the Luxon date
// adapter (static/vendor/chartjs-adapter-luxon, pinned; see its README). Two
// weights a day apart sit a day apart, three weeks apart sit three weeks
// apart; nothing is a repeated or evenly spaced category. Luxon places the
// ticks in the zone the page is shown in (hers on her own page) and names
// them with the browser's Intl in the page's locale ("3 Feb" / "3 feb").
(function () {
  "use strict";
  var el = document.getElementById("chart-data");
  if (!el || typeof Chart === "undefined") { return; }
  var data = JSON.parse(el.textContent);
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  if (reduceMotion) { Chart.defaults.animation = false; }
  Chart.defaults.font.size = 14;
  Chart.defaults.color = "#212529";

  var DAY = { month: "short", day: "numeric" };
  var WHEN = { month: "short", day: "numeric", year: "numeric", hour: "numeric", minute: "2-digit" };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) { return key in values ? values[key] : match; });
  }

  function timeAxis() {
    return {
      type: "time",
      min: data.since,
      max: data.until,
      adapters: { date: { zone: data.time_zone, locale: data.locale } },
      time: { minUnit: "day", displayFormats: { day: DAY, week: DAY }, tooltipFormat: WHEN },
      ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 6 },
      grid: { color: "#e3e6ea" }
    };
  }

  // The weight axis spans at least weight_min_span (5 kg / 10 lb) around her
  // values, centred on them, so a few hundred grams look like what they are.
  function weightRange(values) {
    var low = Math.min.apply(null, values);
    var high = Math.max.apply(null, values);
    var middle = (low + high) / 2;
    var half = data.weight_min_span / 2;
    if (high - low < data.weight_min_span) {
      return { min: Math.max(0, Math.floor(middle - half)), max: Math.ceil(middle + half) };
    }
    return { min: Math.max(0, Math.floor(low - 1)), max: Math.ceil(high + 1) };
  }

  var weightCanvas = document.getElementById("weight-chart");
  if (weightCanvas && data.weights.length) {
    var range = weightRange(data.weights.map(function (p) { return p.y; }));
    new Chart(weightCanvas, {
      type: "line",
      data: {
        datasets: [{ label: weightCanvas.dataset.yTitle, data: data.weights,
          borderColor: "#1d3f6e", backgroundColor: "#1d3f6e", pointRadius: 4, tension: 0 }]
      },
      options: {
        locale: data.locale,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: {
          x: timeAxis(),
          y: { min: range.min, max: range.max, title: { display: true, text: weightCanvas.dataset.yTitle },
            grid: { color: "#e3e6ea" } }
        }
      }
    });
  }

  // Severity is the height of each point (0 to 10, the whole scale always
  // shown); each symptom is a series with its own colour and shape, named in
  // the legend and in the tooltip ("Pain · Hip: 7 of 10").
  var COLOURS = ["#1d3f6e", "#a4161a", "#1d6e3f", "#7a4a00", "#5b2a86", "#00616e", "#6b4e16", "#4a4a4a"];
  var SHAPES = ["circle", "triangle", "rect", "rectRot", "star", "crossRot", "rectRounded", "cross"];
  var symptomCanvas = document.getElementById("symptom-chart");
  if (symptomCanvas && data.symptoms.length) {
    var bySymptom = {};
    var names = [];
    data.symptoms.forEach(function (p) {
      if (!(p.symptom in bySymptom)) { bySymptom[p.symptom] = []; names.push(p.symptom); }
      bySymptom[p.symptom].push(p);
    });
    var datasets = names.map(function (name, i) {
      return { label: name, data: bySymptom[name], showLine: false, pointRadius: 6, pointHoverRadius: 8, clip: 10,
        pointStyle: SHAPES[i % SHAPES.length], borderColor: COLOURS[i % COLOURS.length],
        backgroundColor: COLOURS[i % COLOURS.length] };
    });
    // Its words come from the page (templates/tracker/_charts.html), in her language.
    var pointText = symptomCanvas.dataset.pointText || "{symptom}: {severity}/10";
    new Chart(symptomCanvas, {
      type: "scatter",
      data: { datasets: datasets },
      options: {
        locale: data.locale,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: true, position: "bottom", labels: { usePointStyle: true } },
          tooltip: { callbacks: { label: function (ctx) {
            var p = ctx.raw;
            return fill(pointText, { symptom: p.site ? p.symptom + " · " + p.site : p.symptom, severity: p.y });
          } } }
        },
        scales: {
          x: timeAxis(),
          y: { min: 0, max: 10, ticks: { stepSize: 2 }, title: { display: true, text: symptomCanvas.dataset.yTitle },
            grid: { color: "#e3e6ea" } }
        }
      }
    });
  }
})();
