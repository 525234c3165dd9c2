// The supervisors' dashboard: the outcome figures per day, channel and journey as
// plots (charts.js, Chart.js) and numbers; every number lists the conversations
// behind it. It speaks only to the desk's own API with the session's HttpOnly cookie;
// an agent's request is refused (403) and the page says so. Text is set with
// textContent, never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const { draw, RATES, percent, channelName, goalName } = window.FigureCharts;
const PAGE = 100;
const OUTCOMES = { resolved: "resolved", handed_over: "handed over", contained: "contained",
                   abandoned: "abandoned", open: "still open" };
let period = null; // {start, end} as the desk answered
let drilled = null; // the drill-down's filters and how many are shown

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

async function api(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  const data = await response.json().catch(() => ({}));
  return { response, data };
}

function refuse(message) {
  $("refused").textContent = message;
  $("refused").hidden = false;
  $("dashboard").hidden = true;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function query(params) {
  const found = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") found.set(key, value);
  return found.toString();
}

const rate = (value) => (value === null || value === undefined ? "–" : `${percent(value)} %`);
const money = (value, currency) => (value === null || value === undefined ? "–" : `${value.toFixed(2)} ${currency}`);

// A number that lists its conversations when clicked.
function number(text, filters, testid) {
  const button = element("button", text, { type: "button", "data-testid": testid || "number" });
  button.addEventListener("click", () => drill(filters));
  return button;
}

function totals(figures) {
  const total = figures.period.total;
  const items = [
    ["Conversations", String(total.conversations), { kind: "conversations" }],
    ["Goal completion", rate(total.goal_completion_rate), { kind: "goal_completed" }],
    ["First-contact resolution", rate(total.first_contact_resolution_rate), { kind: "first_contact_resolved" }],
    ["Containment", rate(total.containment_rate), { kind: "not_handed_over" }],
    ["Hand-over rate", rate(total.handover_rate), { kind: "handed_over" }],
    ["Abandoned", rate(total.abandoned_rate), { kind: "abandoned" }],
    ["Cost per resolution", money(total.cost_per_resolution, figures.currency), { kind: "goal_completed" }],
    ["Agent time", `${total.agent_minutes} min, ${money(total.agent_cost, figures.currency)}`, { kind: "handed_over" }],
    ["Satisfaction", satisfactionText(total), { kind: "rated" }],
  ];
  $("totals").replaceChildren(...items.map(([label, value, filters]) => {
    const item = element("div", null, { "data-testid": `total-${filters.kind}-${label.toLowerCase().replace(/ /g, "-")}` });
    const dd = element("dd");
    dd.append(number(value, filters, "total-value"));
    item.append(element("dt", label), dd);
    return item;
  }));
}

// The analytics service's alerts raised now: a figure of the last hours outside its bound.
function alertsList(figures) {
  const active = (figures.alerts && figures.alerts.active) || [];
  $("alerts").hidden = active.length === 0;
  $("alerts-list").replaceChildren(...active.map((alert) => {
    const bound = alert.min === null ? `at most ${alert.max}`
      : alert.max === null ? `at least ${alert.min}` : `between ${alert.min} and ${alert.max}`;
    const text = `${alert.metric.replace(/_/g, " ")}: ${alert.value} over the last ${alert.window_hours} h `
      + `(${alert.conversations} conversations; should be ${bound}), since ${alert.at}`;
    return element("li", text, { "data-testid": `alert-${alert.metric}` });
  }));
}

// The satisfaction answers: their mean on the 1-5 scale and how many answered.
function satisfactionText(figures) {
  const answers = figures.satisfaction_answers || 0;
  return answers ? `${figures.satisfaction_mean.toFixed(2)} of 5 (${answers} answers)` : "–";
}

function reasonsText(reasons) {
  return Object.entries(reasons || {}).map(([code, count]) => `${code.replace(/_/g, " ")}: ${count}`).join(", ") || "–";
}

// One table: a row per day, channel or journey, each rate a button to its conversations.
function table(node, caption, first, rows, currency, journey) {
  const head = element("tr");
  const rates = journey ? RATES.filter((r) => r.key !== "containment_rate") : RATES;
  [first, journey ? "Attempted" : "Conversations", ...rates.map((r) => r.label), "Cost per resolution", "Satisfaction", "Hand-over reasons"]
    .forEach((title) => head.append(element("th", title, { scope: "col" })));
  const body = rows.map(([label, figures, filters]) => {
    const row = element("tr", null, { "data-testid": "figure-row", "data-name": label });
    row.append(element("th", label, { scope: "row" }));
    const count = journey ? figures.attempted : figures.conversations;
    const cell = element("td");
    cell.append(number(String(count), { ...filters, kind: "conversations" }));
    row.append(cell);
    rates.forEach((r) => {
      const td = element("td", null, { "data-rate": r.key });
      td.append(number(rate(figures[r.key]), { ...filters, kind: r.kind }));
      row.append(td);
    });
    const cost = element("td");
    cost.append(number(money(figures.cost_per_resolution, currency), { ...filters, kind: "goal_completed" }));
    const rated = element("td", null, { "data-figure": "satisfaction" });
    rated.append(journey ? "–" : number(satisfactionText(figures), { ...filters, kind: "rated" }));
    row.append(cost, rated, element("td", journey ? "–" : reasonsText(figures.handover_reasons)));
    return row;
  });
  node.replaceChildren(element("caption", caption), head, ...body);
}

function tables(figures) {
  const currency = figures.currency;
  table($("by-day"), "Per day", "Day",
    figures.days.map((day) => [day.day, day.total, { start: day.day, end: day.day }]), currency);
  table($("by-channel"), "Per channel", "Channel",
    Object.entries(figures.period.by_channel).map(([name, f]) => [channelName(name), f, { channel: name }]), currency);
  table($("by-journey"), "Per journey", "Journey",
    Object.entries(figures.period.by_goal).map(([name, f]) => [goalName(name), f, { goal: name }]), currency, true);
}

// The funnels: a row per journey's step, each count listing the conversations that reached it.
function funnelTable(figures) {
  const head = element("tr");
  ["Journey", "Step", "Reached", "Of those who entered", "Dropped since the step before"]
    .forEach((title) => head.append(element("th", title, { scope: "col" })));
  const rows = [];
  for (const [journey, funnel] of Object.entries(figures.period.funnels || {})) {
    funnel.steps.forEach((step, index) => {
      const row = element("tr", null, { "data-testid": "funnel-row", "data-journey": journey, "data-step": step.step });
      const reached = element("td");
      reached.append(number(String(step.reached), { kind: "conversations", funnel: journey, step: step.step }));
      row.append(element("th", index ? "" : goalName(journey), { scope: "row" }),
                 element("td", `${index + 1}. ${step.step.replace(/_/g, " ")}`), reached,
                 element("td", rate(step.rate)), element("td", String(step.dropped)));
      rows.push(row);
    });
  }
  $("funnels").replaceChildren(element("caption", "Step funnels (the period)"), head, ...rows);
}

// Outreach per rule: sent, suppressed (why), failed, and those contacted against the
// hold-out group on coming back about the rule's goals; each count lists its decisions.
function outreachTable(figures) {
  const outreach = figures.period.outreach;
  const head = element("tr");
  ["Rule", "Sent", "Suppressed", "Failed", "Suppressed for", "Contacted", "Came back",
   "Held out", "Came back", "Preventable contacts"]
    .forEach((title) => head.append(element("th", title, { scope: "col" })));
  const cell = (text, filters) => {
    const td = element("td");
    td.append(number(text, { outreach: filters }, "outreach-number"));
    return td;
  };
  const back = (f, group) => `${f[`${group}_came_back`]} (${rate(f[`${group}_came_back_rate`])})`;
  const rows = [["all", outreach.total, {}], ...Object.entries(outreach.by_rule).map(([rule, f]) => [rule, f, { rule }])]
    .map(([name, f, filters]) => {
      const row = element("tr", null, { "data-testid": "outreach-row", "data-rule": name });
      row.append(element("th", name === "all" ? "All rules" : goalName(name), { scope: "row" }),
                 cell(String(f.sent), { ...filters, action: "sent" }),
                 cell(String(f.suppressed), { ...filters, action: "suppressed" }),
                 cell(String(f.failed), { ...filters, action: "failed" }),
                 element("td", reasonsText(f.suppressed_reasons)),
                 cell(String(f.contacted), { ...filters, group: "contacted" }),
                 cell(back(f, "contacted"), { ...filters, group: "contacted", came_back: true }),
                 cell(String(f.held_out), { ...filters, group: "held_out" }),
                 cell(back(f, "held_out"), { ...filters, group: "held_out", came_back: true }),
                 element("td", f.preventable_contacts === null ? "–" : String(f.preventable_contacts)));
      return row;
    });
  $("outreach").replaceChildren(element("caption", "Outreach (the period): decisions per rule"), head, ...rows);
}

async function load(params) {
  showError("");
  const { response, data } = await api(`/api/dashboard/figures?${query(params)}`);
  if (response.status === 401) return refuse("Please sign in on the agent desk first.");
  if (response.status === 403) return refuse(`Only supervisors see the dashboard: ${data.detail || "refused"}.`);
  if (!response.ok) return showError(data.detail || `HTTP ${response.status}`);
  $("dashboard").hidden = false;
  period = { start: data.start, end: data.end };
  $("start").value = data.start;
  $("end").value = data.end;
  $("figures-csv").href = `/api/dashboard/figures.csv?${query(period)}`;
  $("period-note").textContent = `Days in ${data.time_zone}; a conversation counts on the day it started.`;
  alertsList(data);
  totals(data);
  tables(data);
  funnelTable(data);
  outreachTable(data);
  if (typeof window.Chart !== "function") {
    return showError("The plots cannot be drawn: the chart library is not installed on the desk (make chartjs).");
  }
  draw(data, { rates: $("chart-rates"), cost: $("chart-cost"), channels: $("chart-channels"),
               journeys: $("chart-journeys"), reasons: $("chart-reasons"), funnels: $("chart-funnels"),
               outreach: $("chart-outreach"), holdout: $("chart-holdout") }, drill);
}

function describe(filters) {
  const parts = [filters.kind.replace(/_/g, " ")];
  if (filters.channel) parts.push(`on ${channelName(filters.channel)}`);
  if (filters.goal) parts.push(`about ${goalName(filters.goal)}`);
  if (filters.reason) parts.push(`handed over for ${filters.reason.replace(/_/g, " ")}`);
  if (filters.funnel) parts.push(`in the ${goalName(filters.funnel)} journey${filters.step ? `, reached ${filters.step.replace(/_/g, " ")}` : ""}`);
  parts.push(filters.start === filters.end ? `on ${filters.start}` : `from ${filters.start} to ${filters.end}`);
  return `Conversations: ${parts.join(", ")}`;
}

function drillRow(item) {
  const row = element("tr", null, { "data-testid": "drill-row", "data-conversation": item.conversation_id,
                                    "data-outcome": item.outcome });
  const started = new Date(item.started_at * 1000).toLocaleString("en-GB");
  const link = element("td");
  if (item.handoff_id) {
    link.append(element("a", "Open the hand-over", { href: `/#handoff=${encodeURIComponent(item.handoff_id)}`,
                                                     "data-testid": "drill-handoff" }));
  }
  [item.conversation_id, channelName(item.channel), started, OUTCOMES[item.outcome] || item.outcome,
   item.goals.map(goalName).join(", ") || "–", item.first_contact_resolved.map(goalName).join(", ") || "–",
   item.handover_reason ? item.handover_reason.replace(/_/g, " ") : "–"]
    .forEach((text) => row.append(element("td", text)));
  row.append(link);
  return row;
}

function describeOutreach(filters) {
  const parts = [filters.action || (filters.group === "held_out" ? "held out" : filters.group) || "all decisions"];
  if (filters.rule) parts.push(`of ${goalName(filters.rule)}`);
  if (filters.came_back) parts.push("who came back about it on their own");
  parts.push(filters.start === filters.end ? `on ${filters.start}` : `from ${filters.start} to ${filters.end}`);
  return `Outreach decisions: ${parts.join(", ")}`;
}

function outreachRow(item) {
  const row = element("tr", null, { "data-testid": "drill-row", "data-customer": item.customer_id,
                                    "data-action": item.action });
  [item.customer_id, goalName(item.rule), item.action, item.reason.replace(/_/g, " "),
   item.channel ? channelName(item.channel) : "–", new Date(item.at * 1000).toLocaleString("en-GB"),
   item.came_back.join(", ") || "–"]
    .forEach((text) => row.append(element("td", text)));
  return row;
}

// The outreach decisions behind a number, in the drill-down's place.
async function drillOutreach(filters, more) {
  const params = { ...drilled.filters, limit: PAGE, offset: drilled.shown };
  const { response, data } = await api(`/api/dashboard/outreach?${query(params)}`);
  if (!response.ok) return showError(data.detail || `HTTP ${response.status}`);
  $("drill").hidden = false;
  $("drill-title").textContent = describeOutreach(drilled.filters);
  $("drill-csv").href = `/api/dashboard/outreach.csv?${query(drilled.filters)}`;
  const rows = data.decisions.map(outreachRow);
  if (!more) {
    const head = element("tr");
    ["Customer", "Rule", "Decision", "Reason", "Channel", "When", "Came back in"]
      .forEach((title) => head.append(element("th", title, { scope: "col" })));
    $("drill-list").replaceChildren(head, ...rows);
  } else {
    $("drill-list").append(...rows);
  }
  drilled.shown += rows.length;
  $("drill-count").textContent = `${drilled.shown} of ${data.total}`;
  $("drill-more").hidden = drilled.shown >= data.total;
  if (!more) $("drill").scrollIntoView();
}

async function drill(filters, more = false) {
  if (!more) {
    const { outreach, ...rest } = filters;
    drilled = { filters: { start: period.start, end: period.end, ...rest, ...(outreach || {}) },
                shown: 0, outreach: Boolean(outreach) };
  }
  if (drilled.outreach) return drillOutreach(drilled.filters, more);
  const params = { ...drilled.filters, limit: PAGE, offset: drilled.shown };
  const { response, data } = await api(`/api/dashboard/conversations?${query(params)}`);
  if (!response.ok) return showError(data.detail || `HTTP ${response.status}`);
  $("drill").hidden = false;
  $("drill-title").textContent = describe(drilled.filters);
  $("drill-csv").href = `/api/dashboard/conversations.csv?${query(drilled.filters)}`;
  const rows = data.conversations.map(drillRow);
  if (!more) {
    const head = element("tr");
    ["Conversation", "Channel", "Started", "Outcome", "Goals", "Resolved first time", "Hand-over reason", ""]
      .forEach((title) => head.append(element("th", title, { scope: "col" })));
    $("drill-list").replaceChildren(head, ...rows);
  } else {
    $("drill-list").append(...rows);
  }
  drilled.shown += rows.length;
  $("drill-count").textContent = `${drilled.shown} of ${data.total}`;
  $("drill-more").hidden = drilled.shown >= data.total;
  if (!more) $("drill").scrollIntoView();
}

async function start() {
  const { response, data } = await api("/api/session");
  if (!response.ok) return refuse("Please sign in on the agent desk first.");
  $("who").textContent = `Signed in as ${data.username}`;
  load({});
}

document.addEventListener("DOMContentLoaded", () => {
  $("period").addEventListener("submit", (event) => {
    event.preventDefault();
    load({ start: $("start").value, end: $("end").value });
  });
  $("drill-more").addEventListener("click", () => drill(drilled.filters, true));
  start();
});
