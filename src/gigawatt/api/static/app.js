// The gigawatt dashboard: pages over the JSON API (/api/...), nothing else.
"use strict";

const TOKEN_KEY = "gigawatt-token";
const CHART_CONFIG = { displaylogo: false, responsive: true };
const state = { info: null, scenarios: [], sources: {}, doc: null, base: null, form: null,
                started: {} };

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
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// Text with its http(s) addresses, and the S-numbers the bibliography holds, as links.
const CITATION = /(https?:\/\/[^\s;,()<>"']+[^\s;,()<>"'.])|(?<![A-Za-z0-9])(S\d{1,3})(?![0-9A-Za-z])/g;

function linked(text) {
  const out = el("span", { class: "source" });
  const str = String(text ?? "");
  let at = 0;
  for (const m of str.matchAll(CITATION)) {
    const source = m[1] ? { url: m[1], title: m[1] } : state.sources[m[2]];
    if (!source) continue;
    out.append(str.slice(at, m.index),
               el("a", { href: source.url, title: source.title, rel: "noopener noreferrer",
                         target: "_blank", text: m[0] }));
    at = m.index + m[0].length;
  }
  out.append(str.slice(at));
  return out;
}

// A table in a box that scrolls sideways on a narrow screen, so the page never does.
function table(columns, rows, { rowClass, cellClass, onRowClick, numeric = [], links = [],
                                className } = {}) {
  const head = el("tr", {}, columns.map((c) => el("th", { text: c })));
  const body = rows.map((row, i) => el("tr", {
    class: [rowClass ? rowClass(row, i) : "", onRowClick ? "clickable" : ""].join(" ").trim()
      || undefined,
    onclick: onRowClick ? () => onRowClick(row, i) : undefined,
  }, row.cells.map((cell, j) => el("td", {
    class: [numeric.includes(j) ? "num" : "", cellClass ? cellClass(row, j) : ""].join(" ").trim()
      || undefined,
  }, cell instanceof Node ? cell : links.includes(j) ? linked(cell) : show(cell)))));
  const t = el("table", { class: className }, el("thead", {}, head), el("tbody", {}, body));
  return el("div", { class: "scroll" }, t);
}

// A report table as /api views give it: {columns, rows}.
function viewTable(t, opts = {}) {
  return table(t.columns, t.rows.map((cells) => ({ cells })), opts);
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

class ApiError extends Error {
  constructor(status, problems) {
    super(problems.map((p) => (p.field ? `${p.field}: ` : "") + p.msg).join("; ")
          || `HTTP ${status}`);
    this.status = status;
    this.problems = problems;
  }
}

async function api(path, { method = "GET", body, text = false } = {}) {
  const headers = { Accept: text ? "*/*" : "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.ok && text) return response.text();
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

function scenarioOptions(select) {
  if (select.options.length) return;
  for (const s of state.scenarios) select.append(el("option", { value: s.name, text: s.title }));
  select.value = state.info.default_scenario;
}

// ---------- charts: plotly.js (4.6 MB) runs once the first tables are drawn ----------

let plotlyLoading = null;

function plotly() {
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const script = el("script", { src: "/assets/plotly.min.js" });
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("plotly.js did not load"));
      document.head.append(script);
    });
  }
  return plotlyLoading;
}

async function drawCharts(container, figures) {
  const pending = Object.entries(figures).map(([name, figure]) => {
    const div = el("div", { class: "chart", "data-chart": name });
    container.append(div);
    return [div, figure];
  });
  const Plotly = await plotly();
  for (const [div, figure] of pending) {
    if (div.isConnected) await Plotly.newPlot(div, figure.data, figure.layout, CHART_CONFIG);
  }
}

// ---------- a plan result: headline, claims, charts, timeline, sites, assumptions ----------

function renderPlan(container, result) {
  const view = result.view;
  const { view: _, ...doc } = result;
  const exports = el("div", { class: "bar exports" },
    el("span", { class: "muted", text: "Export:" }),
    el("button", { type: "button", class: "export-json", text: "plan JSON",
                   onclick: () => download(`${result.scenario}.json`,
                                           JSON.stringify(doc, null, 2), "application/json") }),
    el("button", { type: "button", class: "export-csv", text: "timeline CSV",
                   onclick: () => download(`${result.scenario}-timeline.csv`, view.timeline_csv,
                                           "text/csv") }),
    result.run_id ? el("a", { href: `/api/runs/${result.run_id}/export?format=json`,
                              text: `saved run ${result.run_id}` }) : null);
  const claims = table(["claim", "who", "claimed", "model", "verdict", "why", "source"],
    view.claim_rows.map((c) => ({ cells: [c.claim, c.who, c.claimed, c.model, c.verdict,
                                          c.reason, c.source], verdict: c.verdict })),
    { cellClass: (row, j) => (j === 4 ? `verdict ${row.verdict.replaceAll(" ", "-")}` : ""),
      links: [6], className: "claims" });
  const charts = el("div", { class: "charts" });
  const t = view.tables;
  const parts = [
    el("p", { class: "muted" },
       `Scenario ${result.scenario}, ${result.first_period} to ${result.last_period}; ` +
       `gigawatt ${result.gigawatt_version}` + (result.run_id ? `; run ${result.run_id}` : "")),
    exports,
    el("h3", { text: "Headline" }),
    table(["quantity", "value", "basis"], view.headline_rows.map((r) => ({ cells: r })),
          { numeric: [1], className: "headline" }),
    el("h3", { text: "Claims check" }), claims,
    el("h3", { text: "Charts" }), charts,
    el("h3", { text: "Timeline" }),
    el("p", { class: "muted", text: "Power, equipment and compute are cumulative at the end " +
              "of each half-year; capex and investment fall in the period." }),
    viewTable(t.timeline, { numeric: [...t.timeline.columns.keys()].slice(2),
                            className: "timeline" }),
  ];
  if (t.sites.rows.length) {
    parts.push(el("h3", { text: "Sites" }),
      el("p", { class: "muted", text: "Racks added at each site in each half-year, against " +
                "the power the site can draw then." }),
      viewTable(t.sites, { numeric: [2, 3, 5], className: "sites" }));
  }
  if (t.binding.rows.length) {
    parts.push(el("h3", { text: "What limits the plan" }),
               viewTable(t.binding, { className: "binding" }));
  }
  parts.push(el("h3", { text: "Investment tranches" }),
    viewTable(t.tranches, { numeric: [0, 1], className: "tranches" }),
    el("h3", { text: "Assumptions" }),
    el("p", { class: "muted", text: "Every number the plan rests on beyond the announcement, " +
              "with its status and source." }),
    viewTable(t.assumptions, { numeric: [1], links: [4], className: "assumptions" }),
    el("h3", { text: "Sources" }),
    el("p", { class: "muted", text: "Every source cited above." }),
    viewTable(t.sources, { links: [0, 1, 4], className: "sources" }));
  container.replaceChildren(...parts);
  return drawCharts(charts, view.figures).catch((err) => notice(err.message));
}

// ---------- page: the plan at a glance ----------

async function planPage() {
  const select = $("plan-scenario");
  if (!select.options.length) {
    scenarioOptions(select);
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
    const charts = renderPlan($("plan-result"), result);
    status("plan-status", `computed in ${Math.round(performance.now() - started)} ms, not saved`);
    await charts;
  } catch (err) {
    status("plan-status", "");
    notice(err.message);
  }
}

// ---------- page: the scenario editor, drawn from GET /api/editor/form ----------

function joinPath(path, key) {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function nextPeriod(period) {
  const m = /^(\d{4})H([12])$/.exec(period || "");
  if (!m) return period || "";
  return m[2] === "1" ? `${m[1]}H2` : `${Number(m[1]) + 1}H1`;
}

function rangeText(spec) {
  if (spec.min === null && spec.max === null) return "";
  const low = spec.min === null || spec.min === undefined ? "" : show(spec.min);
  const high = spec.max === null || spec.max === undefined || spec.max >= 1e15 ? ""
    : show(spec.max);
  if (!high) return spec.low_open || spec.exclusive_min ? `> ${low}` : `≥ ${low}`;
  return `${spec.low_open || spec.exclusive_min ? "(" : "["}${low}, ${high}]`;
}

// Where a block's figures come from, shown beside them, never as an editable number.
function provenance(block) {
  if (!block || typeof block !== "object") return null;
  const bits = [];
  if (block.status) bits.push(el("span", { class: `status ${block.status}`, text: block.status }));
  if (block.source) bits.push(linked(block.source));
  if (block.note) bits.push(el("span", { class: "note", text: block.note }));
  if (block.distribution) {
    const [form, params] = Object.entries(block.distribution)[0];
    bits.push(el("span", { class: "dist", text: `sweep: ${form} ${params.join(", ")}` }));
  }
  return bits.length ? el("div", { class: "prov" }, bits) : null;
}

function changed() { scheduleValidation(); }

// One input for a plain value (number, string, choice, boolean) stored at parent[key].
function plainInput(spec, parent, key, path, label) {
  const value = parent[key];
  const id = `f-${path.replace(/[^\w-]/g, "_")}`;
  const common = { id, "data-path": path, "data-kind": spec.kind, "aria-label": label };
  let input;
  const set = (v) => {
    if (v === undefined) delete parent[key];
    else parent[key] = v;
    changed();
  };
  if (spec.kind === "boolean") {
    input = el("input", { ...common, type: "checkbox", checked: Boolean(value) });
    input.addEventListener("change", () => set(input.checked));
  } else if (spec.kind === "choice") {
    const options = [...spec.options];
    if (value !== undefined && value !== null && !options.includes(value)) options.push(value);
    input = el("select", common,
      spec.nullable ? el("option", { value: "", text: "(none)" }) : null,
      options.map((o) => el("option", { value: String(o), text: String(o) })));
    input.value = value === undefined || value === null ? "" : String(value);
    input.addEventListener("change", () => set(input.value === "" ? undefined : input.value));
  } else if (spec.kind === "number") {
    input = el("input", { ...common, type: "number", step: spec.integer ? 1 : "any",
                          min: spec.exclusive_min ? undefined : spec.min ?? undefined,
                          max: spec.max ?? undefined, inputmode: "decimal" });
    input.value = value === undefined || value === null ? "" : String(value);
    input.addEventListener("input", () => {
      if (input.validity.badInput) return set(input.value); // the server names what it takes
      return set(input.value === "" ? (spec.nullable ? undefined : null) : Number(input.value));
    });
  } else if (spec.multiline) {
    input = el("textarea", { ...common, rows: 3 });
    input.value = value ?? "";
    input.addEventListener("input", () => set(input.value));
  } else {
    input = el("input", { ...common, type: "text", pattern: spec.pattern ?? undefined,
                          spellcheck: "false" });
    input.value = value ?? "";
    input.addEventListener("input", () => set(input.value === "" && spec.nullable
      ? undefined : input.value));
  }
  return input;
}

function field(label, input, description, ...extra) {
  return el("div", { class: "field" },
    el("label", { for: input.id, text: label, title: description || undefined }),
    el("div", { class: "control" }, input, ...extra));
}

// An assumption: its value is a typed number; status, source and note are shown, and an
// edited value is marked `status: input` with a note of what it replaced.
function assumptionField(spec, parent, key, path, label, description) {
  const original = state.baseLookup(path);
  const current = parent[key];
  const block = typeof current === "number" ? { value: current, status: "input" } : current;
  const input = el("input", {
    id: `f-${path.replace(/[^\w-]/g, "_")}`, type: "number", step: "any",
    min: spec.low_open ? undefined : spec.min ?? undefined,
    max: spec.max !== null && spec.max < 1e15 ? spec.max : undefined,
    "data-path": joinPath(path, "value"), "data-kind": "number", inputmode: "decimal",
  });
  input.value = block ? String(block.value) : "";
  const prov = el("div", {}, provenance(block));
  input.addEventListener("input", () => {
    if (input.value === "" && spec.nullable) {
      delete parent[key];
    } else {
      const number = input.validity.badInput || input.value === "" ? input.value
        : Number(input.value);
      const was = original && typeof original === "object" ? original : null;
      if (was && number === was.value) {
        parent[key] = structuredClone(was);
      } else {
        const { source: _s, note: _n, status: _st, ...rest } = block || {};
        parent[key] = { ...rest, value: number, status: "input",
                        note: was ? `edited in the dashboard (was ${show(was.value)}` +
                          (was.source ? `, from ${was.source}` : "") + ")"
                          : "set in the dashboard" };
      }
    }
    prov.replaceChildren(provenance(parent[key]) || "");
    changed();
  });
  const range = rangeText(spec);
  return field(label, input, description,
               range ? el("span", { class: "range", text: `accepted ${range}` }) : null, prov);
}

function renderField(container, f, parent, path) {
  const { spec, name } = f;
  const here = joinPath(path, name);
  const value = parent[name];
  if (spec.kind === "readonly") {
    if (value === undefined || value === null || (Array.isArray(value) && !value.length)) return;
    if (["status", "source", "note"].includes(name)) return; // shown by the block's .prov
    if (name === "claims") {
      container.append(el("details", { class: "readonly", "data-path": here },
        el("summary", { text: `claims checked against the plan (${value.length}, read-only)` }),
        table(["id", "claim", "source"], value.map((c) => ({ cells: [c.id, c.claim, c.source] })),
              { links: [2] })));
      return;
    }
    container.append(el("div", { class: "field readonly", "data-path": here },
      el("label", { text: name }),
      el("div", { class: "control" }, Array.isArray(value)
        ? el("ul", { class: "sources" }, value.map((v) => el("li", {}, linked(v))))
        : linked(value))));
    return;
  }
  if (spec.kind === "assumption") {
    if (value === undefined && !spec.nullable) return;
    container.append(assumptionField(spec, parent, name, here, name, f.description));
    return;
  }
  if (spec.kind === "object") {
    const box = el("fieldset", { "data-path": here }, el("legend", { text: name }));
    container.append(box);
    if (value === undefined || value === null) {
      box.append(el("p", { class: "muted", text: "not set in this scenario" }));
      return;
    }
    renderObject(box, spec, value, here);
    return;
  }
  if (spec.kind === "list") { container.append(listField(spec, parent, name, here)); return; }
  if (spec.kind === "map") { container.append(mapField(spec, parent, name, here)); return; }
  if (value === undefined && !spec.nullable && !f.required) return; // a default left out
  container.append(field(name, plainInput(spec, parent, name, here, name), f.description));
}

function renderObject(box, spec, value, path) {
  const prov = provenance(value);
  if (prov) box.append(prov);
  for (const f of spec.fields) renderField(box, f, value, path);
}

// A list: rows of plain objects as a table (ramp steps), else one block per item; each
// item can be removed, and one can be added (a copy of the last, at the next period).
function listField(spec, parent, key, path) {
  const box = el("fieldset", { class: "list", "data-path": path }, el("legend", { text: key }));
  const item = spec.item;
  const plainRows = item.kind === "object" && item.fields.every((f) => !["object", "list",
    "map", "assumption"].includes(f.spec.kind));
  const draw = () => {
    const items = parent[key] || [];
    const removable = items.length > (spec.min_items || 0);
    const remove = (i) => el("button", { type: "button", class: "remove", title: "remove",
      "aria-label": `remove ${joinPath(path, i)}`, disabled: !removable,
      onclick: () => { items.splice(i, 1); draw(); changed(); } }, "✕");
    let body;
    if (plainRows) {
      const columns = item.fields.filter((f) => f.spec.kind !== "readonly");
      body = el("div", { class: "scroll" }, el("table", { class: "steps" },
        el("thead", {}, el("tr", {}, columns.map((f) => el("th", { text: f.name })), el("th"))),
        el("tbody", {}, items.map((row, i) => el("tr", { "data-path": joinPath(path, i) },
          columns.map((f) => el("td", {}, plainInput(f.spec, row, f.name,
            joinPath(joinPath(path, i), f.name), `${f.name} of ${joinPath(path, i)}`))),
          el("td", {}, remove(i)))))));
    } else if (item.kind === "object") {
      body = el("div", {}, items.map((v, i) => {
        const sub = el("fieldset", { "data-path": joinPath(path, i) },
                       el("legend", {}, `${key}[${i}] `, remove(i)));
        renderObject(sub, item, v, joinPath(path, i));
        return sub;
      }));
    } else {
      body = el("div", {}, items.map((_, i) => el("div", { class: "item" },
        plainInput(item, items, i, joinPath(path, i), joinPath(path, i)), remove(i))));
    }
    const add = el("button", { type: "button", class: "add", onclick: () => {
      const last = items[items.length - 1];
      let next;
      if (item.kind === "object") {
        next = last ? structuredClone(last) : {};
        if (next.period !== undefined) next.period = nextPeriod(last.period);
      } else if (item.kind === "choice") {
        next = item.options.find((o) => !items.includes(o)) ?? item.options[0];
      } else {
        next = last ?? "";
      }
      parent[key] = [...items, next];
      draw();
      changed();
    } }, plainRows ? "+ add step" : "+ add");
    box.replaceChildren(el("legend", { text: key }), body, add);
  };
  draw();
  return box;
}

// A mapping: one entry per key (a catalog ID where the keys are), each removable.
function mapField(spec, parent, key, path) {
  const box = el("fieldset", { class: "map", "data-path": path });
  const draw = () => {
    const entries = parent[key] || {};
    const rows = Object.keys(entries).map((k) => {
      const here = joinPath(path, k);
      const remove = el("button", { type: "button", class: "remove", title: "remove",
        "aria-label": `remove ${here}`,
        onclick: () => { delete entries[k]; draw(); changed(); } }, "✕");
      const v = spec.value;
      if (v.kind === "object") {
        const sub = el("fieldset", { "data-path": here }, el("legend", {}, `${k} `, remove));
        renderObject(sub, v, entries[k], here);
        return sub;
      }
      const input = v.kind === "assumption"
        ? assumptionField(v, entries, k, here, k, "")
        : field(k, plainInput(v, entries, k, here, k), "");
      input.append(remove);
      return input;
    });
    const free = spec.key.kind === "choice"
      ? spec.key.options.filter((o) => !(o in entries)) : null;
    const pick = free ? el("select", { class: "new-key", "aria-label": `new key of ${path}` },
      free.map((o) => el("option", { value: o, text: o })))
      : el("input", { class: "new-key", type: "text", placeholder: "new key",
                      "aria-label": `new key of ${path}` });
    const add = el("button", { type: "button", class: "add", onclick: () => {
      const name = pick.value.trim();
      if (!name || name in entries) return;
      parent[key] = { ...entries, [name]: emptyOf(spec.value) };
      draw();
      changed();
    } }, "+ add");
    box.replaceChildren(el("legend", { text: key }), ...rows,
                        (free === null || free.length) ? el("div", { class: "item" }, pick, add)
                          : null);
  };
  draw();
  return box;
}

function emptyOf(spec) {
  if (spec.kind === "object") return {};
  if (spec.kind === "choice") return spec.options[0];
  if (spec.kind === "boolean") return false;
  if (spec.kind === "assumption") return { value: spec.min ?? 0, status: "input" };
  if (spec.kind === "number") return spec.min ?? 0;
  return "";
}

function lookup(doc, path) {
  let node = doc;
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (node === undefined || node === null) return undefined;
    node = node[m[2] !== undefined ? Number(m[2]) : m[1]];
  }
  return node;
}

function buildForm(doc) {
  state.doc = doc;
  state.baseLookup = (path) => lookup(state.base, path);
  const form = $("editor-form");
  const top = el("details", { open: true, "data-path": "" }, el("summary", { text: "scenario" }));
  const sections = [top];
  for (const f of state.form.fields) {
    if (f.name === "name") continue; // the run name, in the bar above
    if (f.spec.kind === "object" && doc[f.name] === undefined) continue; // not in this plan
    if (["object", "list", "map"].includes(f.spec.kind) && doc[f.name] !== undefined) {
      const open = ["ramp", "buildout", "facility", "finance"].includes(f.name);
      const section = el("details", { open, "data-path": f.name },
                         el("summary", { text: f.name }));
      if (f.spec.kind === "object") renderObject(section, f.spec, doc[f.name], f.name);
      else renderField(section, f, doc, "");
      sections.push(section);
    } else {
      renderField(top, f, doc, "");
    }
  }
  form.replaceChildren(...sections);
  $("editor-name").value = doc.name;
  showErrors([]);
}

// Where a problem's message goes: its input, else the nearest enclosing field or section.
function placeFor(field) {
  const page = $("page-editor");
  const find = (sel) => page.querySelector(sel);
  let path = field;
  for (;;) {
    const exact = find(`[data-kind][data-path="${CSS.escape(path)}"]`)
      || find(`[data-kind][data-path="${CSS.escape(joinPath(path, "value"))}"]`)
      || (path === "name" ? $("editor-name") : null);
    if (exact) return { input: exact };
    const box = find(`fieldset[data-path="${CSS.escape(path)}"], ` +
                     `details[data-path="${CSS.escape(path)}"], ` +
                     `tr[data-path="${CSS.escape(path)}"]`);
    if (box && path) return { box };
    if (!path) return null;
    const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    path = cut > 0 ? path.slice(0, cut) : "";
  }
}

function showErrors(problems) {
  const page = $("page-editor");
  page.querySelectorAll(".field-error").forEach((n) => n.remove());
  page.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
  const unplaced = [];
  for (const p of problems) {
    const field = (p.field || "").replace(/^scenario(_yaml)?\.?/, "");
    const place = p.field && p.field.startsWith("scenario") ? placeFor(field) : null;
    const message = el("div", { class: "field-error", role: "alert", "data-field": field,
                                text: p.msg });
    if (place && place.input) {
      place.input.classList.add("invalid");
      if (place.input.id === "editor-name") $("editor-name-error").append(message);
      else (place.input.closest(".control, td, .item") || place.input.parentNode).append(message);
      for (let d = place.input.closest("details"); d; d = d.parentElement.closest("details")) {
        d.open = true;
      }
    } else if (place && place.box) {
      const head = place.box.querySelector(":scope > legend, :scope > summary");
      if (head) head.after(message);
      else place.box.append(el("td", {}, message));
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
      await api("/api/validate", { method: "POST", body: { scenario: state.doc } });
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
  const [form, doc] = await Promise.all([
    state.form ? state.form : api("/api/editor/form"),
    api(`/api/scenarios/${encodeURIComponent(name)}`),
  ]);
  state.form = form;
  state.base = structuredClone(doc);
  // An edited run is saved under its own name, never the built-in's.
  doc.name = `${name}-edited`;
  doc.title = `${doc.title} (edited)`;
  buildForm(doc);
  $("editor-result").replaceChildren();
  status("editor-status", `loaded ${name}`);
}

async function runEditor() {
  clearTimeout(validateTimer);
  status("editor-status", "planning...");
  const save = $("editor-save").checked;
  try {
    const result = await api("/api/plan", { method: "POST",
                                            body: { scenario: state.doc, save, view: true } });
    showErrors([]);
    const done = el("p", { class: "run-saved" }, result.run_id
      ? ["Saved as run ", el("code", { class: "run-id", text: result.run_id }), " named ",
         el("code", { class: "run-name", text: result.scenario }), " (",
         el("a", { href: "#compare", text: "compare runs" }), ")"]
      : "Not saved.");
    const body = el("div");
    $("editor-result").replaceChildren(el("h2", { text: result.title }), done, body);
    status("editor-status", "done");
    await renderPlan(body, result);
  } catch (err) {
    status("editor-status", err.status === 422 ? `${err.problems.length} problem(s)` : "failed");
    if (err.status === 422) showErrors(err.problems);
    else $("editor-errors").replaceChildren(el("div", { text: err.message }));
  }
}

async function downloadYaml() {
  clearTimeout(validateTimer);
  try {
    const text = await api("/api/editor/yaml", { method: "POST", text: true,
                                                 body: { scenario: state.doc } });
    download(`${state.doc.name}.yaml`, text, "application/yaml");
    status("editor-status", `downloaded ${state.doc.name}.yaml`);
  } catch (err) {
    if (err.status === 422) showErrors(err.problems);
    status("editor-status", err.status === 422 ? `${err.problems.length} problem(s)` : "failed");
  }
}

async function editorPage() {
  const select = $("editor-base");
  if (select.options.length) return;
  scenarioOptions(select);
  $("editor-load").addEventListener("click", loadBase);
  $("editor-run").addEventListener("click", runEditor);
  $("editor-yaml").addEventListener("click", downloadYaml);
  $("editor-name").addEventListener("input", () => {
    state.doc.name = $("editor-name").value;
    changed();
  });
  $("editor-form").addEventListener("submit", (e) => { e.preventDefault(); runEditor(); });
  if (!state.info.writes_enabled) {
    $("editor-save").checked = false;
    $("editor-save").disabled = true;
  }
  await loadBase();
}

// ---------- page: sweeps ----------

async function sweepPage() {
  const select = $("sweep-scenario");
  if (select.options.length) return;
  scenarioOptions(select);
  if (!state.info.writes_enabled) $("sweep-save").disabled = true;
  $("sweep-run").addEventListener("click", runSweep);
}

async function runSweep() {
  const page = $("page-sweep");
  page.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
  $("sweep-errors").replaceChildren();
  status("sweep-status", "sampling...");
  const started = performance.now();
  const body = { scenario: $("sweep-scenario").value, samples: Number($("sweep-samples").value),
                 seed: Number($("sweep-seed").value), save: $("sweep-save").checked,
                 view: true };
  try {
    const d = await api("/api/sweep", { method: "POST", body });
    const outputs = table(["output", "P10", "P50", "P90", "mean"],
      Object.entries(d.outputs).map(([name, q]) => ({ cells: [name, q.p10, q.p50, q.p90,
                                                              q.mean] })),
      { numeric: [1, 2, 3, 4], className: "quantiles" });
    const charts = el("div", { class: "charts" });
    $("sweep-result").replaceChildren(
      el("p", { class: "muted" }, `${d.samples} samples (${d.design}, seed ${d.seed}); ` +
         `uncertain inputs: ${d.inputs.join(", ")}` + (d.run_id ? `; saved as run ${d.run_id}`
                                                               : "; not saved")),
      el("h3", { text: "Outputs" }), outputs,
      el("h3", { text: "What drives the outputs, and their spread" }), charts);
    status("sweep-status", `done in ${Math.round(performance.now() - started)} ms`);
    await drawCharts(charts, d.view.figures);
  } catch (err) {
    status("sweep-status", "");
    for (const p of err.problems || []) {
      const input = $(`sweep-${p.field}`);
      if (input) input.classList.add("invalid");
    }
    $("sweep-errors").replaceChildren(...(err.problems || [{ msg: err.message }]).map((p) =>
      el("div", { class: "field-error", "data-field": p.field || "",
                  text: (p.field ? `${p.field}: ` : "") + p.msg })));
  }
}

// ---------- pages: train and infer, their forms drawn from the OpenAPI document ----------

const TOOLS = {
  train: { schema: "TrainRequest", path: "/api/train",
           preset: { model: "llama3-70b", gpu: "gb200-nvl72", gpus: 1024, global_batch: 1024,
                     tokens: 15e12 } },
  infer: { schema: "InferRequest", path: "/api/infer",
           preset: { model: "llama2-70b", gpu: "h200-sxm", ttft_ms: 2000, tpot_ms: 50 } },
};

function toolInput(name, prop, preset) {
  const options = prop.anyOf || [prop];
  const first = options.find((o) => o.type !== "null" && o.type !== "object") || options[0];
  const main = prop.enum ? { ...first, enum: prop.enum } : first; // an optional choice
  const nullable = options.some((o) => o.type === "null") || prop.default === null;
  const initial = name in preset ? preset[name] : prop.default;
  const common = { id: `tool-${name}`, name, "data-field": name };
  let input;
  if (main.enum) {
    input = el("select", common, nullable ? el("option", { value: "", text: "(auto)" }) : null,
               main.enum.map((v) => el("option", { value: v, text: v })));
    input.value = initial ?? "";
  } else if (main.type === "boolean") {
    input = el("input", { ...common, type: "checkbox", checked: Boolean(initial) });
  } else if (main.type === "integer" || main.type === "number") {
    input = el("input", { ...common, type: "number", step: main.type === "integer" ? 1 : "any",
                          min: main.minimum, max: main.maximum,
                          placeholder: nullable ? "auto" : undefined });
    input.value = initial === null || initial === undefined ? "" : String(initial);
  } else {
    input = el("input", { ...common, type: "text" });
    input.value = initial ?? "";
  }
  input.dataset.type = main.enum ? "enum" : main.type;
  return el("div", { class: "field" },
    el("label", { for: common.id, text: name, title: prop.description || "" }),
    el("div", { class: "control" }, input,
       el("span", { class: "range", text: prop.description || "" })));
}

function readTool(form) {
  const body = {};
  for (const input of form.querySelectorAll("[data-field]")) {
    const type = input.dataset.type;
    if (type === "boolean") body[input.name] = input.checked;
    else if (input.value === "") continue;
    else if (type === "integer" || type === "number") body[input.name] = Number(input.value);
    else body[input.name] = input.value;
  }
  return body;
}

function flatRows(obj, prefix = "") {
  const rows = [];
  const lists = [];
  for (const [k, v] of Object.entries(obj)) {
    if (Array.isArray(v) && v.length && typeof v[0] === "object") lists.push([prefix + k, v]);
    else if (v && typeof v === "object" && !Array.isArray(v)) {
      const [r, l] = flatRows(v, `${prefix}${k}.`);
      rows.push(...r);
      lists.push(...l);
    } else rows.push({ cells: [prefix + k, v] });
  }
  return [rows, lists];
}

async function toolPage(kind) {
  const tool = TOOLS[kind];
  const form = $(`${kind}-form`);
  if (form.childElementCount) return;
  state.openapi = state.openapi || await api("/openapi.json");
  const schema = state.openapi.components.schemas[tool.schema];
  const required = new Set(schema.required || []);
  const props = Object.entries(schema.properties);
  props.sort(([a], [b]) => Number(required.has(b)) - Number(required.has(a)));
  form.append(...props.map(([name, prop]) => toolInput(name, prop, tool.preset)),
              el("button", { type: "submit", class: "primary", id: `${kind}-run`,
                             text: kind === "train" ? "Estimate training" : "Estimate serving" }),
              el("span", { id: `${kind}-status`, class: "muted" }));
  form.addEventListener("submit", (e) => { e.preventDefault(); runTool(kind); });
  await runTool(kind);
}

async function runTool(kind) {
  const form = $(`${kind}-form`);
  form.querySelectorAll(".field-error").forEach((n) => n.remove());
  form.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
  status(`${kind}-status`, "estimating...");
  try {
    const result = await api(TOOLS[kind].path, { method: "POST", body: readTool(form) });
    const [rows, lists] = flatRows(result);
    $(`${kind}-result`).replaceChildren(
      el("h3", { text: "Result" }),
      table(["quantity", "value"], rows, { numeric: [1], className: "result" }),
      ...lists.flatMap(([name, items]) => {
        const columns = [...new Set(items.flatMap((i) => Object.keys(i)))];
        return [el("h3", { text: name }),
                table(columns, items.map((i) => ({ cells: columns.map((c) => i[c]) })))];
      }));
    status(`${kind}-status`, "");
  } catch (err) {
    status(`${kind}-status`, err.status === 422 ? `${err.problems.length} problem(s)` : "");
    for (const p of err.problems || [{ field: "", msg: err.message }]) {
      const top = (p.field || "").split(".")[0];
      const input = form.querySelector(`[data-field="${CSS.escape(top)}"]`);
      const message = el("div", { class: "field-error", role: "alert", "data-field": p.field,
                                  text: p.msg });
      if (input) {
        input.classList.add("invalid");
        input.closest(".control").append(message);
      } else {
        $(`${kind}-result`).replaceChildren(message);
      }
    }
  }
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
              { rowClass: () => "changed", className: "inputs" })
      : el("p", { text: "The two runs have the same inputs." });
    const valuesB = new Map(viewB.headline_rows.map((r) => [r[0], r[1]]));
    const headline = table(["quantity", "run A", "run B"],
      viewA.headline_rows.map((r) => ({ cells: [r[0], r[1], valuesB.get(r[0])],
                                        changed: r[1] !== valuesB.get(r[0]) })),
      { rowClass: (row) => (row.changed ? "changed" : ""), numeric: [1, 2],
        className: "outputs" });
    const changedRows = diff.outputs.length
      ? table(["output", "run A", "run B", "B - A", "B / A"],
              diff.outputs.map((r) => ({ cells: [r.field, r.a, r.b, r.delta, r.ratio] })),
              { rowClass: () => "changed", numeric: [1, 2, 3, 4] })
      : el("p", { text: "The headline outputs are the same." });
    $("compare-result").replaceChildren(
      meta,
      el("h3", { text: `Inputs: ${diff.inputs.length} field(s) differ` }), inputs,
      el("h3", { text: "Headline outputs" }), headline,
      el("h3", { text: `Outputs that changed: ${diff.outputs.length}` }), changedRows,
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

const PAGES = { plan: planPage, editor: editorPage, sweep: sweepPage,
                train: () => toolPage("train"), infer: () => toolPage("infer"),
                compare: comparePage, catalog: catalogPage };

async function route() {
  const name = location.hash.slice(1) in PAGES ? location.hash.slice(1) : "plan";
  for (const page of document.querySelectorAll(".page")) page.hidden = page.id !== `page-${name}`;
  for (const link of document.querySelectorAll("nav a")) {
    link.classList.toggle("active", link.dataset.page === name);
  }
  notice("");
  if (window.Plotly) { // charts drawn while their page was hidden take the width they have now
    for (const div of $(`page-${name}`).querySelectorAll(".js-plotly-plot")) {
      window.Plotly.Plots.resize(div);
    }
  }
  try {
    await PAGES[name]();
  } catch (err) {
    notice(err.message);
  }
}

async function start() {
  try {
    let sources;
    [state.info, state.scenarios, sources] = await Promise.all([
      api("/api/info"), api("/api/scenarios"), api("/api/sources")]);
    state.sources = Object.fromEntries(sources.map((s) => [s.id, s]));
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
