// Shared helpers: escape-free DOM building (textContent only), CSRF'd fetch, websocket with retry.
"use strict";
const HL = {
  csrf() { return document.body.dataset.csrf; },
  el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(child == null ? "" : String(child)));
    }
    return node;
  },
  async post(url, body) {
    const res = await fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": HL.csrf()},
      body: JSON.stringify(body || {})});
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  },
  live(path, onData, onState) {
    let delay = 1000;
    const open = () => {
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(`${proto}//${location.host}${path}`);
      ws.onopen = () => { delay = 1000; onState(true); };
      ws.onmessage = (ev) => onData(JSON.parse(ev.data));
      ws.onclose = () => { onState(false); setTimeout(open, delay); delay = Math.min(delay * 2, 15000); };
    };
    open();
  },
  duration(s) {
    s = Math.max(0, Math.round(s));
    const m = Math.floor(s / 60), r = s % 60;
    return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${String(r).padStart(2, "0")}`
                   : `${m}:${String(r).padStart(2, "0")}`;
  },
  pct(x) { return x == null ? "—" : `${(x * 100).toFixed(1)}%`; },
};
