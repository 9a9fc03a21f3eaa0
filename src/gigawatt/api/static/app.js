// The gigawatt dashboard: four pages over the JSON API (/api/...), nothing else.
"use strict";

const TOKEN_KEY = "gigawatt-token";
const state = { info: null, scenarios: [], doc: null, started: {} };

// ---------- small helpers ----------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function $(id) { return document.getElementById(id); }

function show(value) {
  if (value === null || value === undefined) return "-";
  if (typeof value === "number") {
    return Number.isInteger(value) ? value.toLocaleString("en-US")
      : value.toLocaleString("en-US", { maximumSignificantDigits: 6 });
  }
  return String(value);
}

// Text with its http(s) addresses as links.
function linked(text) {
  const out = el("span", { class: "source" });
  const parts = String(text).split(/(https?:\/\/[^\s;,)]+)/);
  parts.forEach((part, i) => {
    out.append(i % 2 ? el("a", { href: part, rel: "noopener noreferrer", target: "_blank",
                                 text: part }) : part);
  });
  return out;
}

function table(columns, rows, { rowClass, onRowClick, numeric = [] } = {}) {
  const head = el("tr", {}, columns.map((c) => el("th", { text: c })));
  const body = rows.map((row, i) => el("tr", {
    class: [rowClass ? rowClass(row, i) : "", onRowClick ? "clickable" : ""].join(" ").trim()
      || undefined,
    onclick: onRowClick ? () => onRowClick(row, i) : undefined,
  }, row.cells.map((cell, j) => el("td", { class: numeric.includes(j) ? "num" : undefined },
    cell instanceof Node ? cell : show(cell)))));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, body));
}

class ApiError extends Error {
  constructor(status, problems) {
    super(problems.map((p) => (p.field ? `${p.field}: ` : "") + p.msg).join("; ")
          || `HTTP ${status}`);
    this.status = status;
    this.problems = problems;
  }
}

async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const problems = data && Array.isArray(data.detail) ? data.detail
      : [{ field: "", msg: `HTTP ${response.status}` }];
    throw new ApiError(response.status, problems);
  }
  return data;
}

// A message across the top; the server's standing warning when there is nothing else.
function notice(message) {
  const text = message || state.banner || "";
  const box = $("notice");
  box.textContent = text;
  box.hidden = !text;
}

function status(id, text) { $(id).textContent = text || ""; }

// ---------- a plan result: headline, claims check, charts ----------

function renderPlan(container, result) {
  const view = result.view;
  const headline = table(["quantity", "value", "basis"],
    view.headline_rows.map((r) => ({ cells: r })), { numeric: [1] });
  const claims = table(["claim", "who", "claimed", "model", "verdict", "why"],
    view.claim_rows.map((c) => ({ cells: [c.claim, c.who, c.claimed, c.model, c.verdict,
                                          c.reason], verdict: c.verdict })),
    { rowClass: (row) => row.verdict.replace(" ", "-") });
  claims.classList.add("claims");
  const charts = el("div", { class: "charts" });
  container.replaceChildren(
    el("p", { class: "muted" },
       `Scenario ${result.scenario}, ${result.first_period} to ${result.last_period}; ` +
       `gigawatt ${result.gigawatt_version}` + (result.run_id ? `; run ${result.run_id}` : "")),
    el("h3", { text: "Headline" }), headline,
    el("h3", { text: "Claims check" }), claims,
    el("h3", { text: "Charts" }), charts,
  );
  for (const [name, figure] of Object.entries(view.figures)) {
    const div = el("div", { class: "chart", "data-chart": name });
    charts.append(div);
    Plotly.newPlot(div, figure.data, figure.layout, { displaylogo: false, responsive: true });
  }
}

// ---------- page: the plan at a glance ----------

async function planPage() {
  const select = $("plan-scenario");
  if (!select.options.length) {
    for (const s of state.scenarios) select.append(el("option", { value: s.name, text: s.title }));
    select.value = state.info.default_scenario;
    select.addEventListener("change", () => planOf(select.value));
  }
  await planOf(select.value);
}

async function planOf(name) {
  status("plan-status", "planning...");
  const started = performance.now();
  try {
    const result = await api("/api/plan", { method: "POST",
                                            body: { scenario: name, save: false, view: true } });
    $("plan-title").textContent = result.title;
    renderPlan($("plan-result"), result);
    status("plan-status", `computed in ${Math.round(performance.now() - started)} ms, not saved`);
  } catch (err) {
    status("plan-status", "");
    notice(err.message);
  }
}

// ---------- page: the scenario editor ----------

function joinPath(path, key) {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function isPlain(value) { return value === null || typeof value !== "object"; }

function leafInput(value, path) {
  const kind = value === null ? "null" : typeof value;
  const id = `f-${path.replace(/[^\w-]/g, "_")}`;
  let input;
  if (kind === "boolean") {
    input = el("input", { id, type: "checkbox", checked: value });
  } else if (kind === "string" && value.length > 60) {
    input = el("textarea", { id, rows: Math.min(6, Math.ceil(value.length / 60)) });
    input.value = value;
  } else {
    input = el("input", { id, type: "text", inputmode: kind === "number" ? "decimal" : undefined });
    input.value = value === null ? "" : String(value);
  }
  input.dataset.path = path;
  input.dataset.kind = kind;
  return input;
}

function renderValue(container, label, value, path) {
  if (isPlain(value)) {
    const input = leafInput(value, path);
    container.append(el("div", { class: "field" },
                        el("label", { for: input.id, text: label }), input));
    return;
  }
  const fieldset = el("fieldset", { "data-path": path }, el("legend", { text: label }));
  container.append(fieldset);
  if (Array.isArray(value)) {
    const flatRows = value.length && value.every((v) => v && typeof v === "object"
      && !Array.isArray(v) && Object.values(v).every(isPlain));
    if (flatRows && Object.keys(value[0]).length <= 4) {
      const keys = [...new Set(value.flatMap(Object.keys))];
      const rows = value.map((item, i) => el("tr", {}, keys.map((k) => el("td", {},
        leafInput(k in item ? item[k] : null, joinPath(joinPath(path, i), k))))));
      fieldset.append(el("table", { class: "steps" },
        el("thead", {}, el("tr", {}, keys.map((k) => el("th", { text: k })))),
        el("tbody", {}, rows)));
    } else {
      value.forEach((item, i) => renderValue(fieldset, `[${i}]`, item, joinPath(path, i)));
    }
  } else {
    for (const [key, item] of Object.entries(value)) {
      renderValue(fieldset, key, item, joinPath(path, key));
    }
  }
}

function buildForm(doc) {
  state.doc = doc;
  const form = $("editor-form");
  form.replaceChildren();
  const top = el("details", { open: true, "data-path": "" }, el("summary", { text: "scenario" }));
  form.append(top);
  for (const [key, value] of Object.entries(doc)) {
    if (isPlain(value)) {
      renderValue(top, key, value, key);
      continue;
    }
    const open = ["ramp", "facility", "platforms", "finance", "investment"].includes(key);
    const section = el("details", { open, "data-path": key }, el("summary", { text: key }));
    form.append(section);
    if (Array.isArray(value)) {
      renderValue(section, key, value, key);
    } else {
      for (const [k, v] of Object.entries(value)) renderValue(section, k, v, joinPath(key, k));
    }
  }
  showErrors([]);
}

function pathParts(path) {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined
    ? Number(m[2]) : m[1]));
}

function readInput(input) {
  const kind = input.dataset.kind;
  if (kind === "boolean") return input.checked;
  const text = input.value;
  if (kind === "number" || kind === "null") {
    if (text.trim() === "") return null;
    const number = Number(text);
    return Number.isNaN(number) ? text : number; // the server names what it accepts
  }
  return text;
}

function collect() {
  const doc = structuredClone(state.doc);
  for (const input of $("editor-form").querySelectorAll("[data-kind]")) {
    const parts = pathParts(input.dataset.path);
    let node = doc;
    for (const part of parts.slice(0, -1)) node = node[part];
    node[parts[parts.length - 1]] = readInput(input);
  }
  return doc;
}

// Where a problem's message goes: its input, else the nearest enclosing field or section.
function placeFor(field) {
  const form = $("editor-form");
  const find = (sel) => form.querySelector(sel);
  let path = field;
  for (;;) {
    const exact = find(`[data-kind][data-path="${CSS.escape(path)}"]`)
      || find(`[data-kind][data-path="${CSS.escape(joinPath(path, "value"))}"]`);
    if (exact) return { input: exact };
    const box = find(`fieldset[data-path="${CSS.escape(path)}"], ` +
                     `details[data-path="${CSS.escape(path)}"]`);
    if (box) return { box };
    if (!path) return null;
    const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    path = cut > 0 ? path.slice(0, cut) : "";
  }
}

function showErrors(problems) {
  const form = $("editor-form");
  form.querySelectorAll(".field-error").forEach((n) => n.remove());
  form.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
  const unplaced = [];
  for (const p of problems) {
    const field = (p.field || "").replace(/^scenario(_yaml)?\.?/, "");
    const place = p.field && p.field.startsWith("scenario") ? placeFor(field) : null;
    const message = el("div", { class: "field-error", role: "alert", "data-field": field,
                                text: p.msg });
    if (place && place.input) {
      place.input.classList.add("invalid");
      place.input.closest(".field, td").append(message);
      const section = place.input.closest("details");
      if (section) section.open = true;
    } else if (place && place.box && place.box.dataset.path) {
      const legend = place.box.querySelector("legend, summary");
      legend.after(message);
    } else {
      unplaced.push(p.field ? `${p.field}: ${p.msg}` : p.msg);
    }
  }
  $("editor-errors").replaceChildren(...unplaced.map((m) => el("div", { text: m })));
}

let validateTimer = null;

function scheduleValidation() {
  clearTimeout(validateTimer);
  validateTimer = setTimeout(async () => {
    try {
      await api("/api/validate", { method: "POST", body: { scenario: collect() } });
      showErrors([]);
      status("editor-status", "valid");
    } catch (err) {
      if (err.status === 422) {
        showErrors(err.problems);
        status("editor-status", `${err.problems.length} problem(s)`);
      } else {
        notice(err.message);
      }
    }
  }, 300);
}

async function loadBase() {
  const name = $("editor-base").value;
  status("editor-status", "loading...");
  buildForm(await api(`/api/scenarios/${encodeURIComponent(name)}`));
  $("editor-result").replaceChildren();
  status("editor-status", `loaded ${name}`);
}

async function runEditor() {
  clearTimeout(validateTimer);
  status("editor-status", "planning...");
  const save = $("editor-save").checked;
  try {
    const result = await api("/api/plan", { method: "POST",
                                            body: { scenario: collect(), save, view: true } });
    showErrors([]);
    const done = el("p", { class: "run-saved" }, result.run_id
      ? ["Saved as run ", el("code", { class: "run-id", text: result.run_id }), " (",
         el("a", { href: "#compare", text: "compare runs" }), ")"]
      : "Not saved.");
    const body = el("div");
    $("editor-result").replaceChildren(el("h2", { text: result.title }), done, body);
    renderPlan(body, result);
    status("editor-status", "done");
  } catch (err) {
    status("editor-status", err.status === 422 ? `${err.problems.length} problem(s)` : "failed");
    if (err.status === 422) showErrors(err.problems);
    else $("editor-errors").replaceChildren(el("div", { text: err.message }));
  }
}

async function editorPage() {
  const select = $("editor-base");
  if (select.options.length) return;
  for (const s of state.scenarios) select.append(el("option", { value: s.name, text: s.title }));
  select.value = state.info.default_scenario;
  $("editor-load").addEventListener("click", loadBase);
  $("editor-run").addEventListener("click", runEditor);
  $("editor-form").addEventListener("input", scheduleValidation);
  $("editor-form").addEventListener("submit", (e) => { e.preventDefault(); runEditor(); });
  if (!state.info.writes_enabled) {
    $("editor-save").checked = false;
    $("editor-save").disabled = true;
  }
  await loadBase();
}

// ---------- page: run comparison ----------

async function comparePage() {
  const runs = (await api("/api/runs")).filter((r) => r.kind === "plan");
  const a = $("compare-a");
  const b = $("compare-b");
  const keep = [a.value, b.value];
  for (const select of [a, b]) {
    select.replaceChildren(...runs.map((r) => el("option", {
      value: r.run_id, text: `${r.run_id} · ${r.scenario} · ${r.created_at}`,
    })));
  }
  if (runs.length >= 2) {
    a.value = runs.some((r) => r.run_id === keep[0]) ? keep[0] : runs[1].run_id;
    b.value = runs.some((r) => r.run_id === keep[1]) ? keep[1] : runs[0].run_id;
  }
  status("compare-status", runs.length < 2
    ? "Save two runs (in the scenario editor or with 'gigawatt plan') to compare them."
    : `${runs.length} runs saved`);
  if (!state.started.compareButton) {
    state.started.compareButton = true;
    $("compare-go").addEventListener("click", compareRuns);
  }
}

async function compareRuns() {
  const a = $("compare-a").value;
  const b = $("compare-b").value;
  if (!a || !b) return;
  status("compare-status", "comparing...");
  try {
    const [runA, runB, diff, viewA, viewB] = await Promise.all([
      api(`/api/runs/${a}`), api(`/api/runs/${b}`),
      api(`/api/runs/diff?a=${a}&b=${b}`),
      api(`/api/runs/${a}/view`), api(`/api/runs/${b}/view`),
    ]);
    const meta = table(["", "run A", "run B"],
      ["run_id", "scenario", "created_at", "version"].map((k) => ({
        cells: [k, runA[k], runB[k]], changed: runA[k] !== runB[k] })),
      { rowClass: (row) => (row.changed ? "changed" : "") });
    const inputs = diff.inputs.length
      ? table(["input field", "run A", "run B"],
              diff.inputs.map((r) => ({ cells: [r.field, r.a, r.b] })),
              { rowClass: () => "changed" })
      : el("p", { text: "The two runs have the same inputs." });
    inputs.classList.add("inputs");
    const valuesB = new Map(viewB.headline_rows.map((r) => [r[0], r[1]]));
    const headline = table(["quantity", "run A", "run B"],
      viewA.headline_rows.map((r) => ({ cells: [r[0], r[1], valuesB.get(r[0])],
                                        changed: r[1] !== valuesB.get(r[0]) })),
      { rowClass: (row) => (row.changed ? "changed" : ""), numeric: [1, 2] });
    headline.classList.add("outputs");
    const changed = diff.outputs.length
      ? table(["output", "run A", "run B", "B - A", "B / A"],
              diff.outputs.map((r) => ({ cells: [r.field, r.a, r.b, r.delta, r.ratio] })),
              { rowClass: () => "changed", numeric: [1, 2, 3, 4] })
      : el("p", { text: "The headline outputs are the same." });
    $("compare-result").replaceChildren(
      meta,
      el("h3", { text: `Inputs: ${diff.inputs.length} field(s) differ` }), inputs,
      el("h3", { text: "Headline outputs" }), headline,
      el("h3", { text: `Outputs that changed: ${diff.outputs.length}` }), changed,
    );
    status("compare-status", "");
  } catch (err) {
    status("compare-status", "");
    notice(err.message);
  }
}

// ---------- page: the catalog ----------

async function catalogPage() {
  if (state.catalog) return;
  state.catalog = await api("/api/catalog");
  const kinds = [...new Set(state.catalog.map((r) => r.kind))];
  for (const k of kinds) $("catalog-kind").append(el("option", { value: k, text: k }));
  $("catalog-kind").addEventListener("change", drawCatalog);
  $("catalog-filter").addEventListener("input", drawCatalog);
  drawCatalog();
}

function drawCatalog() {
  const kind = $("catalog-kind").value;
  const words = $("catalog-filter").value.toLowerCase();
  const rows = state.catalog.filter((r) => (!kind || r.kind === kind)
    && (!words || `${r.id} ${r.name} ${r.source}`.toLowerCase().includes(words)));
  $("catalog-list").replaceChildren(table(["id", "kind", "name", "status", "as of", "source"],
    rows.map((r) => ({ cells: [r.id, r.kind, r.name, r.status, r.as_of, linked(r.source)],
                       id: r.id })),
    { onRowClick: (row) => showEntry(row.id) }));
  status("catalog-status", `${rows.length} of ${state.catalog.length} entries`);
}

async function showEntry(id) {
  const entry = await api(`/api/catalog/${encodeURIComponent(id)}`);
  const { ranges = {}, source, ...fields } = entry;
  const parts = [
    el("h2", { text: `${entry.name} (${entry.id})` }),
    el("p", {}, el("strong", { text: "Source: " }), linked(source)),
    table(["field", "value"], Object.entries(fields).map(([k, v]) => ({
      cells: [k, typeof v === "object" && v !== null ? JSON.stringify(v) : v] }))),
  ];
  if (Object.keys(ranges).length) {
    parts.push(el("h3", { text: "Ranges given by sources" }),
      table(["field", "low", "high", "status", "note"], Object.entries(ranges).map(([f, r]) => ({
        cells: [f, r.low, r.high, r.status, r.note] })), { numeric: [1, 2] }));
  }
  $("catalog-entry").replaceChildren(...parts);
  $("catalog-list").querySelectorAll("tr").forEach((tr) => {
    tr.classList.toggle("selected", tr.firstChild.textContent === id);
  });
}

// ---------- start ----------

const PAGES = { plan: planPage, editor: editorPage, compare: comparePage, catalog: catalogPage };

async function route() {
  const name = location.hash.slice(1) in PAGES ? location.hash.slice(1) : "plan";
  for (const page of document.querySelectorAll(".page")) page.hidden = page.id !== `page-${name}`;
  for (const link of document.querySelectorAll("nav a")) {
    link.classList.toggle("active", link.dataset.page === name);
  }
  notice("");
  try {
    await PAGES[name]();
  } catch (err) {
    notice(err.message);
  }
}

async function start() {
  try {
    [state.info, state.scenarios] = await Promise.all([api("/api/info"),
                                                       api("/api/scenarios")]);
  } catch (err) {
    notice(`The API did not answer: ${err.message}`);
    return;
  }
  $("version").textContent = `gigawatt ${state.info.version}`;
  if (state.info.token_required) {
    const box = $("token-box");
    box.hidden = false;
    $("token").value = sessionStorage.getItem(TOKEN_KEY) || "";
    $("token").addEventListener("change", (e) => sessionStorage.setItem(TOKEN_KEY, e.target.value));
  }
  if (!state.info.writes_enabled) {
    state.banner = "Saving runs is disabled: this server listens beyond loopback without "
      + "GIGAWATT_TOKEN.";
  }
  window.addEventListener("hashchange", route);
  await route();
}

start();
