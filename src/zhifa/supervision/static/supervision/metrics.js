// Draws the metrics board from the JSON embedded in the page (Chart.js, vendored).
(function () {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  if (typeof Chart === "undefined") return;
  Chart.defaults.font.family = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  const pct = { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } };
  function bars(id, label, values, color, target) {
    const datasets = [{ label: label, data: values, backgroundColor: color }];
    if (target !== undefined) {
      datasets.push({ type: "line", label: "目标", data: values.map(() => target), borderColor: "#b71c1c", pointRadius: 0, borderDash: [6, 4] });
    }
    new Chart(document.getElementById(id), { type: "bar", data: { labels: data.townships, datasets: datasets }, options: { scales: pct, animation: false } });
  }
  bars("chart-activity", "活跃率", data.activity, "#1565c0", data.target);
  bars("chart-ontime", "按时办结率", data.on_time, "#2e7d32");
  bars("chart-usage", "赋权事项使用率", data.usage, "#ef6c00");
  new Chart(document.getElementById("chart-trend"), {
    type: "line",
    data: { labels: data.trend_labels, datasets: [{ label: "全县活跃率", data: data.trend, borderColor: "#1565c0", tension: 0 }] },
    options: { scales: pct, animation: false },
  });
  window.zhifaChartsReady = true;
})();
