/* Grid map page: draws grid polygons of one level from /api/grid/geojson/ with Leaflet (no tiles),
   shows a unit's base data and responsible staff on click, and locates typed coordinates. */
(function () {
  "use strict";
  var box = document.getElementById("grid-map");
  if (!box || !window.L) { return; }
  var COLORS = { township: "#b71c1c", community: "#1565c0", grid: "#2e7d32", micro: "#6a1b9a", dedicated: "#e65100" };
  var LEVEL_NAMES = { township: "乡镇（街道）", community: "一级网格", grid: "二级网格", micro: "微网格", dedicated: "专属网格" };
  var KIND_COLORS = { shop: "#0277bd", construction: "#ef6c00", risk: "#c62828", public_place: "#2e7d32" };
  var map = L.map(box, { attributionControl: false, zoomSnap: 0.25, minZoom: 6, maxZoom: 19 });
  map.setView([35.8, 112.9], 10);
  var byId = {};
  var layer = null, selected = null, marker = null, elementLayer = null, context = null, contextKey = null;
  var status = document.getElementById("grid-status");
  var detail = document.getElementById("grid-detail");
  var form = document.getElementById("grid-controls");

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.error || ("请求失败（" + r.status + "）")); }
        return body;
      });
    });
  }
  function current() {
    var level = form.querySelector("input[name=level]:checked").value;
    var township = document.getElementById("grid-township").value;
    return { level: level, township: township };
  }
  function style(f) {
    var c = COLORS[f.properties.level] || "#333";
    return { color: c, weight: f.properties.level === "micro" ? 1 : 2, fillColor: c, fillOpacity: 0.08,
             className: "grid-unit grid-" + f.properties.code };
  }
  function drawContext(q) {
    // Township outlines under finer levels, so a few dedicated grids are not drawn in a void.
    var key = q.level === "township" ? null : q.township;
    if (key === contextKey && (context || key === null)) { return; }
    if (context) { map.removeLayer(context); context = null; }
    contextKey = key;
    if (key === null) { return; }
    getJSON(box.dataset.geojson + "?level=township" + (q.township ? "&township=" + encodeURIComponent(q.township) : ""))
      .then(function (fc) {
        if (contextKey !== key) { return; }
        context = L.geoJSON(fc, { interactive: false, style: { color: "#777", weight: 1.5, dashArray: "4 4", fill: false } }).addTo(map);
        context.bringToBack();
      }).catch(function () { /* the context is decoration only */ });
  }
  function load() {
    var q = current();
    drawContext(q);
    var url = box.dataset.geojson + "?level=" + encodeURIComponent(q.level) +
      (q.township ? "&township=" + encodeURIComponent(q.township) : "");
    status.textContent = "正在加载网格……";
    return getJSON(url).then(function (fc) {
      if (layer) { map.removeLayer(layer); }
      selected = null;
      byId = {};
      layer = L.geoJSON(fc, {
        style: style,
        onEachFeature: function (f, lyr) {
          byId[f.properties.id] = lyr;
          if (f.properties.level === "township" || f.properties.level === "community") {
            // Few and large: their names stay on the map, as on a paper grid map.
            lyr.bindTooltip(el("span", f.properties.name), { permanent: true, direction: "center", className: "grid-label" });
          } else {
            lyr.bindTooltip(el("span", f.properties.name + "（" + f.properties.code + "）"), { sticky: true });
          }
          lyr.on("click", function () { select(lyr, f.properties.id); });
        }
      }).addTo(map);
      var n = fc.features.length;
      status.textContent = "共" + n + "个" + LEVEL_NAMES[q.level] + "（点击网格查看详情）";
      box.dataset.loaded = q.level + ":" + n;
      if (n) { map.fitBounds(layer.getBounds(), { padding: [10, 10], animate: false }); }
    }).catch(function (err) { status.textContent = "加载失败：" + err.message; });
  }
  function select(lyr, id) {
    if (picking) { return; }  // the click places an element; the map's handler takes it
    if (selected) { layer.resetStyle(selected); }
    selected = lyr;
    lyr.setStyle({ weight: 3, fillOpacity: 0.3 });
    showUnit(id);
  }
  function dl(rows) {
    var d = el("dl");
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") { return; }
      d.appendChild(el("dt", r[0])); d.appendChild(el("dd", String(r[1])));
    });
    return d;
  }
  function staffList(resp, target, ownUnit) {
    var any = false;
    (resp.levels || []).forEach(function (lv) {
      if (!lv.posts.length) { return; }
      any = true;
      target.appendChild(el("h3", lv.level_label + " " + lv.name));
      var ul = el("ul", null, "staff");
      lv.posts.forEach(function (p) {
        var li = el("li"); li.appendChild(el("span", p.role_label + "：", "muted"));
        li.appendChild(el("strong", p.name, "staff-name"));
        if (p.phone) { li.appendChild(el("span", " " + p.phone, "muted")); }
        if (box.dataset.canManage && ownUnit === lv.unit_id && p.post_id) {
          var rm = el("button", "撤销", "link-button");
          rm.type = "button";
          rm.addEventListener("click", function () { removePost(p.post_id, ownUnit); });
          li.appendChild(document.createTextNode(" "));
          li.appendChild(rm);
        }
        ul.appendChild(li);
      });
      target.appendChild(ul);
    });
    if ((resp.officers || []).length) {
      any = true;
      target.appendChild(el("h3", "执法人员（" + resp.enforcement_grids.join("、") + "）"));
      var ul = el("ul", null, "officers");
      resp.officers.forEach(function (p) { ul.appendChild(el("li", p.name + (p.phone ? " " + p.phone : ""))); });
      target.appendChild(ul);
    }
    if (!any) { target.appendChild(el("p", "尚未配备网格人员。", "muted")); }
  }
  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function send(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      if (r.status === 204) { return {}; }
      return r.json().then(function (b) {
        if (!r.ok) {
          var extra = b.fields ? Object.values(b.fields).map(function (v) { return [].concat(v).join("；"); }).join("；") : "";
          throw new Error((b.error || ("请求失败（" + r.status + "）")) + (extra ? "：" + extra : ""));
        }
        return b;
      });
    });
  }
  function removePost(postId, unitId) {
    send("DELETE", box.dataset.staff + postId + "/").then(function () { showUnit(unitId); })
      .catch(function (err) { alert("撤销失败：" + err.message); });
  }
  function staffForm(u) {
    var people = JSON.parse((document.getElementById("grid-staff-candidates") || {}).textContent || "[]");
    var roles = JSON.parse((document.getElementById("grid-staff-roles") || {}).textContent || "{}");
    var f = el("form", null, "staff-form");
    f.appendChild(el("h2", "任命网格人员"));
    var who = el("select"); who.name = "user";
    people.filter(function (p) { return p.township === u.township; }).forEach(function (p) {
      var o = el("option", p.name + "（" + p.role + "）"); o.value = p.id; who.appendChild(o);
    });
    var role = el("select"); role.name = "role";
    Object.keys(roles).forEach(function (k) {
      var o = el("option", roles[k]); o.value = k; if (k === "worker") { o.selected = true; } role.appendChild(o);
    });
    var l1 = el("label", "人员 "); l1.appendChild(who); f.appendChild(l1);
    var l2 = el("label", "岗位 "); l2.appendChild(role); f.appendChild(l2);
    var btn = el("button", "任命", "primary"); btn.type = "submit"; f.appendChild(btn);
    var msg = el("div"); f.appendChild(msg);
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      send("POST", box.dataset.units + u.id + "/staff/", { user: Number(who.value), role: role.value })
        .then(function () { showUnit(u.id); })
        .catch(function (err) { msg.textContent = ""; msg.appendChild(el("p", err.message, "errors")); });
    });
    return f;
  }
  function showUnit(id) {
    detail.textContent = "正在加载……";
    getJSON(box.dataset.units + id + "/").then(function (u) {
      detail.textContent = "";
      detail.appendChild(el("h2", u.name || u.code, "unit-title"));
      var page = el("a", "详情页"); page.href = box.dataset.unitPage.replace("/0/", "/" + u.id + "/");
      detail.appendChild(page);
      detail.appendChild(dl([
        ["编码", u.code], ["层级", u.level_label], ["乡镇（街道）", u.township_name],
        ["上级网格", u.ancestors.map(function (a) { return a.name; }).join(" / ")],
        ["类型", u.kind], ["户数", u.households], ["人数", u.population], ["商企", u.businesses],
        ["下级网格", u.children || null]
      ]));
      var s = el("div", null, "responsible");
      s.appendChild(el("h2", "负责人员"));
      staffList(u.responsible, s, u.id);
      detail.appendChild(s);
      if (box.dataset.canManage && u.level !== "township") { detail.appendChild(staffForm(u)); }
    }).catch(function (err) { detail.textContent = "无法加载网格信息：" + err.message; });
  }
  function locate(ev) {
    ev.preventDefault();
    var f = ev.target, out = document.getElementById("grid-locate-result");
    var url = box.dataset.locate + "?lon=" + encodeURIComponent(f.lon.value.trim()) +
      "&lat=" + encodeURIComponent(f.lat.value.trim()) + "&crs=" + encodeURIComponent(f.crs.value);
    out.textContent = "正在定位……";
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (res) {
      out.textContent = "";
      if (res.error) {
        out.appendChild(el("p", res.error + (res.fields ? "：" + Object.values(res.fields).join("；") : ""), "errors"));
        return;
      }
      if (marker) { map.removeLayer(marker); }
      marker = L.circleMarker([res.wgs84[1], res.wgs84[0]], { radius: 7, color: "#000", fillColor: "#ffeb3b", fillOpacity: 1 }).addTo(map);
      if (!res.found) { out.appendChild(el("p", res.message, "errors")); return; }
      map.panTo([res.wgs84[1], res.wgs84[0]]);
      out.appendChild(dl([["乡镇（街道）", res.township], ["一级网格", res.community], ["二级网格", res.grid],
                          ["微网格", res.micro], ["专属网格", res.dedicated]]));
      if (res.responsible) { staffList(res.responsible, out); }
    }).catch(function (err) { out.textContent = "定位失败：" + err.message; });
  }
  function toggleElements(ev) {
    if (elementLayer) { map.removeLayer(elementLayer); elementLayer = null; }
    if (!ev.target.checked) { return; }
    getJSON(box.dataset.elements + "?limit=2000").then(function (page) {
      elementLayer = L.layerGroup();
      (page.results || []).forEach(function (e) {
        L.circleMarker([e.lat, e.lon], { radius: 5, color: KIND_COLORS[e.kind] || "#333", fillOpacity: 0.8 })
          .bindPopup(el("div", e.kind_label + "：" + e.name + (e.address ? "（" + e.address + "）" : "") + "，所在网格：" + e.unit))
          .addTo(elementLayer);
      });
      elementLayer.addTo(map);
    }).catch(function (err) { status.textContent = "要素加载失败：" + err.message; });
  }
  var picking = false;
  function pickOnMap() {
    picking = true;
    box.style.cursor = "crosshair";
    status.textContent = "请在地图上点击要素所在位置";
  }
  map.on("click", function (ev) {
    if (!picking) { return; }
    picking = false;
    box.style.cursor = "";
    var f = document.getElementById("grid-element-form");
    f.lon.value = ev.latlng.lng.toFixed(6);
    f.lat.value = ev.latlng.lat.toFixed(6);
    f.crs.value = "wgs84";  // the map is drawn in the stored system
    status.textContent = "已选定位置";
  });
  function addElement(ev) {
    ev.preventDefault();
    var f = ev.target, out = document.getElementById("grid-element-result");
    send("POST", box.dataset.elements, {
      kind: f.kind.value, name: f.name.value.trim(), address: f.address.value.trim(),
      lon: f.lon.value.trim(), lat: f.lat.value.trim(), crs: f.crs.value
    }).then(function (e) {
      out.textContent = "";
      out.appendChild(el("p", "已登记：" + e.kind_label + "“" + e.name + "”，所在网格 " + e.unit, "msg-ok"));
      f.name.value = ""; f.address.value = "";
      var cb = document.getElementById("grid-elements");
      if (cb.checked) { toggleElements({ target: cb }); }
    }).catch(function (err) { out.textContent = ""; out.appendChild(el("p", err.message, "errors")); });
  }
  var elementForm = document.getElementById("grid-element-form");
  if (elementForm) {
    elementForm.addEventListener("submit", addElement);
    document.getElementById("grid-element-pick").addEventListener("click", pickOnMap);
  }
  function search(ev) {
    ev.preventDefault();
    var q = ev.target.q.value.trim(), list = document.getElementById("grid-search-results");
    list.textContent = "";
    if (!q) { return; }
    getJSON(box.dataset.units + "?limit=20&q=" + encodeURIComponent(q)).then(function (page) {
      if (!page.results.length) { list.appendChild(el("li", "没有找到“" + q + "”", "muted")); return; }
      page.results.forEach(function (u) {
        var li = el("li"), a = el("a", (u.name || u.code) + "（" + u.code + "，" + u.level_label + "）");
        a.href = "#";
        a.addEventListener("click", function (e2) { e2.preventDefault(); list.textContent = ""; goTo(u); });
        li.appendChild(a); list.appendChild(li);
      });
    }).catch(function (err) { list.appendChild(el("li", "查找失败：" + err.message, "errors")); });
  }
  function goTo(u) {
    form.querySelector("input[name=level][value=" + u.level + "]").checked = true;
    var sel = document.getElementById("grid-township");
    if (sel.value && sel.value !== u.township) { sel.value = u.township; }
    load().then(function () {
      var lyr = byId[u.id];
      if (!lyr) { return; }
      map.fitBounds(lyr.getBounds().pad(0.6), { maxZoom: 16, animate: false });
      select(lyr, u.id);
    });
  }
  document.getElementById("grid-search").addEventListener("submit", search);
  form.addEventListener("change", function (ev) { if (ev.target.id !== "grid-elements") { load(); } });
  document.getElementById("grid-elements").addEventListener("change", toggleElements);
  document.getElementById("grid-locate").addEventListener("submit", locate);
  window.zhifaGridMap = map;
  load();
})();
