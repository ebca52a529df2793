"use strict";
// Live state, also read by the browser test: every figure on the page comes from here.
const live = window.loadspecLive = { run: null, ticks: [], steps: [], criteria: null, errors: {}, step: null, finished: null, totals: { requests: 0, failures: 0 } };
const $ = (id) => document.getElementById(id);
const text = (id, value) => { $(id).textContent = value; };
const cell = (row, value, num) => { const td = document.createElement("td"); td.textContent = value; if (num) td.className = "num"; row.appendChild(td); return td; };
const fmt = (v, digits) => (v === null || v === undefined) ? "–" : Number(v).toFixed(digits);

function onSnapshot(s) {
  live.run = s.run; live.ticks = s.ticks || []; live.steps = s.steps_done || []; live.criteria = s.criteria;
  text("run-name", s.run.name); text("title", s.run.name); text("target", s.run.target);
  text("steps-planned", s.run.steps.length);
  live.errors = {};
  if (live.ticks.length) { onTick(live.ticks[live.ticks.length - 1], false); }
  drawSteps(); drawCriteria();
}

function onTick(t, keep) {
  if (keep) { live.ticks.push(t); if (live.ticks.length > 3600) live.ticks.shift(); }
  if (live.step !== t.step) { live.errors = {}; }
  live.step = t.step;
  for (const [kind, n] of Object.entries(t.errors || {})) live.errors[kind] = (live.errors[kind] || 0) + n;
  text("step", t.step + 1); text("users", t.users); text("phase", t.phase);
  text("elapsed", fmt(t.elapsed_s, 0)); text("planned", fmt(t.planned_s, 0));
  const req = t.labels.filter((l) => l.kind === "request");
  const rps = req.reduce((a, l) => a + l.rate, 0);
  text("rps", fmt(rps, 1)); text("step-requests", t.step_requests); text("step-failures", t.step_failures);
  const p95 = req.map((l) => l.p95_ms).filter((v) => v !== null);
  text("p95", p95.length ? fmt(Math.max(...p95), 1) + " ms" : "–");
  const rows = $("label-rows"); rows.replaceChildren();
  for (const l of t.labels) {
    const tr = document.createElement("tr");
    cell(tr, l.scenario); cell(tr, l.kind); cell(tr, l.label);
    cell(tr, fmt(l.rate, 1), true); cell(tr, l.failures, true); cell(tr, fmt(l.mean_ms, 1), true);
    cell(tr, fmt(l.p50_ms, 1), true); cell(tr, fmt(l.p95_ms, 1), true); cell(tr, fmt(l.p99_ms, 1), true);
    rows.appendChild(tr);
  }
  const errors = $("error-rows"); errors.replaceChildren();
  for (const [kind, n] of Object.entries(live.errors)) { const tr = document.createElement("tr"); cell(tr, kind); cell(tr, n, true); errors.appendChild(tr); }
  const custom = $("custom-rows"); custom.replaceChildren();
  $("custom-none").hidden = (t.custom || []).length > 0;
  for (const c of t.custom || []) {
    const tr = document.createElement("tr");
    tr.dataset.name = c.name;
    cell(tr, c.scenario); cell(tr, c.kind); cell(tr, c.name);
    const f = c.figures;
    const shown = { counter: () => `${fmt(f.total, 0)} (${fmt(f.per_s, 1)}/s)`, gauge: () => `${f.last} (min ${f.min}, max ${f.max})`,
      trend: () => `count ${f.count}, mean ${fmt(f.mean, 2)}, p50 ${fmt(f.p50, 2)}, p95 ${fmt(f.p95, 2)}, p99 ${fmt(f.p99, 2)}, max ${fmt(f.max, 2)}`,
      rate: () => `${fmt(f.share * 100, 1)} % (${f.trues} of ${f.total})` }[c.kind];
    cell(tr, shown ? shown() : JSON.stringify(f)).className = "figures";
    custom.appendChild(tr);
  }
  const s = t.system || {};
  text("cpu", s.cpu_busy === undefined ? "–" : fmt(s.cpu_busy, 0) + " %");
  text("process-cpu", s.process_cpu === undefined ? "–" : fmt(s.process_cpu, 0) + " %");
  text("mem", s.mem_used === undefined ? "–" : fmt(s.mem_used / 1048576, 0) + " MiB");
  text("lag", s.lag_p99_ms === undefined || s.lag_p99_ms === null ? "–" : fmt(s.lag_p99_ms, 2) + " ms");
  drawChart();
}

function drawChart() {
  const recent = live.ticks.slice(-300);
  if (!recent.length) return;
  const rps = recent.map((t) => t.labels.filter((l) => l.kind === "request").reduce((a, l) => a + l.rate, 0));
  const p95 = recent.map((t) => Math.max(0, ...t.labels.filter((l) => l.kind === "request" && l.p95_ms !== null).map((l) => l.p95_ms)));
  const line = (values) => { const top = Math.max(1, ...values) * 1.1; return values.map((v, i) => `${(i / Math.max(1, values.length - 1)) * 600},${180 - (v / top) * 180}`).join(" "); };
  $("line-rps").setAttribute("points", line(rps));
  $("line-p95").setAttribute("points", line(p95));
}

function drawSteps() {
  const rows = $("step-rows"); rows.replaceChildren();
  live.totals = { requests: 0, failures: 0 };
  for (const step of live.steps) {
    for (const s of step.scenarios) {
      const tr = document.createElement("tr");
      tr.dataset.step = step.index; tr.dataset.scenario = s.scenario;
      cell(tr, step.index + 1); cell(tr, s.scenario); cell(tr, s.users, true);
      cell(tr, s.total.count, true).className = "num requests"; cell(tr, s.total.failures, true).className = "num failures";
      cell(tr, fmt(s.total.throughput_per_s, 1), true); cell(tr, fmt(s.total.p95_ms, 1), true); cell(tr, step.status);
      live.totals.requests += s.total.count; live.totals.failures += s.total.failures;
      rows.appendChild(tr);
    }
  }
}

function drawCriteria() {
  const report = live.criteria;
  $("criteria-none").hidden = !!(report && report.rows.length);
  const head = $("criteria-head"), rows = $("criteria-rows");
  head.replaceChildren(); rows.replaceChildren();
  if (!report || !live.run) return;
  const tr = document.createElement("tr");
  const th = (row, value) => { const h = document.createElement("th"); h.textContent = value; row.appendChild(h); };
  th(tr, "Criterion"); th(tr, "Target");
  live.run.steps.forEach((s, i) => th(tr, `step ${i + 1}: ${s.users} users`));
  head.appendChild(tr);
  for (const row of report.rows) {
    const r = document.createElement("tr");
    const name = document.createElement("th"); name.scope = "row"; name.textContent = `${row.scenario}: ${row.title}`; r.appendChild(name);
    cell(r, row.target_display);
    live.run.steps.forEach((_, i) => {
      const c = row.cells.find((x) => x.step === i);
      const td = cell(r, c ? c.display : "");
      td.className = "cell " + (c ? c.verdict : "pending");
      td.dataset.step = i;
    });
    rows.appendChild(r);
  }
}

function connect() {
  const source = new EventSource("/events");
  source.onopen = () => { text("connection", "connected"); $("connection").className = ""; };
  source.onerror = () => { if (!live.finished) { text("connection", "disconnected (the run may have ended)"); $("connection").className = "down"; } };
  source.addEventListener("snapshot", (e) => onSnapshot(JSON.parse(e.data)));
  source.addEventListener("tick", (e) => onTick(JSON.parse(e.data), true));
  source.addEventListener("step_started", (e) => { const s = JSON.parse(e.data); text("step", s.step + 1); });
  source.addEventListener("step", (e) => { const s = JSON.parse(e.data); live.steps.push(s.step); live.criteria = s.criteria; drawSteps(); drawCriteria(); });
  source.addEventListener("stopping", () => { text("stop-answer", "stopping…"); });
  source.addEventListener("finished", async (e) => {
    const f = JSON.parse(e.data);
    live.finished = f; live.criteria = f.criteria; drawCriteria();
    source.close();
    text("connection", "finished: " + f.status);
    try {
      const response = await fetch(f.report, { cache: "no-store" });
      if (!response.ok) return;
      const frame = $("report-frame");
      frame.srcdoc = await response.text();
      document.body.classList.add("finished");
      document.title = "loadspec — report";
    } catch (_) { /* the run's process is gone: the live page stays */ }
  });
}

$("stop-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const token = $("token").value.trim();
  try {
    const response = await fetch("/stop?token=" + encodeURIComponent(token), { method: "POST" });
    text("stop-answer", await response.text());
  } catch (_) { text("stop-answer", "the run is not answering"); }
});

connect();
