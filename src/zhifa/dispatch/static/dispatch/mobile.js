/* Mobile reporting app (网格员、巡查员上报).
 *
 * A report is first written to an IndexedDB outbox with a client-made id, then sent to the
 * reports API. Sending happens at once when online, on the "online" event and every 15 s.
 * The server stores a client id once, so a resend (lost answer, two tabs, retry) is harmless.
 */
(function () {
  "use strict";
  const app = document.getElementById("app");
  const API = app.dataset.api;
  const DB_NAME = "zhifa-mobile";
  const STORE = "outbox";
  let sending = false;

  function newId() {
    if (window.crypto && crypto.randomUUID) return "m-" + crypto.randomUUID();
    const a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return "m-" + Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "client_id" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  async function tx(mode, fn) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const out = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(out && "result" in out ? out.result : undefined);
      t.onerror = () => reject(t.error);
    });
  }

  const outbox = {
    put: (item) => tx("readwrite", (s) => s.put(item)),
    remove: (id) => tx("readwrite", (s) => s.delete(id)),
    all: () => tx("readonly", (s) => s.getAll()),
  };

  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : app.dataset.csrf;
  }

  function sentList() {
    try {
      return JSON.parse(localStorage.getItem("zhifa-sent") || "[]");
    } catch (e) {
      return [];
    }
  }

  function remember(entry) {
    const list = [entry, ...sentList().filter((x) => x.code !== entry.code)].slice(0, 20);
    localStorage.setItem("zhifa-sent", JSON.stringify(list));
  }

  function errorText(data) {
    if (!data) return "提交失败";
    if (data.fields) {
      return Object.values(data.fields).flat().join("；");
    }
    return data.error || "提交失败";
  }

  async function sendOne(item) {
    const body = new FormData();
    for (const k of ["client_id", "text", "lon", "lat", "crs", "address", "reporter_name", "reporter_phone"]) {
      if (item[k] !== undefined && item[k] !== null) body.append(k, item[k]);
    }
    body.append("anonymous", item.anonymous ? "true" : "false");
    body.append("channel", "mobile");
    (item.photos || []).forEach((p, i) => body.append("photos", p.blob, p.name || "photo" + i + ".jpg"));
    const resp = await fetch(API, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Idempotency-Key": item.client_id, Accept: "application/json" },
    });
    let data = null;
    try {
      data = await resp.json();
    } catch (e) {
      data = null;
    }
    return { status: resp.status, data };
  }

  async function flush() {
    if (sending) return;
    sending = true;
    try {
      for (const item of await outbox.all()) {
        if (item.error) continue;
        let res;
        try {
          res = await sendOne(item);
        } catch (e) {
          break; // offline: keep everything for the next attempt
        }
        if (res.status === 200 || res.status === 201) {
          await outbox.remove(item.client_id);
          remember({ code: res.data.tracking_code, text: item.text.slice(0, 40), at: new Date().toISOString() });
        } else if (res.status === 400 || res.status === 409) {
          item.error = errorText(res.data);
          await outbox.put(item);
        } else if (res.status === 401 || res.status === 403) {
          show("error", "登录已过期，请重新登录后自动发送。");
          break;
        } else {
          break; // server trouble: retry later
        }
      }
    } finally {
      sending = false;
      render();
    }
  }

  function show(kind, text) {
    const el = document.getElementById("message");
    el.className = kind === "error" ? "errors" : "ok";
    el.textContent = text;
    el.hidden = !text;
  }

  async function render() {
    const items = await outbox.all();
    const pending = document.getElementById("pending");
    pending.innerHTML = "";
    items.forEach((it) => {
      const li = document.createElement("li");
      li.dataset.clientId = it.client_id;
      li.textContent = it.text.slice(0, 40) + (it.error ? "（未通过：" + it.error + "）" : "（待发送）");
      if (it.error) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = "删除";
        b.onclick = async () => {
          await outbox.remove(it.client_id);
          render();
        };
        li.appendChild(b);
      }
      pending.appendChild(li);
    });
    document.getElementById("pending-count").textContent = String(items.filter((x) => !x.error).length);
    const sent = document.getElementById("sent");
    sent.innerHTML = "";
    sentList().forEach((s) => {
      const li = document.createElement("li");
      li.innerHTML = "";
      const a = document.createElement("a");
      a.href = "/dispatch/track/?code=" + encodeURIComponent(s.code);
      a.textContent = s.code;
      a.className = "tracking-code";
      li.appendChild(a);
      li.appendChild(document.createTextNode(" " + s.text));
      sent.appendChild(li);
    });
    const net = document.getElementById("net");
    net.textContent = navigator.onLine ? "在线" : "离线";
    net.className = navigator.onLine ? "" : "offline";
  }

  function locate() {
    const status = document.getElementById("gps-status");
    if (!navigator.geolocation) {
      status.textContent = "本设备不支持定位，请手工填写经纬度。";
      return;
    }
    status.textContent = "正在定位……";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        document.getElementById("lon").value = pos.coords.longitude.toFixed(6);
        document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("crs").value = "wgs84"; // the browser's GPS is WGS-84
        status.textContent = "已定位（精度约" + Math.round(pos.coords.accuracy) + "米）";
      },
      (err) => {
        status.textContent = "定位失败：" + (err.code === 1 ? "未允许定位权限" : "无法获取位置") + "，请手工填写。";
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  function previews() {
    const box = document.getElementById("previews");
    box.innerHTML = "";
    Array.from(document.getElementById("photos").files).forEach((f) => {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(f);
      img.alt = "照片预览";
      box.appendChild(img);
    });
  }

  async function submit(ev) {
    ev.preventDefault();
    const form = ev.target;
    const text = form.text.value.trim();
    const problems = [];
    if (!text) problems.push("请填写事件描述");
    if (!form.lon.value || !form.lat.value) problems.push("请先定位或填写经纬度");
    if (problems.length) {
      show("error", problems.join("；"));
      return;
    }
    const photos = await Promise.all(
      Array.from(form.photos.files).map(async (f) => ({
        name: f.name,
        blob: new Blob([await f.arrayBuffer()], { type: f.type || "image/jpeg" }),
      }))
    );
    const item = {
      client_id: newId(),
      text,
      lon: form.lon.value,
      lat: form.lat.value,
      crs: form.crs.value,
      address: form.address.value,
      anonymous: false,
      photos,
      created: new Date().toISOString(),
    };
    await outbox.put(item);
    form.reset();
    previews();
    show("ok", navigator.onLine ? "已保存，正在发送……" : "当前离线，已保存在本机，联网后自动发送。");
    await render();
    if (navigator.onLine) await flush();
    const left = (await outbox.all()).find((x) => x.client_id === item.client_id);
    if (!left) show("ok", "已发送，可在下方“已上报”中查看查询码。");
    else if (left.error) show("error", left.error);
  }

  document.getElementById("report-form").addEventListener("submit", submit);
  document.getElementById("gps").addEventListener("click", locate);
  document.getElementById("photos").addEventListener("change", previews);
  window.addEventListener("online", () => {
    render();
    flush();
  });
  window.addEventListener("offline", render);
  setInterval(() => navigator.onLine && flush(), 15000);
  window.zhifaFlush = flush; // for tests and the "发送" button
  document.getElementById("send-now").addEventListener("click", flush);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(app.dataset.sw, { scope: "/dispatch/m/" }).catch(() => {});
  }
  render().then(() => navigator.onLine && flush());
})();
