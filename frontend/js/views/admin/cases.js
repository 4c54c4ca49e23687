// Admin space: claims and disputes, the nearest deadline first, a page at a time ("More" reads the next one
// with the cursor the last page gave). An escalated claim is decided here (refund of chosen units,
// replacement, rejection with a reason); a dispute gets the platform's evidence, saved or submitted to the
// bank through the payment provider.

import { ApiError } from "../../api.js";
import { announce, el, mount } from "../../dom.js";
import { REASONS, claimStateLabel, claimsApi, decisionText } from "../../claims.js";
import { formatMoney } from "../../money.js";
import { caseHistory, decisionForm } from "../claim-forms.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { signInHref } from "../guard.js";
import { formatDate } from "../orders.js";
import { t } from "../../i18n.js";
import { caseThreadLink } from "../case-links.js";

const KINDS = [["all", t("cases.claimsAndDisputes")], ["claim", t("cases.claims")], ["dispute", t("cases.disputes")]];
const STATES = [["open", t("cases.open")], ["escalated", t("cases.waiting")], ["closed", t("cases.closed")], ["all", t("cases.all")]];
const EVIDENCE = [["product_description", t("cases.productDescription")], ["customer_communication", t("cases.communication")],
  ["shipping_carrier", t("cases.carrier")], ["shipping_tracking_number", t("cases.tracking")], ["shipping_date", t("cases.shippingDate")],
  ["uncategorized_text", t("cases.otherEvidence")]];

export const casesSection = {
  id: "cases",
  label: "Cases",
  render(panel) {
    const controller = new AbortController();
    const kind = el("select", { name: "kind", id: "cases-kind", "data-testid": "cases-kind" }, KINDS.map(([value, text]) => el("option", { value, text })));
    const state = el("select", { name: "state", id: "cases-state", "data-testid": "cases-state" }, STATES.map(([value, text]) => el("option", { value, text })));
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "cases-status", text: t("cases.loading") });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "cases-error" });
    const list = el("div", { class: "claims-list", "data-testid": "cases" });
    const more = el("button", { type: "button", class: "button button-quiet", "data-testid": "cases-more", hidden: true }, t("cases.more"));
    let cursor = null;
    let listing = 0; // the filters' generation: a page asked for before they changed is dropped
    mount(panel, el("h2", { text: t("cases.claimsAndDisputes") }),
      el("div", { class: "cases-filters" },
        el("div", { class: "field" }, el("label", { for: "cases-kind", text: t("cases.show") }), kind),
        el("div", { class: "field" }, el("label", { for: "cases-state", text: t("cases.state") }), state)),
      status, error, list, more);
    kind.addEventListener("change", load);
    state.addEventListener("change", load);
    more.addEventListener("click", () => loadPage({ append: true }));
    load();
    return { cleanup: () => controller.abort() };

    function load() {
      cursor = null;
      listing += 1;
      return loadPage({ append: false });
    }

    async function loadPage({ append }) {
      const asked = listing;
      error.textContent = "";
      more.disabled = true;
      try {
        const page = await claimsApi.adminCases({ kind: kind.value, state: state.value, limit: 50, cursor: append ? cursor : null }, { signal: controller.signal });
        if (asked !== listing) return;
        const cards = page.items.map((item) => (item.kind === "dispute" ? disputeCase(item) : claimCase(item)));
        if (append) {
          list.append(...cards);
          cards[0]?.querySelector("strong")?.setAttribute("tabindex", "-1");
          cards[0]?.querySelector("strong")?.focus(); // keyboard users land on the first new case
        } else {
          mount(list, cards);
        }
        cursor = page.next_cursor;
        more.hidden = !cursor;
        const count = list.querySelectorAll('[data-testid="case"]').length;
        status.textContent = count ? t("cases.count", { count }) : t("cases.none");
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else error.textContent = err.message;
      } finally {
        more.disabled = false;
      }
    }

    function claimCase(claim) {
      return el("article", { class: "claim-card", "data-testid": "case", "data-case-id": claim.case_id, "data-kind": "claim", "data-state": claim.state },
        el("header", { class: "claim-head" },
          el("strong", { text: t("cases.claimTitle", { reason: REASONS[claim.reason] || claim.reason, order: claim.order_number || claim.order_id, vendor: claim.vendor_name || claim.vendor_id }) }),
          el("span", { class: `status-badge status-${claim.state === "resolved" ? "ok" : "pending"}`, "data-testid": "case-state", text: claimStateLabel(claim.state) })),
        claim.text ? el("p", { class: "claim-text", text: claim.text }) : null,
        claim.deadline ? el("p", { class: "claim-deadline", text: t("cases.answerDue", { date: formatDate(claim.deadline) }) }) : null,
        claim.answer ? el("p", { text: t("cases.vendorProposed", { decision: decisionText(claim.answer, claim.currency) }) }) : null,
        claim.resolution ? el("p", { "data-testid": "case-resolution", text: `${t("claims.decision")} ${decisionText(claim.resolution, claim.currency)}` }) : null,
        caseHistory(claim.history, { audience: "admin" }),
        caseThreadLink("admin", { orderId: claim.order_id, vendorId: claim.vendor_id, caseId: claim.case_id, text: t("caseLinks.claimConversation") }),
        (claim.allowed_actions || []).includes("resolve") ? decisionForm(claim, {
          send: (body) => claimsApi.resolve(claim.case_id, body), done: () => { announce(t("cases.resolved")); load(); },
          submitText: t("cases.decide"), testid: "case-resolve" }) : null);
    }

    function disputeCase(dispute) {
      const open = ["needs_response", "under_review", "warning_needs_response", "warning_under_review"].includes(dispute.status);
      return el("article", { class: "claim-card", "data-testid": "case", "data-case-id": dispute.case_id, "data-kind": "dispute", "data-state": dispute.status },
        el("header", { class: "claim-head" },
          el("strong", { text: t("cases.disputeTitle", { order: dispute.order_number || dispute.order_id, vendors: (dispute.vendors || []).map((v) => v.vendor_name || v.vendor_id).join(", ") }) }),
          el("span", { class: `status-badge status-${open ? "pending" : dispute.status === "won" ? "ok" : "bad"}`, "data-testid": "case-state", text: dispute.status.replaceAll("_", " ") })),
        el("p", { text: t("vendorClaims.disputeAmount", { amount: formatMoney(dispute.amount), reason: (dispute.reason || "unknown").replaceAll("_", " ") }) }),
        dispute.deadline ? el("p", { class: "claim-deadline", "data-testid": "case-deadline", text: t("cases.evidenceDue", { date: formatDate(dispute.deadline) }) }) : null,
        caseHistory(dispute.history, { audience: "admin" }),
        open ? evidenceForm(dispute) : null);
    }

    function evidenceForm(dispute) {
      const inputs = Object.fromEntries(EVIDENCE.map(([name]) => [name, el("textarea", { name, rows: "2", "data-testid": `evidence-${name}` })]));
      const submit = el("input", { type: "checkbox", name: "submit", "data-testid": "evidence-submit-now" });
      const error = el("p", { class: "form-error", role: "alert", "data-testid": "evidence-error" });
      const form = el("form", { class: "claim-evidence", "data-testid": "evidence-form", novalidate: true },
        el("h3", { text: t("cases.evidence") }),
        EVIDENCE.map(([name, label]) => fieldWithError(inputs[name], label)),
        el("label", { class: "checkbox" }, submit, " Submit to the bank now (final)"),
        error, el("button", { type: "submit", class: "button", "data-testid": "evidence-send" }, t("cases.send")));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        clearFieldErrors(form);
        error.textContent = "";
        const body = { submit: submit.checked };
        for (const [name, input] of Object.entries(inputs)) if (input.value.trim()) body[name] = input.value.trim();
        try {
          const answer = await claimsApi.evidence(dispute.case_id, body);
          announce(answer.submitted ? t("cases.submitted", { status: answer.status.replaceAll("_", " ") }) : t("cases.saved"));
          load();
        } catch (err) {
          if (err instanceof ApiError) showFieldErrors(form, err.fields, error, err.message);
          else error.textContent = err.message;
        }
      });
      return form;
    }
  },
};
