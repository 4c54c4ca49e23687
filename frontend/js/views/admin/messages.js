// Admin space: conversations between shoppers and vendors. Escalated ones first (the platform's
// queue: it may post there), then every conversation (it reads them all, and may join one with a
// reason). One open beside the lists (#/admin/messages?thread=<id>).

import { el, mount } from "../../dom.js";
import { conversation, threadList } from "../../messages.js";
import { t } from "../../i18n.js";

export const messagesSection = {
  id: "messages",
  label: "Messages",
  render(panel, params) {
    const threadId = params && params.get("thread");
    const hrefOf = (thread) => `#/admin/messages?thread=${encodeURIComponent(thread.thread_id)}`;
    const escalated = threadList("admin", { query: { scope: "escalated" }, hrefOf, selected: threadId,
      testid: "admin-escalated-threads", empty: t("adminMessages.noEscalated") });
    const all = threadList("admin", { query: { scope: "all" }, hrefOf, selected: threadId,
      testid: "admin-all-threads", empty: t("messages.noConversation") });
    const side = el("div", { class: "messages-main" });
    mount(panel, el("div", { class: "messages-layout", "data-testid": "admin-messages" },
      el("nav", { class: "messages-side", "aria-label": t("messages.conversations") },
        el("h2", { text: t("adminMessages.escalated") }), escalated.node, el("h2", { text: t("adminMessages.all") }), all.node), side));
    if (!threadId) {
      mount(side, el("p", { class: "muted", text: t("messages.choose") }));
      return {};
    }
    const open = conversation("admin", threadId, { onChange: () => { escalated.reload(); all.reload(); } });
    mount(side, open.node);
    return { cleanup: open.cleanup };
  },
};
