// The agent desk page: sign in, the queue, one hand-over (packet, live conversation,
// moves, rating). It speaks only to the desk's own API; the session lives in an
// HttpOnly cookie the page never sees; every text is set with textContent, never
// parsed as HTML.
"use strict";

const QUEUE_REFRESH_MS = 3000;
const CONVERSATION_REFRESH_MS = 2000;
const SUPERVISING = ["supervisor", "admin"];
const $ = (id) => document.getElementById(id);
const field = (name) => document.querySelector(`[data-testid="${name}"]`);
let openId = null;
let me = null; // {username, role} once signed in
let timers = [];

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function call(method, path, body) {
  const headers = body === undefined ? {} : { "Content-Type": "application/json" };
  const response = await fetch(path, { method, headers, credentials: "same-origin",
                                       body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  return { response, data };
}

async function api(method, path, body) {
  const { response, data } = await call(method, path, body);
  if (response.status === 401 && me) showSignIn(data.detail || "Please sign in again.");
  if (!response.ok) throw new Error(data.detail || `HTTP ${response.status}`);
  return data;
}

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function fill(container, nodes) {
  container.replaceChildren(...nodes);
}

// ---- sign in

function showSignIn(message) {
  me = null;
  openId = null;
  timers.forEach(clearInterval);
  timers = [];
  $("signin-error").textContent = message || "";
  $("signin-error").hidden = !message;
  $("signin").hidden = false;
  $("desk").hidden = true;
  $("signout").hidden = true;
  $("dashboard-link").hidden = true;
  $("handoff").hidden = true;
  $("who").textContent = "";
}

function showDesk(account) {
  me = account;
  $("signin").hidden = true;
  $("desk").hidden = false;
  $("signout").hidden = false;
  $("who").textContent = `Signed in as ${me.username}`;
  $("who").dataset.role = me.role;
  $("bulk").hidden = !SUPERVISING.includes(me.role);
  $("dashboard-link").hidden = !SUPERVISING.includes(me.role);
  refreshQueue();
  // The dashboard's drill-down links a handed-over conversation as /#handoff=<id>.
  const linked = /^#handoff=(.+)$/.exec(window.location.hash);
  if (linked) openHandoff(decodeURIComponent(linked[1]));
  timers = [setInterval(refreshQueue, QUEUE_REFRESH_MS),
            setInterval(() => openId && refreshHandoff(), CONVERSATION_REFRESH_MS)];
}

async function signIn(event) {
  event.preventDefault();
  const { response, data } = await call("POST", "/api/session",
    { username: $("username").value.trim(), password: $("password").value });
  $("password").value = "";
  if (!response.ok) {
    showSignIn(data.detail || `Sign-in failed (HTTP ${response.status})`);
    return;
  }
  showDesk(data);
}

async function signOut() {
  await call("DELETE", "/api/session");
  showSignIn("");
}

async function start() {
  const { response, data } = await call("GET", "/api/session");
  if (response.ok) showDesk(data);
  else showSignIn("");
}

// ---- the queue

function customerName(packet) {
  const customer = packet.customer;
  if (!customer.verified) return "Unverified customer";
  return customer.name ? `${customer.name} (${customer.customer_id})` : customer.customer_id;
}

const selected = new Set(); // hand-overs a supervisor ticked for closing in bulk
const OPEN_STATUSES = ["waiting", "ticket", "claimed"];

function queueRow(handoff) {
  const plain = handoff.plain;
  const row = element("li", null, { "data-testid": "handoff-row", "data-id": handoff.id,
                                    "data-conversation": handoff.conversation_id,
                                    "data-channel": plain.channel });
  if (SUPERVISING.includes(me.role) && OPEN_STATUSES.includes(handoff.status)) {
    const tick = element("input", null, { type: "checkbox", "data-testid": "select",
                                          "aria-label": `Select ${customerName(handoff.packet)}` });
    tick.checked = selected.has(handoff.id);
    tick.addEventListener("click", (event) => event.stopPropagation());
    tick.addEventListener("change", () => {
      if (tick.checked) selected.add(handoff.id); else selected.delete(handoff.id);
    });
    row.append(tick, " ");
  }
  row.append(element("span", handoff.status.replace("_", " "), { class: `status ${handoff.status}` }), " ");
  row.append(element("strong", customerName(handoff.packet)), " ");
  row.append(element("span", plain.channel, { class: "channel", "data-testid": "row-channel" }), " ");
  row.append(element("span", plain.age, { class: "age", "data-testid": "row-age", title: plain.received }));
  row.append(element("span", plain.why, { class: "why", "data-testid": "row-why" }));
  const where = handoff.status === "waiting" ? `#${handoff.position}, about ${handoff.expected_wait_minutes} min`
    : handoff.status === "ticket" ? `#${handoff.position}, answer from ${plain.human_available_at}`
    : handoff.agent ? `with ${handoff.agent}` : "";
  if (where) row.append(element("span", where, { class: "meta" }));
  if (handoff.id === openId) row.classList.add("open");
  row.addEventListener("click", () => openHandoff(handoff.id));
  return row;
}

function queueQuery() {
  const params = new URLSearchParams();
  const filters = { status: $("status-filter").value, channel: $("channel-filter").value,
                    reason: $("reason-filter").value, q: $("search").value.trim() };
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  const query = params.toString();
  return query ? `?${query}` : "";
}

async function refreshQueue() {
  try {
    const handoffs = await api("GET", `/api/handoffs${queueQuery()}`);
    fill($("queue-list"), handoffs.map(queueRow));
    $("queue-empty").hidden = handoffs.length > 0;
    $("queue-empty").textContent = queueQuery() ? "Nothing matches." : "Nobody is waiting.";
  } catch (error) {
    showError(`Queue: ${error.message}`);
  }
}

async function bulkClose() {
  const reason = $("bulk-reason").value.trim();
  if (!selected.size || !reason) {
    $("bulk-state").textContent = "Select hand-overs and give a reason first.";
    return;
  }
  try {
    const result = await api("POST", "/api/handoffs/bulk_close", { ids: [...selected], reason });
    selected.clear();
    const skipped = result.skipped.map((item) => `${item.id}: ${item.reason}`).join("; ");
    $("bulk-state").textContent = `Closed ${result.closed.length}.` + (skipped ? ` Not closed: ${skipped}` : "");
    refreshQueue();
  } catch (error) {
    $("bulk-state").textContent = error.message;
  }
}

// ---- one hand-over

function listOf(testid, items) {
  fill(field(testid), items.length ? items.map((text) => element("li", text)) : [element("li", "none")]);
}

let timeZone = "UTC"; // the support hours' zone, as the desk names it
const WHO = { customer: "Customer", assistant: "Assistant" };

function localTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", day: "numeric", month: "short",
                                            hour: "2-digit", minute: "2-digit", timeZoneName: "short" })
    .format(new Date(iso));
}

// Whether an agent's message reached the customer, as their channel reports it.
const DELIVERY = {
  delivered: "delivered", waiting: "waiting for the customer", failed: "not delivered",
  not_sent: "not sent on this channel", unknown: "delivery unknown",
};

function chatLine(message) {
  const who = message.from === "agent" ? message.agent : WHO[message.from] || message.from;
  const line = element("li", null, { "data-from": message.from, "data-testid": "message" });
  const when = message.shown_at === undefined ? localTime(message.at) : message.shown_at;
  const delivery = DELIVERY[message.delivery] || "";
  if (message.delivery) line.setAttribute("data-delivery", message.delivery);
  line.append(element("span", [who, when, message.note, delivery].filter(Boolean).join(" · "), { class: "meta" }),
              element("span", message.text, { class: "text" }));
  if (message.options && message.options.length) {
    const options = element("ol", null, { class: "options", "aria-label": "Options offered" });
    message.options.forEach((title) => options.append(element("li", title)));
    line.append(options);
  }
  return line;
}

function cellText(value) {
  if (Array.isArray(value)) return value.map((item) => item.name ? `${item.qty || 1}× ${item.name}` : JSON.stringify(item)).join(", ");
  return typeof value === "object" && value !== null ? JSON.stringify(value) : value;
}

function snapshotTable(collection, records) {
  const columns = [...new Set(records.flatMap((record) => Object.keys(record)))];
  const table = element("table", null, { "data-collection": collection });
  table.append(element("caption", collection));
  const head = element("tr");
  columns.forEach((column) => head.append(element("th", column.replace(/_/g, " "), { scope: "col" })));
  table.append(head);
  for (const record of records) {
    const row = element("tr");
    columns.forEach((column) => {
      row.append(element("td", cellText(record[column])));
    });
    table.append(row);
  }
  return table;
}

function showPacket(packet, plain) {
  timeZone = plain.time_zone;
  const escalation = packet.escalation;
  const values = Object.entries(escalation.values).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  field("packet-reason").textContent = plain.why;
  field("packet-evidence").textContent = plain.why_evidence || "";
  field("packet-evidence").hidden = !plain.why_evidence;
  field("packet-rule").textContent = `${escalation.reason_code} (rule ${escalation.rule}${values.length ? "; " + values.join(", ") : ""})`;
  const contact = plain.contact;
  const details = contact.details.map((item) => element("li", `${item.label}: ${item.value}`));
  if (contact.missing) details.push(element("li", contact.missing, { class: "missing" }));
  if (plain.callback) details.push(element("li", plain.callback, { "data-testid": "packet-callback" }));
  fill(field("packet-contact"), details);
  const customer = packet.customer;
  field("packet-customer").textContent = customer.verified
    ? `${customerName(packet)}, tier ${customer.tier || "unknown"}, verified`
    : "Not verified: no account details were shared.";
  const issue = packet.stated_issue;
  field("packet-issue").textContent = issue.customer_words ? `"${issue.customer_words}"` : "Not stated";
  field("packet-summary").textContent = packet.summary;
  listOf("packet-history", plain.history);
  field("packet-notice").textContent = packet.customer_notice
    ? packet.customer_notice.text : "Not recorded: the assistant's notice did not reach the desk.";
  listOf("packet-actions", packet.actions_taken.map((a) => `${a.detail} (${a.result === "ok" ? "done" : a.result}, ${localTime(a.at)})`));
  listOf("packet-resolved", packet.resolved);
  listOf("packet-open-items", packet.open_items);
  const snapshot = packet.account_snapshot;
  const tables = ["orders", "claims", "invoices"].filter((c) => snapshot[c].length)
    .map((c) => snapshotTable(c, snapshot[c]));
  if (snapshot.note) tables.push(element("p", snapshot.note));
  fill(field("packet-snapshot"), tables.length ? tables : [element("p", "No records.")]);
  const sentiment = packet.sentiment;
  const mood = sentiment.current <= -0.3 ? "negative" : sentiment.current >= 0.3 ? "positive" : "neutral";
  field("packet-sentiment").textContent = `${mood} (${sentiment.current.toFixed(2)}), ${sentiment.trend}` +
    (sentiment.trajectory.length ? ` (${sentiment.trajectory.map((s) => s.toFixed(2)).join(" → ")})` : "");
  fill(field("packet-transcript"), plain.transcript.map((line) => chatLine({ ...line, agent: null, shown_at: line.at })));
}

function showHandoff(handoff) {
  const mine = handoff.agent === me.username;
  const takeOver = handoff.status === "claimed" && !mine && SUPERVISING.includes(me.role);
  $("handoff").hidden = false;
  $("handoff-title").textContent = customerName(handoff.packet);
  $("handoff-channel").textContent = handoff.plain.channel;
  $("handoff-language").textContent = handoff.plain.language;
  $("handoff-received").textContent = handoff.plain.received;
  $("handoff-age").textContent = handoff.plain.age;
  $("handoff-status").textContent = handoff.status.replace("_", " ") + (handoff.agent ? ` (${handoff.agent})` : "");
  $("handoff-status").className = `status ${handoff.status}`;
  $("handoff-status").dataset.status = handoff.status;
  $("claim").disabled = !(["waiting", "ticket"].includes(handoff.status) || takeOver);
  $("claim").textContent = takeOver ? "Take over" : "Claim";
  const customer = handoff.packet.customer;
  $("unlock").hidden = !(customer.verified && customer.customer_id);
  $("unlock").dataset.customer = customer.customer_id || "";
  $("hand-back").disabled = !(handoff.status === "claimed" && mine);
  $("close").disabled = !["waiting", "ticket", "claimed"].includes(handoff.status) || (handoff.status === "claimed" && !mine);
  $("reply-send").disabled = !(handoff.status === "claimed" && mine);
  $("rating-send").disabled = !handoff.agent;
  $("rating-state").textContent = handoff.rating
    ? `Rated by ${handoff.rating.rated_by}: ${handoff.rating.had_what_i_needed ? "had what I needed" : "missing: " + (handoff.rating.missing || "?")}`
    : "";
  $("conversation-error").hidden = !handoff.conversation_error;
  $("conversation-error").textContent = handoff.conversation_error || "";
  if (handoff.conversation) fill($("conversation"), handoff.conversation.map(chatLine));
}

async function refreshHandoff() {
  try {
    showHandoff(await api("GET", `/api/handoffs/${openId}`));
  } catch (error) {
    showError(error.message);
  }
}

async function openHandoff(id) {
  openId = id;
  showError("");
  $("unlock-state").textContent = "";
  try {
    const handoff = await api("GET", `/api/handoffs/${id}`);
    showPacket(handoff.packet, handoff.plain);
    showHandoff(handoff);
    refreshQueue();
  } catch (error) {
    showError(error.message);
  }
}

async function move(name, body) {
  showError("");
  try {
    await api("POST", `/api/handoffs/${openId}/${name}`, body);
    await refreshHandoff();
    refreshQueue();
    return true;
  } catch (error) {
    showError(error.message);
    return false;
  }
}

async function sendReply(event) {
  event.preventDefault();
  if (await move("reply", { text: $("reply-text").value })) $("reply-text").value = "";
}

async function unlock() {
  const customerId = $("unlock").dataset.customer;
  try {
    await api("POST", `/api/customers/${encodeURIComponent(customerId)}/unlock`);
    $("unlock-state").textContent = `Verification unlocked for ${customerId}.`;
  } catch (error) {
    $("unlock-state").textContent = error.message;
  }
}

function sendRating(event) {
  event.preventDefault();
  const had = $("rating-yes").checked;
  move("rating", { had_what_i_needed: had, missing: had ? null : $("rating-missing").value.trim() || null });
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); refreshQueue(); });
  for (const id of ["status-filter", "channel-filter", "reason-filter"]) $(id).addEventListener("change", refreshQueue);
  $("search").addEventListener("input", refreshQueue);
  $("bulk-close").addEventListener("click", bulkClose);
  $("claim").addEventListener("click", () => move("claim"));
  $("hand-back").addEventListener("click", () => move("hand_back"));
  $("close").addEventListener("click", () => move("close"));
  $("reply-form").addEventListener("submit", sendReply);
  $("rating").addEventListener("submit", sendRating);
  $("unlock").addEventListener("click", unlock);
  start();
});
