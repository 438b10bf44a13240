// Agent desk: screen pop from the websocket, case form (prefilled), KB search, seat buttons.
"use strict";
(() => {
  const root = document.getElementById("desk");
  const W = JSON.parse(root.dataset.words);
  const $ = (id) => document.getElementById(id);
  let offset = 0, since = null;

  function showSeat(msg) {
    $("seat-state").textContent = W[`seat_${msg.state}`] || msg.state || "—";
    $("seat-state").dataset.state = msg.state || "";
    since = msg.since; if (msg.now) offset = Date.now() / 1000 - msg.now;
  }
  setInterval(() => { if (since) $("seat-since").textContent = HL.duration(Date.now() / 1000 - offset - since); }, 1000);

  function kbList(hits) {
    $("kb-hits").replaceChildren(...hits.map((h) => HL.el("li", {}, HL.el("b", {}, h.question), " — ", h.answer)));
  }

  function elderlyCard(card) {  // who is behind an elderly terminal: read it before speaking
    $("pop-elderly").hidden = !card;
    if (!card) return;
    const facts = [[W.name, card.name], [W.address, card.address], [W.community, card.community],
      [W.health_notes, card.health_notes], [W.medicines, card.medicines], [W.mobility, card.mobility],
      [W.dialect, W[card.dialect] || card.dialect], [W.worker_name, card.worker]];
    $("pop-elderly-facts").replaceChildren(...facts.filter(([, v]) => v).flatMap(([k, v]) =>
      [HL.el("dt", {}, k), HL.el("dd", {}, v)]));
    $("pop-elderly-contacts").replaceChildren(...card.contacts.map((k) =>
      HL.el("li", {}, `${k.name} (${k.relation}) ${k.phone}`)));
  }

  function pop(msg) {
    $("pop").classList.add("ringing");
    $("pop-title").textContent = `${msg.kind === "callback" ? W.callback_call : W.incoming} · ${msg.caller}`;
    $("pop-caller").textContent = msg.caller; $("pop-name").textContent = msg.caller_name || "";
    $("pop-kind").textContent = msg.case_number ? `${W.case_no} ${msg.case_number}` : "";
    $("pop-transcript").textContent = msg.transcript || "—";
    const t = msg.tags || {};
    $("pop-tags").textContent = t.kind ? `${t.kind_name || t.kind} / ${t.topic_name || t.topic || ""} (${W.confidence} ${t.confidence ?? "?"})` : "—";
    $("pop-history").replaceChildren(...msg.history.map((c) =>
      HL.el("li", {}, HL.el("a", {href: `/case/${encodeURIComponent(c.number)}`}, c.number), ` ${c.received} ${c.topic_name || c.kind_name} · ${c.status_name} · ${c.text}`)));
    const p = msg.prefill || {};
    $("f-case").value = msg.case_number || ""; $("f-uniqueid").value = msg.uniqueid || "";
    $("f-caller").value = p.caller || msg.caller || "";
    if (p.kind) $("f-kind").value = p.kind;
    if (p.topic) $("f-topic").value = p.topic;
    $("f-place").value = p.place || ""; $("f-text").value = p.text || "";
    $("case-result").textContent = "";
    kbList(msg.kb || []);
    elderlyCard(msg.elderly);
  }

  HL.live("/desk/ws", (msg) => {
    if (msg.type === "seat") showSeat(msg); else if (msg.type === "pop") pop(msg);
  }, (up) => { root.dataset.connected = up ? "1" : "0"; });

  let submitter = "save";
  for (const b of document.querySelectorAll("#case-form button[type=submit]")) b.onclick = () => { submitter = b.value; };
  $("case-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const body = Object.fromEntries(new FormData(ev.target).entries()); body.do = submitter;
    try {
      const r = await HL.post("/desk/case", body);
      $("f-case").value = r.number;
      const notes = [r.corrected && r.corrected.length ? `${W.corrected}: ${r.corrected.join(", ")}` : "",
                     r.learned && r.learned.length ? `${W.learned}: ${r.learned.join(" ")}` : ""].filter(Boolean);
      $("case-result").textContent = [`${W.case_no} ${r.number} · ${r.status_name || r.status}${r.owner ? " · " + r.owner : ""}`, ...notes].join(" · ");
      $("pop").classList.remove("ringing");
    } catch (e) { $("case-result").textContent = e.message; }
  };
  $("transfer-form").onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      const r = await HL.post("/desk/transfer", {target: $("t-target").value, case_number: $("f-case").value});
      $("transfer-result").textContent = `${W.transferred} ${r.target}${r.case ? ` · ${W.case_no} ${r.case}` : ""}`;
      $("pop").classList.remove("ringing");
    } catch (e) { $("transfer-result").textContent = e.message; }
  };
  const consultTarget = $("c-target");
  const stayDefault = () => {
    const o = consultTarget.selectedOptions[0];
    if (o) $("c-stay").checked = o.dataset.stay === "1";
  };
  consultTarget.onchange = stayDefault;
  stayDefault();
  $("consult-form").onsubmit = async (ev) => {
    ev.preventDefault();
    $("consult-result").textContent = W.consult_ringing;
    try {
      const r = await HL.post("/desk/consult", {target: consultTarget.value, stay: $("c-stay").checked,
                                                case_number: $("f-case").value, call: $("f-uniqueid").value});
      $("consult-result").textContent = !r.answered ? W.consult_no_answer : (r.left ? W.consult_left : W.consult_answered);
    } catch (e) { $("consult-result").textContent = e.message; }
  };
  $("consult-leave").onclick = async () => {
    try {
      await HL.post("/desk/consult/leave", {case_number: $("f-case").value, call: $("f-uniqueid").value});
      $("consult-result").textContent = W.consult_left;
    } catch (e) { $("consult-result").textContent = e.message; }
  };
  $("kb-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const res = await fetch(`/desk/kb?q=${encodeURIComponent($("kb-q").value)}`, {credentials: "same-origin"});
    kbList(await res.json());
  };
  for (const b of document.querySelectorAll("[data-seat-action]")) {
    b.onclick = async () => {
      try { const r = await HL.post(`/desk/seat/${b.dataset.seatAction}`, {}); showSeat({state: r.state, since: Date.now() / 1000 - offset}); }
      catch (e) { alert(e.message); }
    };
  }
})();
