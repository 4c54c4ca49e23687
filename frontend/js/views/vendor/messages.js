// Vendor space: conversations with shoppers about the vendor's orders, returns and claims, unread
// ones marked; one open beside the list (#/vendor/messages?thread=<id>). A vendor's order, return or
// claim page starts (or reopens) the conversation with its shopper at
// #/vendor/messages?order=<id>[&case=<ret_/clm_ id>].

import { el, mount } from "../../dom.js";
import { composeAboutOrder, conversation, findThread, threadList } from "../../messages.js";
import { t } from "../../i18n.js";

export const messagesSection = {
  id: "messages",
  label: "Messages",
  render(panel, params) {
    const threadId = params && params.get("thread");
    const side = el("div", { class: "messages-main" });
    const list = threadList("vendor", { hrefOf: (thread) => `#/vendor/messages?thread=${encodeURIComponent(thread.thread_id)}`,
      selected: threadId, testid: "vendor-thread-list", empty: t("vendorMessages.empty") });
    mount(panel, el("div", { class: "messages-layout", "data-testid": "vendor-messages" },
      el("nav", { class: "messages-side", "aria-label": t("messages.conversations") }, list.node), side));
    const orderId = params && params.get("order");
    if (!threadId && orderId) {
      startAboutOrder(side, orderId, params.get("case"));
      return {};
    }
    if (!threadId) {
      mount(side, el("p", { class: "muted", text: t("messages.choose") }));
      return {};
    }
    const open = conversation("vendor", threadId, { onChange: list.reload });
    mount(side, open.node);
    return { cleanup: open.cleanup };
  },
};

async function startAboutOrder(side, orderId, caseId) {
  const existing = await findThread("vendor", orderId, null, caseId).catch(() => null);
  const open = (thread) => { window.location.hash = `#/vendor/messages?thread=${encodeURIComponent(thread.thread_id)}`; };
  if (existing) {
    open(existing);
    return;
  }
  mount(side, el("section", { class: "conversation", "data-testid": "compose" },
    el("h2", { text: t("vendorMessages.writeTo") }),
    el("p", { class: "muted", text: caseId ? t("vendorMessages.aboutCase", { case: caseId }) : t("vendorMessages.aboutOrder") }),
    composeAboutOrder("vendor", orderId, { caseId, onPosted: open })));
}
