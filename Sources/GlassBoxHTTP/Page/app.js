// The glass box page: vanilla JavaScript, no library, no network beyond this server's /loupe/v1/ API.
"use strict";

const API = "/loupe/v1/";
const $ = (id) => document.getElementById(id);
const state = {
  lang: "en", strings: {}, model: null,
  prompt: null, tokens: [], layer: 0, head: 0, patterns: null, query: null,
  ablations: [], steps: null, generating: null, genStages: [],
};

// ---------- helpers ----------

function t(key) { return (state.strings[state.lang] || {})[key] || (state.strings.en || {})[key] || key; }

// With `loupe serve --api-key`, the API answers 401 until the page sends the key: ask for it
// once (one question for all the requests that were refused together), keep it for this tab.
let askingKey = null;

function authorization() {
  const key = sessionStorage.getItem("loupe-key");
  return key ? { Authorization: "Bearer " + key } : {};
}

async function askKey() {
  askingKey = askingKey || Promise.resolve().then(() => {
    // Both languages: the labels themselves come from the API, which wants the key.
    const key = window.prompt("API key (loupe serve --api-key) / Clé d'API");
    if (key) sessionStorage.setItem("loupe-key", key.trim());
    askingKey = null;
    return Boolean(key);
  });
  return askingKey;
}

async function call(path, options = {}) {
  const send = () => fetch(API + path, Object.assign({}, options, { headers: Object.assign({}, options.headers, authorization()) }));
  const keySent = sessionStorage.getItem("loupe-key");
  let response = await send();
  if (response.status === 401) {
    // Another refused request may have asked for the key meanwhile: then only send it again.
    const known = sessionStorage.getItem("loupe-key") !== keySent;
    if (known || await askKey()) response = await send();
  }
  return response;
}

async function answer(response) {
  const data = await response.json();
  // The glass box's errors are {"error": "…"}; the server's (a wrong key) {"error": {"message": "…"}}.
  if (!response.ok) throw new Error((data.error && data.error.message) || data.error || response.statusText);
  return data;
}

async function post(path, body) {
  return answer(await call(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }));
}

async function get(path) { return answer(await call(path)); }

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function fmt(x) {
  if (x === null || x === undefined) return "";
  if (typeof x === "string") return x;
  if (!isFinite(x)) return x < 0 ? "-inf" : "inf";
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return x.toExponential(2);
  return Number(x.toPrecision(4)).toString();
}

function pct(p) { return (100 * p).toFixed(2) + " %"; }

function label(piece) { return piece.replace(/ /g, "␣").replace(/\n/g, "⏎").replace(/\t/g, "⇥"); }

function showError(where, error) {
  where.replaceChildren(el("p", { class: "error", text: t("error") + ": " + error.message }));
}

function status(text, busy) {
  $("status").textContent = text || "";
  $("progress").hidden = !busy;
}

// Colour of a probability: red (unlikely) → yellow → green (likely), light enough for dark text.
function probabilityColour(p) { return `hsl(${Math.round(120 * Math.sqrt(p))}, 85%, 78%)`; }

// Attention weight → shade (√ so that small weights show), as the report does: [r, g, b].
function shadeRGB(w) {
  const v = Math.round(255 * (1 - Math.sqrt(Math.max(0, Math.min(1, w)))));
  return [v, Math.round(v * 0.9 + 20), 255];
}

// ---------- language ----------

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  const toggle = $("lang-toggle");
  toggle.textContent = t("language");
  toggle.lang = state.lang === "en" ? "fr" : "en";
  document.title = t("title");
  if (state.steps) renderSteps();
  if (state.patterns) renderAttention();
  renderAblations();
}

// ---------- playground ----------

function samplingSettings() {
  const n = (id) => Number($(id).value);
  return { temperature: n("temperature"), topK: n("top-k"), topP: n("top-p"), minP: n("min-p"),
           repeatPenalty: n("repeat-penalty"), seed: n("seed") };
}

const chat = [];

async function generate(event) {
  event.preventDefault();
  if (state.generating) return;
  const mode = document.querySelector("input[name=mode]:checked").value;
  const text = $("gen-prompt").value;
  const body = { sampling: samplingSettings(), maxTokens: Number($("max-tokens").value), k: 8 };
  const output = $("output");
  output.replaceChildren();
  $("candidates").replaceChildren();
  state.genStages = [];
  if (mode === "chat") {
    chat.push({ role: "user", content: text });
    body.messages = chat.slice();
    $("chat-log").append(el("p", { class: "user", text: "> " + text }));
    $("gen-prompt").value = "";
  } else {
    body.prompt = text;
    output.append(el("span", { class: "prompt-text", text }));
  }
  const controller = new AbortController();
  state.generating = controller;
  $("generate").disabled = true;
  $("stop").disabled = false;
  let reply = "";
  try {
    const response = await call("generate", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: controller.signal,
    });
    if (!response.ok) await answer(response);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!line.trim()) continue;
        const e = JSON.parse(line);
        if (e.type === "token") { reply += e.text; addGeneratedToken(e); }
        else if (e.type === "text") { reply += e.text; output.append(document.createTextNode(e.text)); }
        else if (e.type === "error") throw new Error(e.error);
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") output.append(el("p", { class: "error", text: t("error") + ": " + error.message }));
  } finally {
    state.generating = null;
    $("generate").disabled = false;
    $("stop").disabled = true;
    if (mode === "chat") chat.push({ role: "assistant", content: reply });
  }
}

function addGeneratedToken(e) {
  const index = state.genStages.length;
  state.genStages.push(e);
  const button = el("button", {
    type: "button", class: "tok", "aria-pressed": "false", "data-index": index,
    title: `p = ${pct(e.probability)}`, "aria-label": `${label(e.piece)}, p = ${pct(e.probability)}`,
    onclick: () => showCandidates(index),
  });
  button.textContent = e.text || label(e.piece);
  button.style.background = probabilityColour(e.probability);
  button.style.color = "#111";
  $("output").append(button);
}

function showCandidates(index) {
  const e = state.genStages[index];
  for (const b of document.querySelectorAll("#output .tok")) b.setAttribute("aria-pressed", String(b.dataset.index == index));
  const box = $("candidates");
  box.replaceChildren(el("h3", { text: `${t("candidates")}: #${index} “${label(e.piece)}” (p = ${pct(e.probability)})` }));
  const stages = el("div", { class: "candidates" });
  for (const s of e.stages) stages.append(stageTable(s, e.id));
  box.append(stages);
}

function stageTable(stage, drawnId) {
  const table = el("table", {}, el("caption", { text: `${stage.name}: ${stage.remaining} ${t("remaining")}` }));
  for (const g of stage.top) {
    const row = el("tr", { class: g.id === drawnId ? "drawn" : "" },
      el("td", { class: "num", text: pct(g.probability) }),
      el("td", {}, el("span", { class: "bar", style: `width:${Math.max(1, 120 * g.probability)}px` })),
      el("td", { text: "“" + label(g.piece) + "”" + (g.id === drawnId ? "  ← " + t("drawn") : "") }));
    table.append(row);
  }
  return el("div", { class: "stage" }, table);
}

// ---------- look inside ----------

function promptBody(extra = {}) { return Object.assign({ prompt: state.prompt }, extra); }

async function inspect(event) {
  event.preventDefault();
  state.prompt = $("inspect-prompt").value;
  state.patterns = null; state.steps = null; state.query = null;
  $("steps").replaceChildren();
  const started = performance.now();
  const elapsed = () => ((performance.now() - started) / 1000).toFixed(2) + " s";
  status(t("computing"), true);
  // A long prompt or a large model: show how many blocks the forward pass has done.
  const poll = setInterval(async () => {
    try {
      const p = await get("progress");
      if (p.busy && p.total) { $("progress").max = p.total; $("progress").value = p.done; $("status").textContent = `${t("computing")} ${p.done}/${p.total} · ${elapsed()}`; }
    } catch (_) { /* the next poll will tell */ }
  }, 300);
  try {
    const tokens = await post("tokenize", promptBody());
    state.tokens = tokens.tokens;
    renderTokens();
    status(t("computing") + " " + elapsed(), true);
    // The current layer's attention and the lens share one forward pass on the server, where
    // requests run one after the other: attention first, as it needs only the pass (the lens
    // then costs one unembedding per layer and position).
    await Promise.all([loadAttention(state.layer), loadLens()]);
    status(`${state.tokens.length} tokens · ${elapsed()}`, true);
    await Promise.all([loadNorms(), loadIntervention()]);
    if ($("steps-box").open) await loadSteps();
    status(`${state.tokens.length} tokens · ${elapsed()}`, false);
  } catch (error) {
    status(t("error") + ": " + error.message, false);
  } finally {
    clearInterval(poll);
    $("progress").removeAttribute("value");
  }
}

function renderTokens() {
  const list = $("tokens");
  list.replaceChildren();
  for (const tok of state.tokens) {
    const button = el("button", { type: "button", "aria-pressed": "false", "data-position": tok.position,
                                  onclick: () => selectToken(tok.position) },
      el("b", { text: tok.label }), el("small", { text: String(tok.id) }));
    list.append(el("li", {}, button));
  }
}

function selectToken(position) {
  state.query = position;
  for (const b of document.querySelectorAll("#tokens button")) b.setAttribute("aria-pressed", String(b.dataset.position == position));
  const tok = state.tokens[position];
  $("token-detail").textContent = `#${position}: “${tok.label}” id ${tok.id}`;
  drawBigHead();
}

async function loadSteps() {
  if (!state.prompt) return;
  const data = await post("steps", promptBody({ lang: state.lang }));
  state.steps = data.steps;
  renderSteps();
}

function renderSteps() {
  const table = el("table", { class: "steps" }, el("tr", {},
    el("th", { text: "#" }), el("th", { text: "hook" }), el("th", { text: "shape" }), el("th", { text: "" }),
    el("th", { text: "min / max / mean / std" }), el("th", { text: "" })));
  for (const s of state.steps) {
    const canvas = el("canvas", { width: 96, height: 28, "aria-hidden": "true" });
    drawHistogram(canvas, s.histogram);
    const explanation = t("lecture." + s.kind);
    const sm = s.summary;
    table.append(el("tr", {},
      el("td", { class: "num", text: String(s.index + 1) }),
      el("td", { text: s.name + (s.llamaCpp ? ` (${s.llamaCpp})` : "") }),
      el("td", { text: "[" + s.shape.join(", ") + "]" }),
      el("td", { class: "expl", text: explanation }),
      el("td", { class: "num", text: `${fmt(sm.min)} / ${fmt(sm.max)} / ${fmt(sm.mean)} / ${fmt(sm.std)}` + (sm.masked ? ` (−∞: ${sm.masked})` : "") }),
      el("td", {}, canvas)));
  }
  $("steps").replaceChildren(table);
}

function drawHistogram(canvas, h) {
  const c = canvas.getContext("2d");
  const max = Math.max(...h.counts, 1);
  const w = canvas.width / h.counts.length;
  c.fillStyle = "#0b5cad";
  h.counts.forEach((n, i) => {
    const height = n ? Math.max(1, (canvas.height - 2) * Math.sqrt(n / max)) : 0;
    c.fillRect(i * w, canvas.height - height, Math.max(1, w - 1), height);
  });
}

// ---------- attention ----------

async function loadAttention(layer) {
  // float32: the weights as bytes (base64), not as JSON numbers, so a long prompt's h × T × T
  // weights arrive in a fraction of the time.
  const data = await post("attention", promptBody({ layer, ablations: state.ablations, format: "float32" }));
  state.layer = layer;
  state.patterns = patternRows(data.float32, data.heads, data.tokens);
  if (state.head >= data.heads) state.head = 0;
  renderAttention();
}

// base64 little-endian float32 [h, T, T] → patterns[head][query] = a Float32Array of T keys.
function patternRows(base64, heads, T) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const values = new Float32Array(bytes.buffer);
  return Array.from({ length: heads }, (_, head) =>
    Array.from({ length: T }, (_, q) => values.subarray((head * T + q) * T, (head * T + q + 1) * T)));
}

function renderAttention() {
  $("layer").value = state.layer;
  $("layer-value").textContent = String(state.layer);
  const heads = $("heads");
  heads.replaceChildren();
  state.patterns.forEach((pattern, head) => {
    const T = pattern.length;
    const canvas = el("canvas", { width: T, height: T, class: "head-map", "data-layer": state.layer, "data-head": head,
                                  "data-rows": T, "data-cols": pattern[0].length });
    paintPattern(canvas, pattern);
    const button = el("button", { type: "button", "aria-pressed": String(head === state.head),
                                  "aria-label": `${t("layer")} ${state.layer}, ${t("head")} ${head}`,
                                  onclick: () => { state.head = head; renderAttention(); } }, canvas);
    heads.append(el("figure", {}, button, el("figcaption", { text: `${t("head")} ${head}` })));
  });
  drawBigHead();
}

// One pixel per (query, key) cell, written at once as an ImageData (not a fillRect call per
// cell: 9 million calls for 9 heads of a 1000-token prompt); above the diagonal (masked) in grey.
function patternImage(pattern) {
  const T = pattern.length;
  const image = new ImageData(T, T);
  const px = image.data;
  for (let q = 0; q < T; q++) {
    const row = pattern[q];
    for (let k = 0; k < T; k++) {
      const [r, g, b] = k > q ? [221, 221, 221] : shadeRGB(row[k]);
      const i = 4 * (q * T + k);
      px[i] = r; px[i + 1] = g; px[i + 2] = b; px[i + 3] = 255;
    }
  }
  return image;
}

function paintPattern(canvas, pattern) {
  canvas.getContext("2d").putImageData(patternImage(pattern), 0, 0);
}

function drawBigHead() {
  const pattern = state.patterns && state.patterns[state.head];
  if (!pattern) return;
  const canvas = $("big-head");
  const T = pattern.length;
  const cell = Math.max(1, Math.floor(480 / T));
  canvas.width = canvas.height = cell * T;
  // The T×T image, scaled up without smoothing: each cell a square of cell × cell pixels.
  const small = document.createElement("canvas");
  small.width = small.height = T;
  paintPattern(small, pattern);
  const c = canvas.getContext("2d");
  c.imageSmoothingEnabled = false;
  c.drawImage(small, 0, 0, cell * T, cell * T);
  if (state.query !== null && state.query < T) {
    c.strokeStyle = "#e36b00"; c.lineWidth = 2;
    c.strokeRect(1, state.query * cell + 1, T * cell - 2, cell - 2);
  }
  $("big-caption").textContent = `${t("layer")} ${state.layer}, ${t("head")} ${state.head}`;
}

function hoverBigHead(event) {
  const pattern = state.patterns && state.patterns[state.head];
  if (!pattern) return;
  const canvas = $("big-head");
  const rect = canvas.getBoundingClientRect();
  const T = pattern.length;
  const k = Math.floor((event.clientX - rect.left) / rect.width * T);
  const q = Math.floor((event.clientY - rect.top) / rect.height * T);
  if (q < 0 || k < 0 || q >= T || k >= T) return;
  const w = pattern[q][k];
  $("hover").textContent = `${t("query")} ${q} “${state.tokens[q]?.label ?? ""}” → ${t("key")} ${k} “${state.tokens[k]?.label ?? ""}”: ${t("weight")} ${fmt(w)}`;
}

// ---------- lens and norms ----------

async function loadLens() {
  const data = await post("lens", promptBody({ top: 1, last: 8, ablations: state.ablations }));
  const table = el("table");
  const head = el("tr", {}, el("th", { text: "" }));
  for (const p of data.positions) head.append(el("th", { text: state.tokens[p]?.label ?? String(p) }));
  table.append(head);
  const addRow = (name, cells) => {
    const row = el("tr", {}, el("th", { text: name }));
    for (const guesses of cells) {
      const g = guesses[0];
      const td = el("td", { text: label(g.piece), title: pct(g.probability) });
      td.style.background = probabilityColour(g.probability);
      td.style.color = "#111";
      row.append(td);
    }
    table.append(row);
  };
  data.rows.forEach((cells, layer) => addRow("L" + layer, cells));
  addRow("model", data.model);
  $("lens-table").replaceChildren(table);
}

async function loadNorms() {
  const data = await post("norms", promptBody({ ablations: state.ablations }));
  const canvas = $("norms-chart");
  const c = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, pad = 40;
  c.clearRect(0, 0, W, H);
  const max = Math.max(...data.norms.flat());
  const depths = data.norms.length;
  const ink = getComputedStyle(document.body).color;
  c.strokeStyle = ink; c.fillStyle = ink; c.font = "13px sans-serif";
  c.beginPath(); c.moveTo(pad, 10); c.lineTo(pad, H - pad); c.lineTo(W - 10, H - pad); c.stroke();
  c.fillText(fmt(max), 2, 14); c.fillText("0", 20, H - pad);
  data.labels.forEach((name, i) => { if (i % 5 === 0 || i === depths - 1) c.fillText(name, pad + i * (W - pad - 10) / (depths - 1) - 6, H - pad + 16); });
  const T = data.norms[0].length;
  for (let p = 0; p < T; p++) {
    c.strokeStyle = `hsl(${(p * 137) % 360}, 70%, 45%)`;
    c.lineWidth = 2;
    c.beginPath();
    for (let i = 0; i < depths; i++) {
      const x = pad + i * (W - pad - 10) / (depths - 1);
      const y = H - pad - (H - pad - 10) * data.norms[i][p] / max;
      if (i) c.lineTo(x, y); else c.moveTo(x, y);
    }
    c.stroke();
  }
  canvas.setAttribute("aria-label", t("norms"));
}

// ---------- interventions ----------

function renderAblations() {
  const list = $("ablation-list");
  if (!list) return;
  list.textContent = state.ablations.length
    ? state.ablations.map((a) => a.kind === "head" ? `${t("head")} ${a.layer}.${a.head}` : `${a.kind} ${a.layer}`).join(", ")
    : t("none");
}

async function ablate(kind) {
  const layer = Number($("ablate-layer").value);
  const a = { kind, layer };
  if (kind === "head") a.head = Number($("ablate-head").value);
  if (!state.ablations.some((b) => JSON.stringify(b) === JSON.stringify(a))) state.ablations.push(a);
  await refreshAblated();
}

async function restore() {
  state.ablations = [];
  await refreshAblated();
}

async function refreshAblated() {
  renderAblations();
  if (!state.prompt) return;
  try {
    await loadIntervention();
    await Promise.all([loadAttention(state.layer), loadLens(), loadNorms()]);
  } catch (error) { showError($("intervention-table"), error); }
}

async function loadIntervention() {
  const box = $("intervention-table");
  const data = await post("intervene", promptBody({ ablations: state.ablations, k: 10 }));
  const table = el("table", { id: "intervention" }, el("tr", {},
    el("th", { text: t("token") }), el("th", { text: t("original") }), el("th", { text: "" }),
    el("th", { text: t("ablated") }), el("th", { text: "" })));
  for (const r of data.rows) {
    table.append(el("tr", { "data-id": r.id },
      el("td", { text: "“" + label(r.piece) + "”" }),
      el("td", { class: "num original", text: pct(r.original), "data-p": r.original }),
      el("td", {}, el("span", { class: "bar", style: `width:${Math.max(1, 160 * r.original)}px` })),
      el("td", { class: "num ablated", text: pct(r.ablated), "data-p": r.ablated }),
      el("td", {}, el("span", { class: "bar after", style: `width:${Math.max(1, 160 * r.ablated)}px` }))));
  }
  box.replaceChildren(table, el("p", { class: "muted", text: `max |Δp| = ${fmt(data.largestChange)}` }));
}

// ---------- kernels and blocks ----------

async function runKernels(event) {
  event.preventDefault();
  const box = $("kernel-results");
  if (!state.prompt) state.prompt = $("inspect-prompt").value;
  box.replaceChildren(el("p", { text: t("computing") }));
  try {
    const data = await post("kernels", promptBody({ hook: $("kernel-hook").value }));
    const table = el("table", {}, el("caption", { text: `${data.weight} (${data.type}, [${data.weightShape}]) × x [${data.inputShape}]` }),
      el("tr", {}, el("th", { text: t("backend") }), el("th", { text: t("time") }), el("th", { text: t("maxDiff") })));
    for (const r of data.results) table.append(el("tr", {}, el("td", { text: r.backend }),
      el("td", { class: "num", text: (r.seconds * 1000).toFixed(3) + " ms" }), el("td", { class: "num", text: fmt(r.maxDifference) })));
    for (const m of data.missing) table.append(el("tr", {}, el("td", { text: m }), el("td", { text: t("unavailable") }), el("td")));
    box.replaceChildren(table);
  } catch (error) { showError(box, error); }
}

async function runBlock(event) {
  event.preventDefault();
  const box = $("block-view");
  try {
    const q = new URLSearchParams({ tensor: $("block-tensor").value, index: $("block-index").value });
    const data = await get("block?" + q);
    const hex = (bytes) => bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const table = el("table", {}, el("caption", { text: `${data.tensor} · ${t("block")} ${data.index}: ${data.type}, ${data.values.length} ${t("values")}, ${data.bytesPerBlock} ${t("bytes")}` }));
    for (const f of data.fields) table.append(el("tr", {}, el("th", { text: f.name }), el("td", { class: "hex", text: hex(f.bytes) })));
    table.append(el("tr", {}, el("th", { text: t("values") }), el("td", { class: "hex", text: data.values.map(fmt).join("  ") })));
    if (data.requantized) table.append(el("tr", {}, el("th", { text: "re-quant." }),
      el("td", { class: "hex", text: data.requantized.map(fmt).join("  ") + (data.sameBytes ? "  (=)" : "  (≠)") })));
    box.replaceChildren(table);
  } catch (error) { showError(box, error); }
}

// ---------- start ----------

async function start() {
  const stored = localStorage.getItem("loupe-lang");
  state.lang = stored || ((navigator.language || "en").toLowerCase().startsWith("fr") ? "fr" : "en");
  $("generate-form").addEventListener("submit", generate);
  $("stop").addEventListener("click", () => state.generating && state.generating.abort());
  $("inspect-form").addEventListener("submit", inspect);
  $("layer").addEventListener("input", (e) => { $("layer-value").textContent = e.target.value; });
  $("layer").addEventListener("change", (e) => state.prompt && loadAttention(Number(e.target.value)).catch((err) => status(err.message)));
  $("big-head").addEventListener("mousemove", hoverBigHead);
  $("big-head").addEventListener("keydown", (e) => {
    const moves = { ArrowLeft: -1, ArrowRight: 1 };
    if (moves[e.key] !== undefined && state.patterns) {
      state.head = (state.head + moves[e.key] + state.patterns.length) % state.patterns.length;
      renderAttention(); e.preventDefault();
    }
  });
  $("steps-box").addEventListener("toggle", () => { if ($("steps-box").open && !state.steps && state.prompt) loadSteps().catch((err) => showError($("steps"), err)); });
  $("ablate-head-button").addEventListener("click", () => ablate("head"));
  $("ablate-attn-button").addEventListener("click", () => ablate("attn"));
  $("ablate-mlp-button").addEventListener("click", () => ablate("mlp"));
  $("restore-button").addEventListener("click", restore);
  $("kernels-form").addEventListener("submit", runKernels);
  $("block-form").addEventListener("submit", runBlock);
  $("lang-toggle").addEventListener("click", () => {
    state.lang = state.lang === "en" ? "fr" : "en";
    localStorage.setItem("loupe-lang", state.lang);
    applyLanguage();
    if (state.steps) loadSteps().catch(() => {});
  });
  try {
    const [strings, model] = await Promise.all([get("strings"), get("model")]);
    state.strings = strings.languages;
    state.model = model;
    $("model-line").textContent = `${model.file} · ${model.architecture} · ${model.layers} × ${model.heads} heads · d=${model.dModel} · ${model.backend}`;
    $("layer").max = String(model.layers - 1);
    $("ablate-layer").max = String(model.layers - 1);
    $("ablate-head").max = String(model.heads - 1);
    for (const name of model.hooks) $("hook-names").append(el("option", { value: name }));
    for (const tensor of model.tensors) $("block-tensor").append(el("option", { value: tensor.name, text: `${tensor.name} (${tensor.type})` }));
    if (model.tensors.some((x) => x.name === "blk.0.attn_q.weight")) $("block-tensor").value = "blk.0.attn_q.weight";
    if (!model.chat) document.querySelector("input[value=chat]").disabled = true;
    applyLanguage();
    document.body.dataset.ready = "true";
  } catch (error) {
    status(t("error") + ": " + error.message, false);
  }
}

start();
