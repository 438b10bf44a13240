// Wallboard: renders the view pushed over the websocket; no polling. Text only via textContent.
"use strict";
(() => {
  const root = document.getElementById("wallboard");
  const W = JSON.parse(root.dataset.words);
  const mySeat = root.dataset.seat;
  let last = null, offset = 0;

  const tile = (id, label, cls) => HL.el("div", {class: `tile ${cls || ""}`, id: `t-${id}`},
    HL.el("div", {class: "label"}, label), HL.el("div", {class: "value", id: `v-${id}`}, "—"));

  root.append(
    HL.el("div", {id: "alarms", class: "alarms", role: "alert"}),
    HL.el("div", {class: "tiles"},
      tile("waiting", W.waiting), tile("longest_wait", W.longest_wait),
      tile("today_window", W.three_rings_today), tile("hour_window", W.three_rings_hour),
      tile("service_level", W.service_level), tile("asa", W.asa), tile("aht", W.aht),
      tile("offered", W.offered), tile("abandoned", W.abandoned),
      tile("callbacks", `${W.callbacks} ${W.cb_pending} / ${W.cb_due} / ${W.cb_overdue}`),
      tile("elderly", W.elderly), tile("cases_today", W.cases_today),
      tile("cases_open", `${W.cases_open} / ${W.cases_overdue}`),
      tile("spool", W.spool)),
    HL.el("div", {class: "wall-grid"},
      HL.el("div", {}, HL.el("h2", {}, W.seats), HL.el("table", {id: "seats"}),
            HL.el("h2", {}, W.waiting), HL.el("table", {id: "queue"})),
      HL.el("div", {}, HL.el("h2", {}, W.erlang), HL.el("table", {id: "erlang"}),
            HL.el("h2", {}, W.chart), HL.el("div", {id: "chart"}))));

  const set = (id, text, cls) => {
    const node = document.getElementById(`v-${id}`);
    node.textContent = text;
    if (cls !== undefined) node.parentElement.className = `tile ${cls}`;
  };

  async function act(url, body) {
    try { await HL.post(url, body); } catch (e) { alert(e.message); }
  }

  function seatsTable(view) {
    const t = document.getElementById("seats");
    t.replaceChildren(HL.el("tr", {}, ...[W.seat, W.name, W.state, W.since, W.calls, W.actions]
      .map((h) => HL.el("th", {}, h))));
    const now = Date.now() / 1000 - offset;
    for (const s of view.seats) {
      const buttons = HL.el("td", {});
      const b = (label, fn) => { const x = HL.el("button", {}, label); x.onclick = fn; buttons.append(x, " "); };
      if (s.state === "paused") b(W.resume, () => act(`/wallboard/seat/${s.seat}/resume`));
      else if (s.state !== "logged_out") b(W.pause, () => act(`/wallboard/seat/${s.seat}/pause`, {reason: "supervisor"}));
      if (s.state === "talking") for (const mode of ["listen", "whisper", "barge"]) {
        b(W[mode], () => act("/wallboard/spy", {target: s.seat, mode, from: mySeat || prompt(W.seat)}));
      }
      const label = W[`seat_${s.state}`] || s.state;
      t.append(HL.el("tr", {"data-seat": s.seat},
        HL.el("td", {}, s.seat), HL.el("td", {}, s.name),
        HL.el("td", {class: `state-${s.state}`}, s.paused_reason ? `${label} (${s.paused_reason_name || s.paused_reason})` : label),
        HL.el("td", {class: "since", "data-since": s.since}, HL.duration(now - s.since)),
        HL.el("td", {}, s.calls), buttons));
    }
  }

  function queueTable(view) {
    const t = document.getElementById("queue");
    t.replaceChildren();
    for (const q of view.queue) {
      const up = HL.el("button", {}, W.move_up);
      up.onclick = () => act(`/wallboard/queue/${encodeURIComponent(q.id)}/move-up`);
      t.append(HL.el("tr", {}, HL.el("td", {}, q.caller), HL.el("td", {}, W[`queue_${q.kind}`] || q.kind),
        HL.el("td", {}, HL.duration(q.waited_s)), HL.el("td", {}, up)));
    }
  }

  function erlangTable(view) {
    const s = view.staffing;
    const rows = [[W.arrival_rate, s.calls_per_hour], [W.aht, `${s.aht_s} s`],
      [W.agents_needed, `${s.agents_needed} (${s.offered_erlang} Erl)`], [W.seats, s.staffed],
      [W.predicted_sl, HL.pct(s.predicted_service_level)],
      [W.service_level, HL.pct(view.stats.service_level)]];
    document.getElementById("erlang").replaceChildren(...rows.map(([a, b]) =>
      HL.el("tr", {}, HL.el("th", {}, a), HL.el("td", {id: `e-${a}`}, b))));
  }

  function chart(series) {
    const NS = "http://www.w3.org/2000/svg", w = 640, h = 240, pad = 30;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`); svg.setAttribute("class", "chart");
    svg.setAttribute("id", "chart-svg");
    const node = (tag, attrs, text) => { const n = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); if (text != null) n.textContent = text; svg.append(n); return n; };
    const max = Math.max(1, ...series.map((p) => p.offered));
    const bw = (w - 2 * pad) / Math.max(1, series.length);
    series.forEach((p, i) => {
      const bh = (h - 2 * pad) * p.offered / max;
      node("rect", {x: pad + i * bw + 1, y: h - pad - bh, width: Math.max(1, bw - 2), height: bh, fill: "#4cc9f0"});
    });
    const pts = series.map((p, i) => `${pad + i * bw + bw / 2},${h - pad - (h - 2 * pad) * p.service_level}`);
    if (pts.length) node("polyline", {points: pts.join(" "), fill: "none", stroke: "#6bdc8b", "stroke-width": 3});
    node("line", {x1: pad, x2: w - pad, y1: h - pad - (h - 2 * pad) * 0.8, y2: h - pad - (h - 2 * pad) * 0.8,
      stroke: "#ff9f1c", "stroke-dasharray": "6 4"});
    node("text", {x: 4, y: pad, fill: "#e8eef5", "font-size": 12}, `${max}`);
    node("text", {x: w - pad - 90, y: 14, fill: "#6bdc8b", "font-size": 12}, `SL — 80%`);
    document.getElementById("chart").replaceChildren(svg);
  }

  // An elderly emergency sounds (a two-tone beep every 2 s) until a supervisor
  // acknowledges it; a page the browser will not let play sound still shows it.
  let audio = null, beeping = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [880, 660].forEach((hz, i) => {
        const o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = hz; g.gain.value = 0.2; o.connect(g); g.connect(audio.destination);
        o.start(audio.currentTime + i * 0.3); o.stop(audio.currentTime + i * 0.3 + 0.25);
      });
    } catch (e) { /* no sound here: the banner is still there */ }
  }

  function alarmsBanner(view) {
    const box = document.getElementById("alarms");
    const alarms = view.alarms || [];
    box.replaceChildren(...alarms.map((a) => {
      const ack = HL.el("button", {class: "ack", "data-room": a.room}, W.acknowledge);
      ack.onclick = () => act(`/wallboard/alarms/${encodeURIComponent(a.room)}/ack`);
      return HL.el("div", {class: "alarm", "data-room": a.room},
        `${W.emergency} · ${W.terminal} ${a.terminal} · ${HL.duration(a.for_s)} `, ack);
    }));
    box.dataset.count = String(alarms.length);
    if (alarms.length && !beeping) { beep(); beeping = setInterval(beep, 2000); }
    if (!alarms.length && beeping) { clearInterval(beeping); beeping = null; }
  }

  function render(view) {
    last = view;
    offset = Date.now() / 1000 - view.now;
    const s = view.stats;
    const cb = s.callbacks || {};
    set("waiting", s.waiting ?? 0, (s.waiting || 0) > 0 ? "alert" : "");
    set("longest_wait", HL.duration(s.longest_wait_s || 0), (s.longest_wait_s || 0) > 15 ? "alert" : "");
    set("today_window", s.answered_in_window ?? 0);
    set("hour_window", (s.hour || {}).answered_in_window ?? 0);
    set("service_level", HL.pct(s.service_level), (s.service_level ?? 1) < 0.8 ? "alert" : "good");
    set("asa", `${s.asa_s ?? 0} s`); set("aht", `${s.aht_s ?? 0} s`);
    set("offered", s.offered ?? 0); set("abandoned", s.abandoned ?? 0);
    set("callbacks", `${cb.pending ?? 0} / ${cb.due_next_minute ?? 0} / ${cb.overdue ?? 0}`,
        (cb.overdue || 0) > 0 ? "alert" : "");
    set("elderly", s.elderly_in_progress ?? 0);
    set("cases_today", (view.cases || {}).today ?? 0);
    set("cases_open", `${(view.cases || {}).open ?? 0} / ${(view.cases || {}).overdue ?? 0}`);
    const spool = s.spool || {};  // records waiting for the database; alarm: not draining
    set("spool", `${spool.depth ?? 0}` + (spool.alarm ? ` · ${W.spool_stuck}` : ""),
        spool.alarm ? "alert" : "");
    alarmsBanner(view);
    seatsTable(view); queueTable(view); erlangTable(view); chart(view.series || []);
  }

  setInterval(() => {  // time-in-state ticks locally between pushes
    const now = Date.now() / 1000 - offset;
    for (const td of document.querySelectorAll("td.since")) td.textContent = HL.duration(now - Number(td.dataset.since));
  }, 1000);

  const stateNode = document.getElementById("live-state");
  HL.live("/wallboard/ws", render, (up) => {
    stateNode.textContent = up ? `● ${W.live}` : `○ ${W.reconnecting}`;
    stateNode.dataset.connected = up ? "1" : "0";
  });
})();
