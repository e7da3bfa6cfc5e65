/* Grid map: open reports and open cases as points (layer toggles 「未办结事件」「在办案件」),
   from the scoped /api/grid/activity/ endpoint; reports coloured by overdue/status, cases by status.
   Runs after map.js, which exposes the Leaflet map as window.zhifaGridMap. */
(function () {
  "use strict";
  var map = window.zhifaGridMap, box = document.getElementById("grid-map");
  var form = document.getElementById("grid-activity");
  if (!map || !box || !form || !window.L) { return; }
  var REPORT_COLORS = { received: "#f9a825", routed: "#1565c0", handling: "#2e7d32", joint: "#00838f", verifying: "#6a1b9a" };
  var OVERDUE = "#c62828";
  var CASE_COLORS = { open: "#5d4037", filed: "#1565c0", decided: "#2e7d32", enforcing: "#ef6c00" };
  var layers = { reports: null, cases: null };
  var note = document.getElementById("grid-activity-status");
  var seq = 0;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  function popup(p) {
    var d = el("div", null, "activity-popup");
    d.appendChild(el("strong", (p.kind === "report" ? "事件 " : "案件 ") + p.code));
    var line = el("div", p.status_label);
    if (p.overdue) { line.appendChild(document.createTextNode(" ")); line.appendChild(el("span", "已超期", "badge bad")); }
    d.appendChild(line);
    d.appendChild(el("div", p.township, "muted"));
    if (p.summary) { d.appendChild(el("div", p.summary)); }
    if (p.source_report) { d.appendChild(el("div", "来源事件：" + p.source_report, "muted")); }
    var a = el("a", "查看详情 →");
    a.href = p.url;
    d.appendChild(a);
    return d;
  }
  function marker(f) {
    var p = f.properties, ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
    if (p.kind === "report") {
      var c = p.overdue ? OVERDUE : (REPORT_COLORS[p.status] || "#455a64");
      return L.circleMarker(ll, {
        radius: p.overdue ? 8 : 6, color: "#fff", weight: 1.5, fillColor: c, fillOpacity: 0.95,
        className: "activity-report" + (p.overdue ? " activity-overdue" : "")
      });
    }
    // Cases are squares, so that a case opened from a report stays visible on top of it.
    var icon = L.divIcon({ className: "activity-case", iconSize: [12, 12],
                           html: '<span style="background:' + (CASE_COLORS[p.status] || "#455a64") + '"></span>' });
    return L.marker(ll, { icon: icon, zIndexOffset: 500 });
  }
  function draw(kind, fc) {
    var group = L.layerGroup();
    fc.features.forEach(function (f) {
      if (f.properties.kind !== kind.slice(0, -1)) { return; }
      var m = marker(f);
      m.bindPopup(popup(f.properties));
      m.bindTooltip(f.properties.code, { direction: "top" });
      m.addTo(group);
    });
    return group;
  }
  function refresh() {
    var wanted = Array.prototype.filter.call(form.querySelectorAll("input[name=activity]"), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
    Object.keys(layers).forEach(function (k) { if (layers[k]) { map.removeLayer(layers[k]); layers[k] = null; } });
    box.dataset.activity = "";
    if (!wanted.length) { note.textContent = ""; return; }
    var township = document.getElementById("grid-township").value;
    var url = box.dataset.activityUrl + "?layers=" + wanted.join(",") +
      (township ? "&township=" + encodeURIComponent(township) : "");
    var mine = ++seq;
    note.textContent = "正在加载……";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) {
          var msg = body.layers || body.detail || ("请求失败（" + r.status + "）");
          throw new Error([].concat(msg).join("；"));
        }
        return body;
      });
    }).then(function (fc) {
      if (mine !== seq) { return; }  // a newer toggle has already asked again
      var parts = [];
      wanted.forEach(function (k) {
        layers[k] = draw(k, fc).addTo(map);
        parts.push((k === "reports" ? "未办结事件" : "在办案件") + (fc.counts[k] || 0) + "件");
      });
      var text = "地图上：" + parts.join("，");
      if (fc.unplaced_cases) { text += "；" + fc.unplaced_cases + "件案件无来源事件位置，未上图"; }
      if (fc.truncated) { text += "；数量过多，只显示最新的部分"; }
      note.textContent = text;
      box.dataset.activity = wanted.map(function (k) { return k + ":" + (fc.counts[k] || 0); }).join(",");
    }).catch(function (err) { if (mine === seq) { note.textContent = "加载失败：" + err.message; } });
  }
  form.addEventListener("change", refresh);
  document.getElementById("grid-township").addEventListener("change", function () {
    if (form.querySelector("input[name=activity]:checked")) { refresh(); }
  });
  if (form.querySelector("input[name=activity]:checked")) { refresh(); }
})();
