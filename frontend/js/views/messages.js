// The shopper's messages (#/messages): their conversations with vendors, one open beside the list
// (#/messages?thread=<id>), and the first message to a vendor about an order, reached from the
// order page's "Contact the vendor" (#/messages?order=<id>&vendor=<vendor id>[&case=<ret_/clm_ id>]:
// a return or claim page links here with its case id).

import { el, mount } from "../dom.js";
import { composeAboutOrder, conversation, findThread, threadList } from "../messages.js";
import { vendorLabel } from "../vendors.js";
import { requireShopper } from "./guard.js";
import { t } from "../i18n.js";

export function renderMessages(main, params) {
  if (!requireShopper(main, { view: "messages", title: t("messages.title"), what: t("messages.what") })) return {};
  document.title = t("messages.pageTitle");
  const threadId = params.get("thread");
  const orderId = params.get("order");
  const vendorId = params.get("vendor");
  const caseId = params.get("case");
  const side = el("div", { class: "messages-main" });
  const list = threadList("shopper", { hrefOf: (thread) => `#/messages?thread=${encodeURIComponent(thread.thread_id)}`, selected: threadId,
    empty: t("messages.emptyShopper") });
  mount(main, el("section", { class: "messages-page", "data-view": "messages" },
    el("h1", { text: t("messages.title") }),
    el("div", { class: "messages-layout" }, el("nav", { class: "messages-side", "aria-label": t("messages.conversations") }, list.node), side)));
  let open = null;
  if (threadId) {
    open = conversation("shopper", threadId, { onChange: list.reload });
    mount(side, open.node);
  } else if (orderId && vendorId) {
    startAboutOrder(side, orderId, vendorId, caseId);
  } else {
    mount(side, el("p", { class: "muted", text: t("messages.choose") }));
  }
  return { cleanup: () => open && open.cleanup() };
}

/** Opens the existing conversation with this vendor about this order, else offers to start it. */
async function startAboutOrder(side, orderId, vendorId, caseId) {
  const existing = await findThread("shopper", orderId, vendorId, caseId).catch(() => null);
  if (existing) {
    window.location.hash = `#/messages?thread=${encodeURIComponent(existing.thread_id)}`;
    return;
  }
  mount(side, el("section", { class: "conversation", "data-testid": "compose" },
    el("h2", { text: t("messages.writeTo", { vendor: vendorLabel(vendorId) }) }),
    el("p", { class: "muted" }, caseId ? `${t("messages.aboutCase", { case: caseId })} ` : `${t("messages.aboutOrder")} `,
      el("a", { href: `#/orders/${encodeURIComponent(orderId)}`, text: t("messages.seeOrder") }), "."),
    composeAboutOrder("shopper", orderId, { vendorId, caseId,
      onPosted: (thread) => { window.location.hash = `#/messages?thread=${encodeURIComponent(thread.thread_id)}`; } })));
}
