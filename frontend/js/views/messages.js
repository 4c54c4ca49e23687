// The shopper's messages (#/messages): their conversations with vendors, one open beside the list
// (#/messages?thread=<id>), and the first message to a vendor about an order, reached from the
// order page's "Contact the vendor" (#/messages?order=<id>&vendor=<vendor id>).

import { el, mount } from "../dom.js";
import { composeAboutOrder, conversation, messagesApi, threadList } from "../messages.js";
import { vendorLabel } from "../vendors.js";
import { requireShopper } from "./guard.js";

export function renderMessages(main, params) {
  if (!requireShopper(main, { view: "messages", title: "Messages", what: "messages" })) return {};
  document.title = "Messages · Halles";
  const threadId = params.get("thread");
  const orderId = params.get("order");
  const vendorId = params.get("vendor");
  const side = el("div", { class: "messages-main" });
  const list = threadList("shopper", { hrefOf: (t) => `#/messages?thread=${encodeURIComponent(t.thread_id)}`, selected: threadId,
    empty: "No conversation yet. Write to a vendor from one of your orders." });
  mount(main, el("section", { class: "messages-page", "data-view": "messages" },
    el("h1", { text: "Messages" }),
    el("div", { class: "messages-layout" }, el("nav", { class: "messages-side", "aria-label": "Conversations" }, list.node), side)));
  let open = null;
  if (threadId) {
    open = conversation("shopper", threadId, { onChange: list.reload });
    mount(side, open.node);
  } else if (orderId && vendorId) {
    startAboutOrder(side, orderId, vendorId);
  } else {
    mount(side, el("p", { class: "muted", text: "Choose a conversation." }));
  }
  return { cleanup: () => open && open.cleanup() };
}

/** Opens the existing conversation with this vendor about this order, else offers to start it. */
async function startAboutOrder(side, orderId, vendorId) {
  const existing = await findThread(orderId, vendorId).catch(() => null);
  if (existing) {
    window.location.hash = `#/messages?thread=${encodeURIComponent(existing.thread_id)}`;
    return;
  }
  mount(side, el("section", { class: "conversation", "data-testid": "compose" },
    el("h2", { text: `Write to ${vendorLabel(vendorId)}` }),
    el("p", { class: "muted" }, "About your order ", el("a", { href: `#/orders/${encodeURIComponent(orderId)}`, text: "(see the order)" }), "."),
    composeAboutOrder("shopper", orderId, { vendorId,
      onPosted: (thread) => { window.location.hash = `#/messages?thread=${encodeURIComponent(thread.thread_id)}`; } })));
}

async function findThread(orderId, vendorId) {
  const api = messagesApi("shopper");
  let cursor = null;
  for (let page = 0; page < 5; page += 1) {
    const found = await api.threads({ limit: 50, cursor });
    const match = found.items.find((t) => t.order_id === orderId && t.vendor_id === vendorId && !t.case_id);
    if (match || !found.next_cursor) return match || null;
    cursor = found.next_cursor;
  }
  return null;
}
