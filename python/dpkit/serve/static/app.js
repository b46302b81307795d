// dpkit serve: the tutorial in a browser (docs/ui.md). Plain JavaScript, no build step.
// Every API call carries the token in the Authorization header (never a cookie: no CSRF).
// Text from the server (column names, messages) is inserted as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { token: null, me: null, datasets: [], current: null, job: null, poll: null };

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) el.append(c instanceof Node ? c : String(c));
  return el;
}

function fmt(x, digits = 4) {
  if (x === null || x === undefined) return "";
  if (typeof x !== "number") return String(x);
  if (Math.abs(x) >= 1e5 && Math.abs(x) < 1e15) return x.toFixed(0);
  return x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential(2) : String(+x.toFixed(digits));
}

// ---- API ------------------------------------------------------------------------------------
async function api(method, path, body, contentType = "application/json") {
  const opts = { method, headers: { Authorization: "Bearer " + state.token } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = contentType;
    opts.body = contentType === "application/json" ? JSON.stringify(body) : body;
  }
  const resp = await fetch(path, opts);
  const data = await resp.json().catch(() => ({ error: resp.statusText }));
  if (resp.status === 401) signOut("Your token was not accepted.");
  if (!resp.ok) throw new Error(data.error || resp.statusText);
  return data;
}

function guard(errorId, fn) {
  return async (...args) => {
    $(errorId).textContent = "";
    try { await fn(...args); } catch (e) { $(errorId).textContent = e.message; }
  };
}

// ---- sign in ----------------------------------------------------------------------------------
function readToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem("dpkit-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem("dpkit-token");
}

function signOut(message) {
  sessionStorage.removeItem("dpkit-token");
  state.token = null;
  $("app").hidden = true;
  $("logout").hidden = true;
  $("whoami").textContent = "";
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("GET", "/api/me");
  } catch (e) {
    return;
  }
  sessionStorage.setItem("dpkit-token", token);
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  $("whoami").textContent = "signed in as " + state.me.user;
  $("train-off").hidden = state.me.train_available;
  $("train-run").disabled = !state.me.train_available;
  await loadDatasets();
  if (state.datasets.length) await openDataset(state.datasets[0].id);
}

// ---- datasets ---------------------------------------------------------------------------------
async function loadDatasets() {
  state.datasets = (await api("GET", "/api/datasets")).datasets;
  const list = $("dataset-list");
  list.replaceChildren(...state.datasets.map((d) => h("li", {},
    h("a", { class: state.current && state.current.id === d.id ? "active" : "", "data-id": d.id,
             onclick: () => openDataset(d.id) }, d.id, " ", h("span", { class: "badge" }, d.role)))));
}

async function openDataset(id) {
  state.current = await api("GET", "/api/datasets/" + encodeURIComponent(id));
  renderDataset(state.current);
  await Promise.all([loadJobs(), loadLedger()]);
  const list = document.querySelectorAll("#dataset-list a");
  list.forEach((a) => a.classList.toggle("active", a.dataset.id === id));
}

function fillSelect(id, values, selected, blank) {
  const options = (blank ? [h("option", { value: "" }, blank)] : []).concat(
    values.map((v) => h("option", { value: v, selected: v === selected }, v)));
  $(id).replaceChildren(...options);
}

function renderDataset(d) {
  const owner = d.role === "owner";
  $("empty-hint").hidden = true;
  $("dataset").hidden = false;
  $("step-result").hidden = true;
  document.querySelectorAll("[data-owner]").forEach((el) => { el.hidden = !owner; });
  document.querySelectorAll("[data-reader]").forEach((el) => { el.hidden = owner; });
  $("ds-title").replaceChildren(h("span", { class: "badge" }, d.id), " ",
    h("span", { class: "badge" }, owner ? "you own it" : "reader: releases only"));
  const meta = [`${d.columns.length} columns`, `owner ${d.owner}`];
  if (owner) meta.push(`${d.filename}, ${(d.bytes / 1e6).toFixed(2)} MB`);
  if (d.sample) meta.push("generated sample (fake people)");
  $("ds-meta").textContent = meta.join(" · ");
  $("ds-schema").textContent = d.schema ? JSON.stringify(d.schema, null, 1) : "no schema: every column is text (public default)\n" + d.columns.join(", ");
  $("schema-edit").value = JSON.stringify(d.schema || { columns: d.columns.map((c) => ({ name: c, type: "string" })) }, null, 1);
  if (owner) $("ds-readers").textContent = d.readers.length ? d.readers.join(", ") : "none";
  const unit = (d.schema && d.schema.privacy_unit) || "";
  fillSelect("budget-unit", d.columns, unit, "(rows: one row is one person)");
  fillSelect("synth-target", d.columns, d.columns.includes("churned") ? "churned" : "", "(none)");
  fillSelect("train-target", d.columns, d.columns.includes("churned") ? "churned" : d.columns[d.columns.length - 1]);
  $("budget-cli").textContent = `dpkit budget init --ledger DATA_DIR/ledger.db --dataset ${d.id} --unit ${unit || "UNIT"} --epsilon 3 --delta 1e-6`;
  renderFeatures(d);
  renderBudget(d.budgets);
  $("pii-result").hidden = true;
  $("query-sql").value = defaultQuery(d);
  $("query-result").replaceChildren();
}

function trainable(col, d) {
  if (col.name === d.schema.privacy_unit || (col.pii && col.pii !== "none")) return false;
  if (col.type === "bool" || (col.categories && col.categories.length)) return true;
  return ["int64", "double"].includes(col.type) && col.lower !== undefined && col.upper !== undefined;
}

function renderFeatures(d) {
  const cols = d.schema ? d.schema.columns.filter((c) => trainable(c, d)) : [];
  $("train-features").replaceChildren(...cols.map((c) => h("label", {},
    h("input", { type: "checkbox", value: c.name, checked: c.name !== "churned" }), " ", c.name)));
}

function defaultQuery(d) {
  const has = (c) => d.columns.includes(c);
  if (has("segment") && has("income")) {
    return `SELECT segment, COUNT(*) AS customers, AVG(income) AS avg_income FROM ${d.id} GROUP BY segment WITH EPSILON 0.5, DELTA 1e-7`;
  }
  return `SELECT COUNT(*) AS n FROM ${d.id} WITH EPSILON 0.5`;
}

const upload = guard("new-error", async () => {
  const file = $("upload-file").files[0];
  if (!file) throw new Error("choose a CSV file first");
  if (file.size > state.me.max_upload_bytes) {
    throw new Error(`${file.name} is larger than the server's limit of ${(state.me.max_upload_bytes / 1e6).toFixed(0)} MB`);
  }
  const q = new URLSearchParams({ name: $("new-name").value.trim(), filename: file.name });
  const d = await api("POST", "/api/datasets?" + q, file, "text/csv");
  await loadDatasets();
  await openDataset(d.id);
});

const sample = guard("new-error", async () => {
  const d = await api("POST", "/api/datasets/sample", { name: $("new-name").value.trim(), rows: +$("sample-rows").value });
  await loadDatasets();
  await openDataset(d.id);
});

const saveSchema = guard("data-error", async () => {
  let schema;
  try { schema = JSON.parse($("schema-edit").value); } catch (e) { throw new Error("the schema is not valid JSON"); }
  await api("PUT", `/api/datasets/${state.current.id}/schema`, schema);
  await openDataset(state.current.id);
});

const grant = guard("data-error", async () => {
  await api("POST", `/api/datasets/${state.current.id}/access`, { user: $("grant-user").value.trim() });
  await openDataset(state.current.id);
});

// ---- PII (owner only, NOT DP) -----------------------------------------------------------------
const scan = guard("pii-error", async () => {
  $("scan-btn").disabled = true;
  try {
    renderScan(await api("GET", `/api/datasets/${state.current.id}/pii`));
  } finally {
    $("scan-btn").disabled = false;
  }
});

function renderScan(s) {
  $("pii-result").hidden = false;
  $("pii-saved").textContent = "";
  const unit = s.privacy_unit || s.proposed_unit || "";
  fillSelect("pii-unit", s.columns.map((c) => c.name), unit, "(rows)");
  const rows = s.columns.map((c) => {
    const chosen = s.current[c.name] || s.proposed[c.name];
    const select = h("select", { "data-column": c.name, class: "pii-action" },
      Object.keys(s.actions).map((a) => h("option", { value: a, selected: a === chosen }, a)));
    return h("tr", {}, h("td", {}, c.name), h("td", {}, c.class.replace("_", "-")),
      h("td", {}, c.entity === "NONE" ? "" : c.entity), h("td", { class: "num" }, fmt(c.confidence, 2)),
      h("td", { class: "hint" }, (c.reasons || []).join("; ")), h("td", {}, select));
  });
  $("pii-table").tBodies[0].replaceChildren(...rows);
  markUnit();
  $("pii-legend").replaceChildren(...Object.entries(s.actions).map(([a, text]) => h("li", {}, h("b", {}, a), ": ", text)));
}

function markUnit() {
  // The privacy unit column is not synthesised (it gets fresh ids): no action to choose.
  document.querySelectorAll("select.pii-action").forEach((s) => {
    s.disabled = s.dataset.column === $("pii-unit").value;
  });
}

const savePii = guard("pii-error", async () => {
  const unit = $("pii-unit").value;
  const actions = {};
  document.querySelectorAll("select.pii-action").forEach((s) => {
    if (s.dataset.column !== unit) actions[s.dataset.column] = s.value;
  });
  state.current = await api("PUT", `/api/datasets/${state.current.id}/pii`, { privacy_unit: unit || null, actions });
  renderDataset(state.current);
  $("pii-result").hidden = false;
  $("pii-saved").textContent = "saved: the schema's PII roles and the replacement policy";
});

// ---- budget and ledger --------------------------------------------------------------------------
function renderBudget(budgets) {
  $("budget-form").hidden = state.current.role !== "owner" || budgets.length > 0;
  $("budget-reader-hint").hidden = state.current.role === "owner" || budgets.length > 0;
  $("budget-view").replaceChildren(...budgets.map((b) => h("div", { class: "budget" },
    h("p", {}, h("b", {}, `ε = ${fmt(b.epsilon)}, δ = ${fmt(b.delta)}`), ` per ${b.unit === "(row)" ? "row" : b.unit}`,
      ` · spent ε ${fmt(b.spent_epsilon)} · remaining ε ${fmt(b.remaining_epsilon)} · ${b.charges} charge(s), ${b.refused} refused`),
    meter(b.spent_epsilon / b.epsilon))));
  if (!budgets.length) $("budget-view").replaceChildren(h("p", {}, "No budget yet: nothing can be released."));
}

function meter(fraction) {
  const bar = h("div");
  bar.style.width = `${Math.min(100, 100 * fraction)}%`;  // CSSOM: allowed by the page's CSP
  return h("div", { class: "meter" }, bar);
}

const openBudget = guard("budget-error", async () => {
  const delta = parseFloat($("budget-delta").value);
  state.current = await api("POST", `/api/datasets/${state.current.id}/budget`, {
    unit: $("budget-unit").value || null, epsilon: parseFloat($("budget-epsilon").value), delta });
  renderBudget(state.current.budgets);
  await loadLedger();
});

async function loadLedger() {
  const l = await api("GET", `/api/datasets/${state.current.id}/ledger`);
  renderBudget(l.budgets);
  $("ledger-budgets").replaceChildren(...l.budgets.map((b) => h("p", {},
    `Budget ε ${fmt(b.epsilon)} / δ ${fmt(b.delta)} per ${b.unit} (${b.accountant} composition): spent ε ${fmt(b.spent_epsilon)}, δ ${fmt(b.spent_delta)}; remaining ε ${fmt(b.remaining_epsilon)}.`)));
  $("ledger-table").tBodies[0].replaceChildren(...l.history.map((r) => h("tr", { class: "status-" + r.status },
    h("td", {}, r.charge_id), h("td", {}, r.time.replace("T", " ").slice(0, 19)), h("td", {}, r.status),
    h("td", {}, r.mechanism), h("td", {}, r.operation), h("td", { class: "num" }, fmt(r.spent_epsilon)),
    h("td", { class: "num" }, fmt(r.spent_delta)))));
}

// ---- jobs -------------------------------------------------------------------------------------
function selectTab(train) {
  $("tab-synth").classList.toggle("active", !train);
  $("tab-train").classList.toggle("active", train);
  $("synth-form").hidden = train;
  $("train-form").hidden = !train;
}

const submitSynth = guard("release-error", async () => {
  const job = await api("POST", `/api/datasets/${state.current.id}/jobs`, {
    kind: "synthesize", method: $("synth-method").value, epsilon: parseFloat($("synth-epsilon").value),
    delta: parseFloat($("synth-delta").value), target: $("synth-target").value || null });
  await showJob(job.id);
});

const submitTrain = guard("release-error", async () => {
  const features = [...document.querySelectorAll("#train-features input:checked")].map((i) => i.value);
  const job = await api("POST", `/api/datasets/${state.current.id}/jobs`, {
    kind: "train", target: $("train-target").value, rows: +$("train-rows").value, model: $("train-model").value,
    epochs: +$("train-epochs").value, epsilon: parseFloat($("train-epsilon").value),
    delta: parseFloat($("train-delta").value), features });
  await showJob(job.id);
});

async function loadJobs() {
  const jobs = (await api("GET", `/api/datasets/${state.current.id}/jobs`)).jobs;
  $("jobs-table").tBodies[0].replaceChildren(...jobs.reverse().map((j) => h("tr", { class: "clickable", onclick: () => showJob(j.id) },
    h("td", {}, j.id), h("td", {}, j.kind === "train" ? "DP-SGD " + j.params.model : "synthesis " + j.params.method),
    h("td", {}, j.user), h("td", { class: "num" }, fmt(j.params.epsilon)),
    h("td", {}, h("span", { class: "badge state-" + j.state }, j.state)))));
}

async function showJob(id) {
  clearTimeout(state.poll);
  state.job = id;
  renderJob({ id, kind: "", state: "queued", progress: [], error: null });
  $("step-result").hidden = false;
  $("report-box").hidden = true;
  $("report-frame").removeAttribute("src");
  $("downloads").replaceChildren();
  $("job-summary").replaceChildren();
  $("step-result").scrollIntoView({ behavior: "smooth" });
  await pollJob(id);
}

async function pollJob(id) {
  if (state.job !== id) return;
  const job = await api("GET", "/api/jobs/" + id);
  renderJob(job);
  if (job.state === "queued" || job.state === "running") {
    state.poll = setTimeout(() => pollJob(id), 400);
    return;
  }
  await Promise.all([loadJobs(), loadLedger()]);
  if (job.state === "done") await renderOutputs(job);
}

function renderJob(job) {
  $("job-id").textContent = `${job.kind} ${job.id}`;
  $("job-state").textContent = job.state;
  $("job-state").className = "badge state-" + job.state;
  $("job-progress").replaceChildren(...job.progress.map((line) => h("li", {}, line)));
  $("job-error").textContent = [job.error, job.owner_error].filter(Boolean).join("\n");
}

function summaryOf(job) {
  const r = job.result;
  if (job.kind === "synthesize") {
    return [`ε ${fmt(r.epsilon_charged)}, δ ${fmt(r.delta_charged)} charged per ${r.privacy_unit}; remaining ε ${fmt(r.epsilon_remaining)}`,
      `${r.synthetic_rows} synthetic rows (a DP count)`, `modelled: ${r.synthesized_columns.join(", ")}`,
      `fresh fakes: ${r.faked_columns.join(", ") || "none"}`, ...r.notes];
  }
  const p = r.privacy || {};
  return [`model ${r.model ? r.model.spec : ""}: ε ${fmt(p.epsilon_spent)} spent (δ ${fmt(p.delta)}), ${p.neighbouring || ""}`,
    ...(r.epochs || []).map((e) => `epoch ${e.epoch}: ε spent ${fmt(e.epsilon_spent)}`)];
}

async function renderOutputs(job) {
  $("job-summary").replaceChildren(h("ul", {}, summaryOf(job).map((line) => h("li", {}, line))));
  $("downloads").replaceChildren(...job.files.map((f) => h("li", {},
    h("a", { href: "#", "data-file": f.name, onclick: (ev) => { ev.preventDefault(); download(job.id, f.name); } }, f.name), " ",
    h("span", { class: "badge " + (f.dp ? "dp" : "notdp") }, f.dp ? "DP release" : "NOT DP · owner only"))));
  if (job.files.some((f) => f.name === "report.html")) {
    const link = await api("POST", `/api/jobs/${job.id}/files/report.html/link`);
    $("report-box").hidden = false;
    $("report-frame").src = link.url;
  }
}

async function download(jobId, name) {
  const link = await api("POST", `/api/jobs/${jobId}/files/${encodeURIComponent(name)}/link`);
  const a = h("a", { href: link.url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

// ---- DP SQL -----------------------------------------------------------------------------------
const runQuery = (explain) => guard("query-error", async () => {
  let sql = $("query-sql").value.trim();
  if (explain && !/^explain/i.test(sql)) sql = "EXPLAIN " + sql;
  $("query-result").replaceChildren(h("p", { class: "hint" }, "running…"));
  const r = await api("POST", `/api/datasets/${state.current.id}/query`, { sql });
  $("query-result").replaceChildren(...(r.explain !== undefined ? [h("pre", {}, r.explain)] : renderAnswer(r)));
  if (r.explain === undefined) await loadLedger();
})();

function renderAnswer(r) {
  const head = h("tr", {}, r.keys.map((k) => h("th", {}, k)),
    r.aggregates.map((a) => [h("th", {}, a), h("th", {}, `${Math.round(100 * r.confidence)}% interval`), h("th", {}, "noise scale")]));
  const rows = r.rows.map((row) => h("tr", {}, r.keys.map((k) => h("td", {}, row.keys[k] ?? "NULL")),
    r.aggregates.map((a) => { const v = row.values[a]; return [h("td", { class: "num" }, fmt(v.value)),
      h("td", { class: "num" }, `[${fmt(v.ci_lower)}, ${fmt(v.ci_upper)}]`), h("td", { class: "num" }, fmt(v.noise_scale))]; })));
  const note = h("p", { class: "hint" }, `(ε ${fmt(r.epsilon)}, δ ${fmt(r.delta)})-DP for ${r.neighbouring}; ledger charge ${r.charge_ids.join(", ")}. `, (r.notes || []).join(" "));
  return [h("table", { class: "answer" }, h("thead", {}, head), h("tbody", {}, rows)), ...r.aggregates.map((a) => errorBars(r, a)), note];
}

function errorBars(r, agg) {
  // One bar per group with its confidence interval as a whisker (values are DP releases).
  const NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs) => { const el = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); return el; };
  const rows = r.rows, W = 520, rowH = 26, left = 130, top = 22;
  const hi = Math.max(0, ...rows.map((x) => x.values[agg].ci_upper ?? x.values[agg].value));
  const lo = Math.min(0, ...rows.map((x) => x.values[agg].ci_lower ?? x.values[agg].value));
  const sx = (v) => left + (W - left - 20) * (v - lo) / ((hi - lo) || 1);
  const chart = svg("svg", { class: "bars", width: W, height: top + rows.length * rowH + 6, "data-aggregate": agg });
  const title = svg("text", { x: 0, y: 14 }); title.textContent = `${agg} with ${Math.round(100 * r.confidence)}% intervals`;
  chart.append(title);
  rows.forEach((row, i) => {
    const v = row.values[agg], y = top + i * rowH;
    const label = svg("text", { x: 0, y: y + 15 }); label.textContent = r.keys.map((k) => row.keys[k]).join(" / ") || agg;
    chart.append(label, svg("rect", { class: "bar", x: Math.min(sx(0), sx(v.value)), y: y + 4, width: Math.abs(sx(v.value) - sx(0)), height: rowH - 10 }));
    if (v.ci_lower !== null && v.ci_upper !== null) {
      const mid = y + rowH / 2 - 1;
      chart.append(svg("line", { class: "ci", x1: sx(v.ci_lower), x2: sx(v.ci_upper), y1: mid, y2: mid }),
        svg("line", { class: "ci", x1: sx(v.ci_lower), x2: sx(v.ci_lower), y1: mid - 5, y2: mid + 5 }),
        svg("line", { class: "ci", x1: sx(v.ci_upper), x2: sx(v.ci_upper), y1: mid - 5, y2: mid + 5 }));
    }
  });
  return chart;
}

// ---- wiring -----------------------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", () => {
  $("login-btn").addEventListener("click", () => signIn($("token-input").value.trim()));
  $("logout").addEventListener("click", () => signOut());
  $("upload-btn").addEventListener("click", upload);
  $("sample-btn").addEventListener("click", sample);
  $("schema-save").addEventListener("click", saveSchema);
  $("grant-btn").addEventListener("click", grant);
  $("scan-btn").addEventListener("click", scan);
  $("pii-save").addEventListener("click", savePii);
  $("pii-unit").addEventListener("change", markUnit);
  $("budget-open").addEventListener("click", openBudget);
  $("tab-synth").addEventListener("click", () => selectTab(false));
  $("tab-train").addEventListener("click", () => selectTab(true));
  $("synth-run").addEventListener("click", submitSynth);
  $("train-run").addEventListener("click", submitTrain);
  $("query-run").addEventListener("click", () => runQuery(false));
  $("query-explain").addEventListener("click", () => runQuery(true));
  const token = readToken();
  if (token) signIn(token); else signOut();
});
