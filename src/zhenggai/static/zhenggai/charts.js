// zhenggai: the charts of the desks and the dashboard, drawn with ECharts (served locally).
// The data comes from a <script type="application/json"> block written by Django's json_script
// (no inline script: the pages' CSP allows scripts from 'self' only).
(function () {
  "use strict";

  var TIER_COLOURS = { green: "#198754", yellow: "#ffc107", red: "#dc3545", black: "#212529" };

  function data(el) {
    var src = document.getElementById(el.getAttribute("data-source"));
    return src ? JSON.parse(src.textContent) : null;
  }

  function curve(d) {
    return {
      grid: { left: 40, right: 16, top: 24, bottom: 32 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: d.weeks, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1, max: d.total || null },
      series: [{ name: "累计完成问题", type: "line", data: d.completed, areaStyle: { opacity: 0.15 }, smooth: false }]
    };
  }

  function completion(d) {
    return {
      grid: { left: 40, right: 16, top: 24, bottom: 64 },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      xAxis: { type: "category", data: d.units, axisLabel: { interval: 0, rotate: d.units.length > 4 ? 30 : 0 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: "问题完成率", type: "bar", data: d.completion, itemStyle: { color: "#0d6efd" } },
        { name: "按期完成率", type: "line", data: d.on_time },
        { name: "按期完成率（原时限）", type: "line", data: d.on_time_original, lineStyle: { type: "dashed" } }
      ],
      legend: { top: 0 }
    };
  }

  function tiers(d) {
    var series = Object.keys(d.tiers).map(function (key) {
      return {
        name: d.tier_names[key], tierKey: key, type: "bar", stack: "tiers", data: d.tiers[key],
        itemStyle: { color: TIER_COLOURS[key] }
      };
    });
    return {
      grid: { left: 40, right: 16, top: 32, bottom: 64 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: d.units, axisLabel: { interval: 0, rotate: d.units.length > 4 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: series
    };
  }

  var BUILD = { curve: curve, completion: completion, tiers: tiers };

  function draw(el) {
    var d = data(el);
    var build = BUILD[el.getAttribute("data-chart")];
    if (!d || !build || typeof echarts === "undefined") { return; }
    el.style.height = "280px";
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build(d));
    var drill = el.getAttribute("data-drill");
    if (drill && d.unit_ids) {
      // Drill down: a bar opens the unit's measures (of that tier, for the tier chart).
      chart.on("click", function (p) {
        var id = d.unit_ids[p.dataIndex];
        if (id === undefined) { return; }
        var key = p.seriesIndex !== undefined && el.getAttribute("data-chart") === "tiers"
          ? Object.keys(d.tiers)[p.seriesIndex] : null;
        window.location.href = drill + "?unit=" + encodeURIComponent(id) + (key ? "&tier=" + key : "");
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".zg-chart").forEach(draw);
  });
})();
