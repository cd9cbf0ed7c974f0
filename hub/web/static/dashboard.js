// 督导 dashboard: signs in with a token, asks /graphql for supervision(divisionCode, year) and
// draws each indicator against its target. Vanilla JS, no dependencies; text goes in through
// textContent only (never innerHTML), so names from the database cannot inject markup.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const TOKEN_KEY = "mzhub.dashboard.token";
const LEAF_LEVEL = "TOWNSHIP";

const INDICATORS = [
  { key: "noVisitRate", label: "不见面办理率", en: "handled without a visit" },
  { key: "proxyPointCoverage", label: "代办点覆盖率", en: "villages with a proxy point" },
  { key: "assistantCoverage", label: "协理员配备率", en: "villages with an assistant" },
  { key: "postCoverage", label: "民政岗位配备率", en: "townships with a filled post" },
  { key: "trainingComplianceStaff", label: "培训达标率（乡镇）", en: "staff ≥ 3 trainings" },
  { key: "trainingComplianceAssistants", label: "培训达标率（村）", en: "assistants ≥ 2" },
  { key: "fundingCompliance", label: "经费保障达标率", en: "townships funded to floor" },
];
// The headline cards: training shows staff and assistants together (met when both are).
const CARDS = ["noVisitRate", "proxyPointCoverage", "assistantCoverage", "postCoverage",
  "trainingCompliance", "fundingCompliance"];
const CARD_LABELS = { trainingCompliance: "培训达标率" };

const FIGURE = "{ value target met numerator denominator }";
const FIGURES = INDICATORS.map((i) => `${i.key} ${FIGURE}`).join(" ") +
  ` trainingCompliance ${FIGURE}`;
const QUERY = `query Supervision($code: String!, $year: Int) {
  supervision(divisionCode: $code, year: $year) {
    division { code name level } year hasData casesSubmitted overdueCases ${FIGURES}
    fundingShortfalls { division { code name } population floor amount shortfall }
    averageHandlingDays { itemName decidedCases averageDays timeLimitWorkingDays }
    misses { division { code name level } indicator label value target }
    children { division { code name level } hasData overdueCases ${FIGURES} }
  }
}`;
const ME = "query Me { me { subject divisionCode level department roles } }";

const state = { token: null, me: null, year: null, trail: [], report: null };
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const pct = (v) => `${(v * 100).toFixed(1)}%`;
const yuan = (v) => Number(v).toLocaleString("zh-CN", { maximumFractionDigits: 0 });

class ApiError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

async function graphql(query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) throw new ApiError("UNAUTHENTICATED", "令牌无效或已过期");
  const body = await response.json();
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new ApiError((first.extensions || {}).code || "INTERNAL", first.message);
  }
  return body.data;
}

// -- sign in / out ------------------------------------------------------------------------------

function tokenFromHash() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

async function signIn(token) {
  state.token = token.trim();
  $("signin-error").textContent = "";
  try {
    state.me = (await graphql(ME, {})).me;
  } catch (err) {
    signOut(err.code === "UNAUTHENTICATED" ? "令牌无效或已过期，请重新登录" : err.message);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, state.token);
  $("who").textContent = `${state.me.subject} · ${state.me.divisionCode}`;
  $("signin").hidden = true;
  $("app").hidden = false;
  $("controls").hidden = false;
  state.trail = [];
  await show(state.me.divisionCode, null);
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, { token: null, me: null, year: null, trail: [], report: null });
  $("app").hidden = true;
  $("controls").hidden = true;
  $("signin").hidden = false;
  $("token").value = "";
  $("signin-error").textContent = message || "";
  $("token").focus();
}

// -- navigation -------------------------------------------------------------------------------

async function show(code, year) {
  $("spinner").hidden = false;
  $("error").hidden = true;
  $("app").setAttribute("aria-busy", "true");
  try {
    const data = await graphql(QUERY, { code, year });
    const report = data.supervision;
    state.report = report;
    state.year = report.year;
    const at = state.trail.findIndex((d) => d.code === report.division.code);
    if (at >= 0) state.trail = state.trail.slice(0, at + 1);
    else state.trail.push(report.division);
    render(report);
    $("app").dataset.division = report.division.code;
  } catch (err) {
    if (err.code === "UNAUTHENTICATED") return signOut("令牌无效或已过期，请重新登录");
    const hint = err.code === "FORBIDDEN"
      ? "此令牌无权查看督导数据（需 supervision:read 权限，督导员或县级以上民政部门）。"
      : err.code === "NOT_FOUND" ? "该单位不存在或不在本令牌的管辖范围内。" : "";
    $("error").textContent = `${hint} ${err.message}`.trim();
    $("error").hidden = false;
  } finally {
    $("spinner").hidden = true;
    $("app").removeAttribute("aria-busy");
  }
}

function drill(division) {
  if (division.code === state.report.division.code) return;
  show(division.code, state.year);
}

// -- rendering -------------------------------------------------------------------------------

function render(report) {
  const d = report.division;
  $("division-title").textContent = d.name;
  $("year-label").textContent = `${report.year} 年度`;
  $("no-data").hidden = report.hasData;
  renderBreadcrumb();
  renderYears(report.year);
  renderPicker(report);
  renderKpis(report);
  renderCharts(report);
  renderMisses(report);
  renderFunding(report);
  renderHandling(report);
}

function renderBreadcrumb() {
  const nav = $("breadcrumb");
  nav.replaceChildren();
  state.trail.forEach((d, i) => {
    if (i > 0) nav.append(el("span", { class: "sep", text: "›" }));
    if (i === state.trail.length - 1) {
      nav.append(el("span", { class: "current", text: d.name }));
    } else {
      const link = el("a", { href: "#", "data-code": d.code, text: d.name });
      link.addEventListener("click", (e) => { e.preventDefault(); show(d.code, state.year); });
      nav.append(link);
    }
  });
}

function renderYears(year) {
  const select = $("year");
  select.replaceChildren();
  const newest = Math.max(year, new Date().getFullYear());
  for (let y = newest; y >= newest - 5; y--) {
    select.append(el("option", { value: String(y), text: `${y} 年` }));
  }
  select.value = String(year);
}

function renderPicker(report) {
  const select = $("division-picker");
  select.replaceChildren(el("option", { value: "", text: report.children.length
    ? `选择下级单位（${report.children.length}）` : "已是最末一级" }));
  for (const child of report.children) {
    select.append(el("option", { value: child.division.code, text: child.division.name }));
  }
  select.disabled = report.children.length === 0;
}

function notes(figure, note) {
  const share = note.startsWith("乡镇") ? note : `${figure.numerator}/${figure.denominator} ${note}`;
  return `目标 ${pct(figure.target)} · ${share}`;
}

function kpiCard(label, figure, note) {
  const status = figure.denominator === 0 ? "nodata" : figure.met ? "met" : "miss";
  const card = el("article", { class: `kpi ${status}`, "data-met": String(figure.met) });
  card.append(
    el("div", { class: "kpi-label" }, el("span", { text: label }),
      el("span", { class: `chip ${status}`,
        text: { met: "达标", miss: "未达标", nodata: "无数据" }[status] })),
    el("div", { class: "kpi-value", text: figure.denominator ? pct(figure.value) : "—" }),
    el("div", { class: "kpi-sub", text:
      notes(figure, note) }),
  );
  const meter = el("div", { class: "meter" });
  const fill = el("span", { class: `fill ${status}` });
  fill.style.width = pct(Math.min(figure.value, 1));
  const tick = el("span", { class: "tick" });
  tick.style.left = pct(figure.target);
  meter.append(fill, tick);
  card.append(meter);
  return card;
}

function renderKpis(report) {
  const box = $("kpis");
  const byKey = Object.fromEntries(INDICATORS.map((i) => [i.key, i]));
  const staff = report.trainingComplianceStaff, assistants = report.trainingComplianceAssistants;
  const notes = { trainingCompliance: `乡镇 ${staff.numerator}/${staff.denominator} · ` +
    `村 ${assistants.numerator}/${assistants.denominator}` };
  box.replaceChildren(...CARDS.map((key) => kpiCard(CARD_LABELS[key] || byKey[key].label,
    report[key], notes[key] || byKey[key].en)));
  const overdue = el("article", { class: `kpi ${report.overdueCases ? "warn" : "met"}` });
  overdue.append(
    el("div", { class: "kpi-label" }, el("span", { text: "逾期件数" }),
      el("span", { class: `chip ${report.overdueCases ? "warn" : "met"}`,
        text: report.overdueCases ? "需督办" : "无逾期" })),
    el("div", { class: "kpi-value", text: String(report.overdueCases) }),
    el("div", { class: "kpi-sub", text: `本年度受理 ${report.casesSubmitted} 件 · open past due` }),
  );
  box.append(overdue);
}

function units(report) {
  if (report.children.length) return report.children;
  return [report];
}

function renderCharts(report) {
  const leaf = report.children.length === 0;
  $("charts-title").textContent = leaf ? "本单位各项指标" : "各下级单位指标对比";
  const box = $("charts");
  box.replaceChildren();
  for (const ind of INDICATORS) {
    const rows = units(report).map((u) => ({ division: u.division, value: u[ind.key].value,
      met: u[ind.key].met, target: u[ind.key].target, empty: u[ind.key].denominator === 0 }));
    box.append(chartCard(ind.label, ind.en, ind.key, rows, rows[0] ? rows[0].target : 1, leaf));
  }
  const counts = units(report).map((u) => ({ division: u.division, value: u.overdueCases,
    count: true, empty: !u.hasData }));
  box.append(chartCard("逾期件数", "open cases past due", "overdueCases", counts, null, leaf));
}

function chartCard(label, en, key, rows, target, leaf) {
  const card = el("figure", { class: "chart", "data-indicator": key });
  card.append(el("h4", {}, el("span", { text: label }), el("small", { text: en })));
  card.append(barChart(label, rows, target, leaf));
  return card;
}

function barChart(label, rows, target, leaf) {
  const rowH = 24, top = target === null ? 6 : 18, labelW = 118, valueW = 58, width = 460;
  const axisH = 20, plotW = width - labelW - valueW;
  const height = top + rows.length * rowH + axisH;
  // Counts get integer ticks (a multiple of 4); rates run 0..100%.
  const highest = Math.max(0, ...rows.map((r) => r.value));
  const max = target === null ? Math.max(4, Math.ceil(highest / 4) * 4) : 1;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `${label}：各单位柱状图` });
  for (let t = 0; t <= 4; t++) {
    const x = labelW + (plotW * t) / 4;
    root.append(svg("line", { class: "grid", x1: x, x2: x, y1: top, y2: top + rows.length * rowH }));
    const tickText = target === null ? String((max * t) / 4) : `${t * 25}%`;
    root.append(svg("text", { class: "axis", x, y: height - 6, "text-anchor": "middle" },
      tickText));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const g = svg("g", { class: leaf ? "row leaf" : "row", "data-code": r.division.code,
      tabindex: leaf ? -1 : 0, role: leaf ? "presentation" : "button" });
    const shown = r.empty ? "—" : r.count ? String(r.value) : pct(r.value);
    const name = r.division.name.length > 9 ? `${r.division.name.slice(0, 8)}…` : r.division.name;
    g.append(svg("title", {}, `${r.division.name} ${label} ${r.empty ? "无数据" : shown}` +
      (target === null ? "" : `（目标 ${pct(target)}）`)));
    g.append(svg("text", { class: "label", x: labelW - 8, y: y + rowH / 2 + 4,
      "text-anchor": "end" }, name));
    g.append(svg("rect", { class: "track", x: labelW, y: y + 5, width: plotW, height: rowH - 10,
      rx: 3 }));
    const status = r.empty ? "nodata" : r.count ? "count" : r.met ? "met" : "miss";
    g.append(svg("rect", { class: `bar ${status}`, x: labelW, y: y + 5, rx: 3,
      width: Math.max(1.5, (Math.min(r.value, max) / max) * plotW), height: rowH - 10,
      "data-code": r.division.code, "data-value": r.value }));
    g.append(svg("text", { class: "value", x: labelW + plotW + 6, y: y + rowH / 2 + 4 }, shown));
    if (!leaf) {
      g.addEventListener("click", () => drill(r.division));
      g.addEventListener("keydown", (e) => { if (e.key === "Enter") drill(r.division); });
    }
    root.append(g);
  });
  if (target !== null) {
    const x = labelW + target * plotW;
    root.append(svg("line", { class: "target-line", x1: x, x2: x, y1: top - 6,
      y2: top + rows.length * rowH + 2 }));
    root.append(svg("text", { class: "target-label", x: target > 0.5 ? x - 4 : x + 4, y: 11,
      "text-anchor": target > 0.5 ? "end" : "start" }, `目标 ${pct(target)}`));
  }
  return root;
}

function renderMisses(report) {
  const body = $("misses").tBodies[0];
  body.replaceChildren();
  const drillable = report.children.length > 0;
  for (const m of report.misses) {
    const row = el("tr", { "data-code": m.division.code, "data-indicator": m.indicator },
      el("td", { text: m.division.name }), el("td", { text: m.label }),
      el("td", { class: "num", text: pct(m.value) }), el("td", { class: "num", text: pct(m.target) }),
      el("td", { class: "num gap", text: `−${((m.target - m.value) * 100).toFixed(1)}` }));
    row.title = `${m.division.name}：${m.label} ${pct(m.value)}，目标 ${pct(m.target)}`;
    if (drillable) {
      row.classList.add("drill");
      row.addEventListener("click", () => drill(m.division));
    }
    body.append(row);
  }
  $("misses-count").textContent = report.misses.length ? `${report.misses.length} 项` : "";
  $("misses-empty").hidden = report.misses.length > 0;
}

function renderFunding(report) {
  const body = $("funding").tBodies[0];
  body.replaceChildren();
  for (const f of report.fundingShortfalls) {
    body.append(el("tr", { "data-code": f.division.code },
      el("td", { text: f.division.name }), el("td", { class: "num", text: yuan(f.population) }),
      el("td", { class: "num", text: yuan(f.floor) }), el("td", { class: "num", text: yuan(f.amount) }),
      el("td", { class: "num gap", text: yuan(f.shortfall) })));
  }
  const n = report.fundingShortfalls.length;
  $("funding-count").textContent = n ? `${n} 个` : "";
  $("funding-empty").hidden = n > 0;
}

function renderHandling(report) {
  const body = $("handling").tBodies[0];
  body.replaceChildren();
  for (const h of report.averageHandlingDays) {
    body.append(el("tr", {}, el("td", { text: h.itemName }),
      el("td", { class: "num", text: String(h.decidedCases) }),
      el("td", { class: "num", text: h.averageDays.toFixed(1) }),
      el("td", { class: "num", text: String(h.timeLimitWorkingDays) })));
  }
  $("handling-empty").hidden = report.averageHandlingDays.length > 0;
}

// -- wiring -----------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = $("token").value;
    if (token.trim()) signIn(token);
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("year").addEventListener("change", (e) => {
    if (state.report) show(state.report.division.code, Number(e.target.value));
  });
  $("division-picker").addEventListener("change", (e) => {
    const child = state.report.children.find((c) => c.division.code === e.target.value);
    if (child) drill(child.division);
  });
  window.addEventListener("hashchange", () => {
    const token = tokenFromHash();
    if (token) signIn(token);
  });
  const token = tokenFromHash() || sessionStorage.getItem(TOKEN_KEY);
  if (token) signIn(token);
  else $("token").focus();
});
