// Admin space: conversations between shoppers and vendors. Escalated ones first (the platform's
// queue: it may post there), then every conversation (it reads them all, and may join one with a
// reason). One open beside the lists (#/admin/messages?thread=<id>).

import { el, mount } from "../../dom.js";
import { conversation, threadList } from "../../messages.js";

export const messagesSection = {
  id: "messages",
  label: "Messages",
  render(panel, params) {
    const threadId = params && params.get("thread");
    const hrefOf = (t) => `#/admin/messages?thread=${encodeURIComponent(t.thread_id)}`;
    const escalated = threadList("admin", { query: { scope: "escalated" }, hrefOf, selected: threadId,
      testid: "admin-escalated-threads", empty: "No escalated conversation." });
    const all = threadList("admin", { query: { scope: "all" }, hrefOf, selected: threadId,
      testid: "admin-all-threads", empty: "No conversation yet." });
    const side = el("div", { class: "messages-main" });
    mount(panel, el("div", { class: "messages-layout", "data-testid": "admin-messages" },
      el("nav", { class: "messages-side", "aria-label": "Conversations" },
        el("h2", { text: "Escalated" }), escalated.node, el("h2", { text: "All conversations" }), all.node), side));
    if (!threadId) {
      mount(side, el("p", { class: "muted", text: "Choose a conversation." }));
      return {};
    }
    const open = conversation("admin", threadId, { onChange: () => { escalated.reload(); all.reload(); } });
    mount(side, open.node);
    return { cleanup: open.cleanup };
  },
};
