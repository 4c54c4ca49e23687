// Buyer-vendor messages: the API calls of the three sides and the thread UI they share (a list of
// conversations with unread counts, one conversation with its messages and a reply box), plus the
// header's "Messages" link with its unread badge. The shopper's page is js/views/messages.js, the
// vendor's and admin's are sections (js/views/vendor/messages.js, js/views/admin/messages.js).
// Message text is shown with textContent only; e-mail addresses and phone numbers arrive masked.

import { ApiError, request } from "./api.js";
import { announce, el, mount, uniqueId } from "./dom.js";
import { isShopper } from "./cart-state.js";
import { getSession } from "./session.js";
import { formatDateTime, t } from "./i18n.js";

const PREFIX = { shopper: "", vendor: "/vendor", admin: "/admin" };
const REFRESH_EVERY_MS = 15000;
const AUTHOR_LABEL = { shopper: t("messages.shopper"), vendor: t("product.col.vendor"), admin: t("messages.support") };

export function messagesApi(role) {
  const base = `${PREFIX[role]}/messages`;
  const thread = (id) => `${base}/threads/${encodeURIComponent(id)}`;
  return {
    threads: (query, options) => request("GET", `${base}/threads`, { ...options, auth: true, query }),
    unread: (options) => request("GET", `${base}/unread-count`, { ...options, auth: true }),
    thread: (id, options) => request("GET", thread(id), { ...options, auth: true }),
    reply: (id, text, clientId) => request("POST", thread(id), { auth: true, body: { text, client_message_id: clientId } }),
    read: (id) => request("POST", `${thread(id)}/read`, { auth: true }),
    join: (id, reason) => request("POST", `${thread(id)}/join`, { auth: true, body: { reason } }),
    writeAboutOrder: (orderId, body) => request("POST", `${PREFIX[role]}/orders/${encodeURIComponent(orderId)}/messages`, { auth: true, body }),
  };
}

export function newClientId() {
  return crypto.randomUUID();
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : formatDateTime(date);
}

function threadTitle(thread, role) {
  const who = role === "vendor" ? t("messages.shopper") : thread.vendor_name || thread.vendor_id;
  const about = thread.case_id ? t(thread.case_id.startsWith("ret_") ? "messages.returnOnOrder" : "messages.claimOnOrder") : t("order.order");
  return role === "admin"
    ? `${about} ${thread.order_number || thread.order_id} · ${thread.vendor_name || thread.vendor_id}`
    : `${who} · ${about} ${thread.order_number || thread.order_id}`;
}

// --- the header link ---------------------------------------------------------------------------

const badgeListeners = new Set();
const BADGE_EVERY_MS = 30000;
window.setInterval(() => refreshMessagesBadge(), BADGE_EVERY_MS);

/** Ask every badge on the page to count again (after reading or posting). */
export function refreshMessagesBadge() {
  for (const listener of badgeListeners) listener();
}

const INBOX_PAGE = { shopper: "#/messages", vendor: "#/vendor/messages", admin: "#/admin/messages" };

/** "Messages" with the unread count: a shopper's, a vendor's, or the platform's escalated ones for an admin. */
export function messagesLink(session = getSession()) {
  if (!session || !session.user) return null;
  const roles = session.user.roles || [];
  const role = roles.includes("vendor") ? "vendor" : roles.includes("admin") ? "admin" : isShopper(session) ? "shopper" : null;
  if (!role) return null;
  const count = el("span", { class: "messages-count", "data-testid": "messages-unread", hidden: true });
  // Named by its visible words ("Messages 1"), "unread" said to screen readers only (WCAG 2.5.3).
  const unreadWord = el("span", { class: "visually-hidden", hidden: true });
  const link = el("a", { class: "button button-quiet messages-link", href: INBOX_PAGE[role], "data-testid": "messages-link" },
    t("messages.title"), count, unreadWord);
  const api = messagesApi(role);
  const update = async () => {
    if (!link.isConnected) { // the header was drawn again: this link is gone
      badgeListeners.delete(update);
      return;
    }
    try {
      const { unread } = await api.unread();
      count.textContent = String(unread);
      count.hidden = unread === 0;
      unreadWord.hidden = unread === 0;
      unreadWord.textContent = ` ${t("app.unread", { count: unread })}`;
    } catch { /* the link works without its count */ }
  };
  badgeListeners.add(update);
  window.setTimeout(update, 0); // once the header has mounted it
  return link;
}

// --- a list of conversations -------------------------------------------------------------------

/**
 * The conversations of `role`, latest activity first. `query` adds parameters (the admin's scope);
 * `hrefOf(thread)` is where a conversation opens.
 */
export function threadList(role, { query = {}, hrefOf, empty = t("messages.noConversation"), testid = "thread-list", selected = null }) {
  const api = messagesApi(role);
  const list = el("ul", { class: "thread-list", "data-testid": testid });
  const status = el("p", { class: "result-status", "aria-live": "polite", text: t("messages.loadingList") });
  const more = el("button", { type: "button", class: "button button-quiet", hidden: true, onclick: () => load(cursor) }, t("messages.more"));
  let cursor = null;

  async function load(from = null) {
    try {
      const page = await api.threads({ ...query, cursor: from, limit: 20 });
      if (!from) list.replaceChildren();
      for (const thread of page.items) list.append(threadRow(thread));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      status.textContent = list.children.length ? "" : empty;
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : t("messages.listError");
    }
    status.hidden = !status.textContent;
  }

  function threadRow(thread) {
    return el("li", { class: `thread-row${thread.unread ? " thread-unread" : ""}`, "data-testid": "thread-row", "data-thread-id": thread.thread_id, "aria-current": selected === thread.thread_id ? "true" : null },
      el("a", { href: hrefOf(thread), class: "thread-link" },
        el("span", { class: "thread-title", "data-testid": "thread-title", text: threadTitle(thread, role) }),
        thread.escalated ? el("span", { class: "badge badge-warn", "data-testid": "thread-escalated", text: t("messages.platformJoined") }) : null,
        thread.unread ? el("span", { class: "messages-count", "data-testid": "thread-unread", text: String(thread.unread) }) : null),
      el("p", { class: "thread-excerpt muted" },
        el("span", { "data-testid": "thread-excerpt", text: thread.last_excerpt || t("messages.noMessage") }),
        thread.last_message_at ? ` · ${when(thread.last_message_at)}` : ""));
  }

  load();
  return { node: el("div", { class: "thread-list-box" }, status, list, more), reload: () => load() };
}

// --- one conversation --------------------------------------------------------------------------

/** One conversation: messages, read state, the reply box (or "Join" for the platform). Returns {node, cleanup}. */
export function conversation(role, threadId, { onChange } = {}) {
  const api = messagesApi(role);
  const box = el("section", { class: "conversation", "data-testid": "conversation", "data-thread-id": threadId, "aria-live": "polite" },
    el("p", { class: "result-status", text: t("messages.loadingOne") }));
  let timer = null;
  let stopped = false;
  let clientId = newClientId(); // one per message being written: a double click posts it once
  let seen = -1;
  let draft = "";

  async function load() {
    window.clearTimeout(timer);
    try {
      const thread = await api.thread(threadId);
      if (thread.message_count !== seen) render(thread);
      if (thread.unread) {
        await api.read(threadId);
        refreshMessagesBadge();
        if (onChange) onChange();
      }
    } catch (err) {
      mount(box, el("p", { class: "form-error", role: "alert", "data-testid": "conversation-error",
        text: err instanceof ApiError && err.status === 404 ? t("messages.noSuch") : err.message }));
      return;
    }
    if (!stopped) timer = window.setTimeout(load, REFRESH_EVERY_MS);
  }

  function render(thread) {
    seen = thread.message_count;
    const area = box.querySelector("textarea");
    if (area) draft = area.value;
    const messages = el("ol", { class: "message-list", "data-testid": "message-list" },
      thread.messages.map((m) => el("li", { class: `message message-${m.author_role}${m.mine ? " message-mine" : ""}`, "data-testid": "message", "data-author": m.author_role },
        el("p", { class: "message-meta muted" }, m.mine ? t("messages.you") : AUTHOR_LABEL[m.author_role] || m.author_role, ` · ${when(m.sent_at)}`,
          m.mine && otherRead(thread, role) >= m.seq ? el("span", { class: "message-read", "data-testid": "message-read", text: ` · ${t("messages.read")}` }) : null),
        el("p", { class: "message-text", "data-testid": "message-text", text: m.text }))));
    mount(box,
      el("h2", { "data-testid": "conversation-title", text: threadTitle(thread, role) }),
      thread.escalated ? el("p", { class: "notice", "data-testid": "conversation-escalated",
        text: thread.escalation_reason ? t("messages.joinedWhy", { reason: thread.escalation_reason }) : t("messages.joined") }) : null,
      thread.messages.length ? messages : el("p", { class: "muted", text: t("messages.noMessageDot") }),
      thread.can_post ? replyForm(thread) : role === "admin" ? joinForm(thread) : null);
    const newArea = box.querySelector("textarea");
    if (newArea && draft) newArea.value = draft;
  }

  function replyForm() {
    const id = uniqueId("reply");
    const text = el("textarea", { id, name: "text", rows: 3, maxlength: 4000, required: true, "data-testid": "reply-text" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "reply-error" });
    const send = el("button", { type: "submit", class: "button", "data-testid": "reply-send" }, t("messages.send"));
    return el("form", { class: "reply-form", novalidate: true, "data-testid": "reply-form", onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = "";
      if (!text.value.trim()) {
        error.textContent = t("messages.writeFirst");
        text.focus();
        return;
      }
      send.disabled = true;
      try {
        await api.reply(threadId, text.value, clientId);
        clientId = newClientId();
        draft = "";
        text.value = "";
        announce(t("messages.sent"));
        await load();
        if (onChange) onChange();
      } catch (err) {
        error.textContent = err.message;
      } finally {
        send.disabled = false;
      }
    } },
    el("label", { for: id, text: t("messages.yourMessage") }), text,
    el("p", { class: "field-hint", text: t("messages.hidden") }),
    error, send);
  }

  function joinForm(thread) {
    const id = uniqueId("join");
    const reason = el("input", { id, name: "reason", type: "text", maxlength: 500, required: true, "data-testid": "join-reason" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "join-error" });
    return el("form", { class: "reply-form", novalidate: true, "data-testid": "join-form", onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        await api.join(thread.thread_id, reason.value);
        seen = -1;
        await load();
        if (onChange) onChange();
      } catch (err) {
        error.textContent = (err.fields && err.fields.reason) ? t("messages.reason", { reason: err.fields.reason }) : err.message;
      }
    } },
    el("p", { class: "muted", text: t("messages.platformReads") }),
    el("label", { for: id, text: t("messages.whyJoin") }), reason, error,
    el("button", { type: "submit", class: "button", "data-testid": "join-send" }, t("messages.join")));
  }

  load();
  return { node: box, cleanup: () => { stopped = true; window.clearTimeout(timer); } };
}

function otherRead(thread, role) {
  const read = thread.read_up_to || {};
  return role === "vendor" ? read.shopper || 0 : read.vendor || 0;
}

// --- the first message about an order ----------------------------------------------------------

/** The caller's conversation about (order, vendor, case), if it exists (vendorId null: the vendor's own). */
export async function findThread(role, orderId, vendorId, caseId) {
  const api = messagesApi(role);
  let cursor = null;
  for (let page = 0; page < 5; page += 1) {
    const found = await api.threads({ limit: 50, cursor });
    const match = found.items.find((t) => t.order_id === orderId
      && (!vendorId || t.vendor_id === vendorId) && (t.case_id || null) === (caseId || null));
    if (match || !found.next_cursor) return match || null;
    cursor = found.next_cursor;
  }
  return null;
}

/** A form writing the first (or next) message to `vendorId` about an order; `onPosted(thread)` after. */
export function composeAboutOrder(role, orderId, { vendorId = null, caseId = null, onPosted }) {
  const api = messagesApi(role);
  const id = uniqueId("compose");
  const text = el("textarea", { id, name: "text", rows: 4, maxlength: 4000, required: true, "data-testid": "compose-text" });
  const error = el("p", { class: "form-error", role: "alert", "data-testid": "compose-error" });
  const send = el("button", { type: "submit", class: "button", "data-testid": "compose-send" }, t("messages.send"));
  let clientId = newClientId();
  return el("form", { class: "reply-form", novalidate: true, "data-testid": "compose-form", onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!text.value.trim()) {
      error.textContent = t("messages.writeFirst");
      text.focus();
      return;
    }
    send.disabled = true;
    try {
      const body = { text: text.value, client_message_id: clientId };
      if (vendorId) body.vendor_id = vendorId;
      if (caseId) body.case_id = caseId;
      const posted = await api.writeAboutOrder(orderId, body);
      clientId = newClientId();
      announce(t("messages.sent"));
      onPosted(posted.thread);
    } catch (err) {
      error.textContent = err.message;
      send.disabled = false;
    }
  } },
  el("label", { for: id, text: t("messages.yourMessage") }), text,
  el("p", { class: "field-hint", text: t("messages.hidden") }),
  error, send);
}

/** The order page's t("messages.contact") link (paid orders only). */
export function contactVendorLink(order, group) {
  if (!order || order.status !== "paid") return null;
  const href = `#/messages?order=${encodeURIComponent(order.order_id)}&vendor=${encodeURIComponent(group.vendor_id)}`;
  return el("a", { class: "button button-quiet contact-vendor", href, "data-testid": "contact-vendor" }, t("messages.contact"));
}
