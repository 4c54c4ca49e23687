// Admin space: returns waiting for the platform. "Escalated": the vendor did not answer in time,
// the platform approves or rejects (with a reason); t("adminReturns.refundFailed"): the refund could not complete
// (resolved from the Refunds section); received returns of an escalated case are refunded here.

import { ApiError } from "../../api.js";
import { announce, el, mount } from "../../dom.js";
import { formatMoney } from "../../money.js";
import { RETURN_STATES, adminReturnStep, adminReturns, reasonLabel } from "../../returns-api.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { signInHref } from "../guard.js";
import { returnBadge, returnTimeline } from "../order-returns.js";
import { formatDate } from "../orders.js";
import { t } from "../../i18n.js";
import { caseThreadLink } from "../case-links.js";

const QUEUES = [["escalated", t("adminReturns.escalated")], ["refund_failed", t("adminReturns.refundFailed")]];

export const returnsSection = {
  id: "returns",
  label: "Returns",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "data-testid": "admin-returns-status", "aria-live": "polite", text: t("adminReturns.loading") });
    const error = el("p", { class: "form-error", role: "alert" });
    const list = el("div", { "data-testid": "admin-returns" });
    const queue = el("select", { id: "admin-returns-queue", name: "state", "data-testid": "admin-returns-queue" },
      QUEUES.map(([value, text]) => el("option", { value, text })));
    mount(panel, el("h2", { text: t("adminReturns.title") }),
      el("div", { class: "field" }, el("label", { for: "admin-returns-queue", text: t("adminReturns.queue") }), queue), status, error, list);
    queue.addEventListener("change", load);
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      error.textContent = "";
      try {
        const page = await adminReturns({ state: queue.value }, { signal: controller.signal });
        mount(list, page.items.map(card));
        status.textContent = page.items.length ? t("adminReturns.waiting", { count: page.items.length }) : t("adminReturns.nothing");
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else error.textContent = err.message;
      }
    }

    function card(ret) {
      const node = el("article", { class: "space-panel admin-return", "data-testid": "admin-return", "data-return-id": ret.return_id });
      fill(node, ret);
      return node;
    }

    function fill(node, ret) {
      const allowed = new Set(ret.allowed_actions);
      const stepError = el("p", { class: "form-error", role: "alert" });
      const reason = el("input", { name: "reason", required: true, maxlength: 300, "data-testid": "admin-return-reject-reason" });
      const reject = el("form", { class: "inline-form", novalidate: true }, fieldWithError(reason, t("adminReturns.rejectBecause")),
        el("button", { type: "submit", class: "button button-quiet", "data-testid": "admin-return-reject" }, t("adminReturns.reject")));
      reject.addEventListener("submit", (event) => {
        event.preventDefault();
        clearFieldErrors(reject);
        act(node, stepError, () => adminReturnStep(ret.return_id, "reject", { reason: reason.value }), reject);
      });
      const button = (step, text) => el("button", { type: "button", class: "button", "data-testid": `admin-return-${step}`,
        onclick: () => act(node, stepError, () => adminReturnStep(ret.return_id, step, step === "refund" ? {} : undefined)) }, text);
      const refund = ret.refund || ret.refund_estimate;
      node.dataset.state = ret.state;
      mount(node,
        el("header", { class: "vendor-order-head" }, el("h3", { text: `${t("order.order")} ${ret.order_number} · ${ret.vendor_name || ret.vendor_id}` }), returnBadge(ret.state)),
        el("p", {}, ret.lines.map((l) => `${l.quantity} × ${l.title}`).join(", "), ` · ${reasonLabel(ret.reason)}`, ret.text ? ` — ${ret.text}` : ""),
        el("p", { class: "muted", text: t("adminReturns.asked", { asked: formatDate(ret.requested_at), due: formatDate(ret.answer_due_at) }) }),
        refund ? el("p", {}, `${t("adminReturns.refund")} `, el("strong", { text: formatMoney(refund) })) : null,
        el("div", { class: "vendor-order-actions" },
          allowed.has("approve") ? button("approve", t("adminReturns.approve")) : null,
          allowed.has("reject") ? reject : null,
          allowed.has("refund") ? button("refund", t("adminReturns.refundRules")) : null),
        stepError,
        caseThreadLink("admin", { orderId: ret.order_id, vendorId: ret.vendor_id, caseId: ret.return_id, text: t("caseLinks.returnConversation") }),
        el("details", {}, el("summary", { text: t("adminReturns.timeline") }), returnTimeline(ret)));
    }

    async function act(node, stepError, call, form = null) {
      stepError.textContent = "";
      try {
        const fresh = await call();
        fill(node, fresh);
        announce(t("vendorReturns.announce", { state: (RETURN_STATES[fresh.state] || {}).label || fresh.state }));
      } catch (err) {
        if (form && err instanceof ApiError && err.fields) showFieldErrors(form, err.fields, stepError, err.message);
        else stepError.textContent = err.message;
      }
    }
  },
};
