/* Map of open reports on the dispatch board: township outlines from the grid API (no tiles,
   no network beyond this server), one circle per report, red when its step is overdue. */
(function () {
  "use strict";
  var box = document.getElementById("dispatch-map");
  var data = document.getElementById("dispatch-points");
  if (!box || !data || !window.L) { return; }
  var points = JSON.parse(data.textContent);
  var map = L.map(box, { attributionControl: false, minZoom: 6, maxZoom: 19 });
  map.setView([35.8, 112.9], 10);
  var bounds = [];
  points.forEach(function (p) {
    var m = L.circleMarker([p.lat, p.lon], {
      radius: 7, color: p.overdue ? "#b71c1c" : "#1565c0", fillOpacity: 0.7, className: "report-dot"
    }).addTo(map);
    var html = document.createElement("div");
    var a = document.createElement("a");
    a.href = "/dispatch/" + p.id + "/";
    a.textContent = p.code;
    html.appendChild(a);
    html.appendChild(document.createTextNode(" " + p.status + "：" + p.text));
    m.bindPopup(html);
    bounds.push([p.lat, p.lon]);
  });
  fetch(box.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (fc) {
      if (!fc) { return; }
      var layer = L.geoJSON(fc, { style: { color: "#555", weight: 1.5, fillOpacity: 0.03 } }).addTo(map);
      layer.bringToBack();
      if (!bounds.length && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
    })
    .catch(function () {});
  if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 }); }
})();
