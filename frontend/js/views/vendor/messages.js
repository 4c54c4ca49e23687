// Vendor space: conversations with shoppers about the vendor's orders, returns and claims, unread
// ones marked; one open beside the list (#/vendor/messages?thread=<id>).

import { el, mount } from "../../dom.js";
import { conversation, threadList } from "../../messages.js";

export const messagesSection = {
  id: "messages",
  label: "Messages",
  render(panel, params) {
    const threadId = params && params.get("thread");
    const side = el("div", { class: "messages-main" });
    const list = threadList("vendor", { hrefOf: (t) => `#/vendor/messages?thread=${encodeURIComponent(t.thread_id)}`,
      selected: threadId, testid: "vendor-thread-list", empty: "No shopper has written to you yet." });
    mount(panel, el("div", { class: "messages-layout", "data-testid": "vendor-messages" },
      el("nav", { class: "messages-side", "aria-label": "Conversations" }, list.node), side));
    if (!threadId) {
      mount(side, el("p", { class: "muted", text: "Choose a conversation." }));
      return {};
    }
    const open = conversation("vendor", threadId, { onChange: list.reload });
    mount(side, open.node);
    return { cleanup: open.cleanup };
  },
};
