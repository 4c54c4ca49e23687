// Vendor space: the vendor's returns queue (by state, the most urgent answer deadline first) with
// approve / reject (with a reason) / receive (restock or not; refunds the shopper by rule) / refund,
// and the vendor's return rules (window, restocking fee for a changed mind, auto-approval).

import { ApiError } from "../../api.js";
import { announce, el, mount } from "../../dom.js";
import { formatMoney, parseAmount, amountInputValue } from "../../money.js";
import { RETURN_REASONS, RETURN_STATES, reasonLabel, saveVendorReturnRules, vendorReturnRules, vendorReturnStep, vendorReturns } from "../../returns-api.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { signInHref } from "../guard.js";
import { returnBadge, returnTimeline } from "../order-returns.js";
import { formatDate } from "../orders.js";
import { t } from "../../i18n.js";
import { caseThreadLink } from "../case-links.js";

const FILTERS = [["", t("vendorReturns.all")], ["requested", t("vendorReturns.toAnswer")], ["approved", t("vendorReturns.approved")], ["shipped_back", t("vendorReturns.onWayBack")],
  ["received", t("vendorReturns.received")], ["refunded", t("vendorReturns.refundedF")], ["rejected", t("vendorReturns.rejected")], ["escalated", t("vendorReturns.escalated")]];

export const returnsSection = {
  id: "returns",
  label: t("vendorReturns.title"),
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "data-testid": "vendor-returns-status", "aria-live": "polite", text: t("vendorReturns.loading") });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "vendor-returns-error" });
    const list = el("div", { class: "vendor-returns", "data-testid": "vendor-returns" });
    const filter = el("select", { id: "vendor-returns-filter", name: "state", "data-testid": "vendor-returns-filter" },
      FILTERS.map(([value, text]) => el("option", { value, text })));
    const rules = el("details", { class: "space-panel return-rules", "data-testid": "return-rules" }, el("summary", { text: t("vendorReturns.rules") }));
    mount(panel, el("h2", { text: t("vendorReturns.title") }), rules,
      el("div", { class: "field" }, el("label", { for: "vendor-returns-filter", text: t("vendorReturns.show") }), filter),
      status, error, list);
    filter.addEventListener("change", load);
    rules.addEventListener("toggle", () => { if (rules.open && !rules.dataset.loaded) loadRules(); });
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      error.textContent = "";
      try {
        const page = await vendorReturns(filter.value ? { state: filter.value } : {}, { signal: controller.signal });
        mount(list, page.items.map(card));
        status.textContent = page.items.length ? t("vendorReturns.count", { count: page.items.length }) : t("vendorReturns.none");
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else error.textContent = err.message;
      }
    }

    function card(ret) {
      const node = el("article", { class: "space-panel vendor-return", "data-testid": "vendor-return", "data-return-id": ret.return_id });
      fill(node, ret);
      return node;
    }

    function fill(node, ret) {
      const allowed = new Set(ret.allowed_actions);
      const stepError = el("p", { class: "form-error", role: "alert", "data-testid": "vendor-return-error" });
      node.dataset.state = ret.state;
      const refund = ret.refund || ret.refund_estimate;
      mount(node,
        el("header", { class: "vendor-order-head" },
          el("h3", { text: `${t("order.order")} ${ret.order_number}` }), returnBadge(ret.state)),
        el("p", {}, ret.lines.map((l) => `${l.quantity} × ${l.title}`).join(", "), ` · ${reasonLabel(ret.reason)}`,
          ret.text ? el("q", { class: "return-text", text: ` ${ret.text}` }) : null),
        ret.state === "requested" ? el("p", { class: "return-deadline", "data-testid": "vendor-return-deadline",
          text: t("vendorReturns.answerBy", { date: formatDate(ret.answer_due_at) }) }) : null,
        ret.photos.length ? el("p", {}, ret.photos.map((url, i) => el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: `${t("vendorReturns.photo", { n: i + 1 })} ` }))) : null,
        ret.label_reference ? el("p", { text: t("vendorReturns.label", { reference: ret.label_reference }) }) : null,
        ret.tracking_number ? el("p", { text: t("vendorReturns.sentBack", { carrier: ret.carrier, tracking: ret.tracking_number }) }) : null,
        refund ? el("p", { "data-testid": "vendor-return-refund" }, ret.refund ? `${t("vendorReturns.refunded")} ` : `${t("vendorReturns.byRules")} `,
          el("strong", { text: formatMoney(refund) }),
          ret.restocking_fee && ret.restocking_fee.amount ? ` (${t("vendorReturns.restockingFee", { fee: formatMoney(ret.restocking_fee) })})` : "") : null,
        el("div", { class: "vendor-order-actions" },
          allowed.has("approve") ? stepButton(node, ret, "approve", t("vendorReturns.approve"), stepError) : null,
          allowed.has("reject") ? rejectForm(node, ret, stepError) : null,
          allowed.has("receive") ? receiveForm(node, ret, stepError) : null,
          allowed.has("refund") ? stepButton(node, ret, "refund", t("vendorReturns.refundRules"), stepError, {}) : null),
        stepError,
        caseThreadLink("vendor", { orderId: ret.order_id, vendorId: ret.vendor_id, caseId: ret.return_id, text: t("caseLinks.shopperAboutReturn") }),
        el("details", {}, el("summary", { text: t("vendorReturns.timeline") }), returnTimeline(ret)));
    }

    function stepButton(node, ret, step, text, stepError, body) {
      const button = el("button", { type: "button", class: "button", "data-testid": `vendor-return-${step}` }, text);
      button.addEventListener("click", () => act(node, stepError, button, () => vendorReturnStep(ret.return_id, step, body)));
      return button;
    }

    function rejectForm(node, ret, stepError) {
      const reason = el("input", { name: "reason", required: true, maxlength: 300, "data-testid": "vendor-return-reject-reason" });
      const submit = el("button", { type: "submit", class: "button button-quiet", "data-testid": "vendor-return-reject" }, t("vendorReturns.reject"));
      const form = el("form", { class: "inline-form", novalidate: true }, fieldWithError(reason, t("vendorReturns.rejectBecause")), submit);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        clearFieldErrors(form);
        act(node, stepError, submit, () => vendorReturnStep(ret.return_id, "reject", { reason: reason.value }), form);
      });
      return form;
    }

    function receiveForm(node, ret, stepError) {
      const restock = el("input", { type: "checkbox", name: "restock", checked: true, "data-testid": "vendor-return-restock" });
      const submit = el("button", { type: "submit", class: "button", "data-testid": "vendor-return-receive" }, t("vendorReturns.receivedRefund"));
      const form = el("form", { class: "inline-form", novalidate: true },
        el("label", {}, restock, " Put the units back on sale"), submit);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        act(node, stepError, submit, () => vendorReturnStep(ret.return_id, "receive", { restock: restock.checked, refund: true }), form);
      });
      return form;
    }

    async function act(node, stepError, button, call, form = null) {
      if (button) button.disabled = true;
      stepError.textContent = "";
      try {
        const fresh = await call();
        fill(node, fresh);
        announce(t("vendorReturns.announce", { state: (RETURN_STATES[fresh.state] || {}).label || fresh.state }));
      } catch (err) {
        if (button) button.disabled = false;
        if (form && err instanceof ApiError && err.fields) showFieldErrors(form, err.fields, stepError, err.message);
        else stepError.textContent = err.message;
      }
    }

    async function loadRules() {
      rules.dataset.loaded = "1";
      const formError = el("p", { class: "form-error", role: "alert" });
      try {
        const current = await vendorReturnRules({ signal: controller.signal });
        const number = (name, value, attrs) => el("input", { type: "number", name, value: String(value), ...attrs, "data-testid": `rules-${name}` });
        const below = el("input", { name: "auto_approve_below", inputmode: "decimal", "data-testid": "rules-auto_approve_below",
          value: current.auto_approve_below ? amountInputValue(current.auto_approve_below) : "" });
        const reasons = RETURN_REASONS.map(([value, text]) => el("label", { class: "check" },
          el("input", { type: "checkbox", name: "auto_approve_reasons", value, checked: current.auto_approve_reasons.includes(value) }), ` ${text}`));
        const submit = el("button", { type: "submit", class: "button" }, t("vendorReturns.saveRules"));
        const form = el("form", { class: "return-rules-form", novalidate: true, "data-testid": "return-rules-form" },
          fieldWithError(number("window_days", current.window_days, { min: 14, max: 365 }), t("vendorReturns.window")),
          fieldWithError(number("restocking_percent", current.restocking_percent, { min: 0, max: 50 }), t("vendorReturns.restocking")),
          el("fieldset", {}, el("legend", { text: t("vendorReturns.autoApprove") }), reasons),
          fieldWithError(below, "…or the refund is below (EUR, optional)"),
          formError, submit);
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          clearFieldErrors(form);
          formError.textContent = "";
          const data = new FormData(form);
          const amount = parseAmount(below.value);
          if (amount.error) { showFieldErrors(form, { auto_approve_below: amount.error }, formError); return; }
          try {
            await saveVendorReturnRules({ window_days: Number(data.get("window_days")), restocking_percent: Number(data.get("restocking_percent")),
              auto_approve_reasons: data.getAll("auto_approve_reasons"), auto_approve_below: amount.value });
            announce(t("vendorReturns.rulesSaved"));
            formError.textContent = t("vendorReturns.saved");
          } catch (err) {
            if (err instanceof ApiError && err.fields) showFieldErrors(form, err.fields, formError, err.message);
            else formError.textContent = err.message;
          }
        });
        rules.append(form);
      } catch (err) {
        if (err.name !== "AbortError") rules.append(el("p", { class: "form-error", role: "alert", text: err.message }));
      }
    }
  },
};
