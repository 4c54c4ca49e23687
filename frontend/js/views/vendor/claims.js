// Vendor space: claims shoppers opened on your sub-orders (answer before the deadline: propose a refund of
// chosen units, a replacement, or reject with a reason; ship a replacement once decided) and the disputes
// on your orders (your payout for that order is held while one is open), open ones first.

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

export const claimsSection = {
  id: "claims",
  label: "Claims",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "vendor-claims-status", text: t("vendorClaims.loading") });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "vendor-claims-error" });
    const list = el("div", { class: "claims-list", "data-testid": "vendor-claims" });
    mount(panel, el("h2", { text: t("vendorClaims.title") }),
      el("p", { class: "field-hint", text: t("vendorClaims.hint") }),
      status, error, list);
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      try {
        const page = await claimsApi.vendorClaims({}, { signal: controller.signal });
        mount(list, page.items.map((item) => (item.kind === "dispute" ? disputeCard(item) : claimCard(item))));
        status.textContent = page.items.length ? "" : t("vendorClaims.none");
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else error.textContent = err.message;
      }
    }

    function claimCard(claim) {
      const actions = claim.allowed_actions || [];
      const done = (message) => () => { announce(message); load(); };
      return el("article", { class: "claim-card", "data-testid": "vendor-claim", "data-claim-id": claim.case_id, "data-state": claim.state },
        el("header", { class: "claim-head" },
          el("strong", { text: `${REASONS[claim.reason] || claim.reason} · order ${claim.order_number || claim.order_id}` }),
          el("span", { class: `status-badge status-${claim.state === "resolved" ? "ok" : "pending"}`, "data-testid": "vendor-claim-state", text: claimStateLabel(claim.state) })),
        claim.text ? el("p", { class: "claim-text", text: claim.text }) : null,
        claim.deadline ? el("p", { class: "claim-deadline", "data-testid": "vendor-claim-deadline", text: t("vendorClaims.answerBy", { date: formatDate(claim.deadline) }) }) : null,
        claim.answer ? el("p", { text: t("vendorClaims.yourProposal", { decision: decisionText(claim.answer, claim.currency) }) }) : null,
        claim.resolution ? el("p", { "data-testid": "vendor-claim-resolution", text: `${t("claims.decision")} ${decisionText(claim.resolution, claim.currency)}` }) : null,
        caseHistory(claim.history, { audience: "vendor" }),
        caseThreadLink("vendor", { orderId: claim.order_id, vendorId: claim.vendor_id, caseId: claim.case_id, text: t("caseLinks.shopperAboutClaim") }),
        actions.includes("answer") ? decisionForm(claim, { send: (body) => claimsApi.answer(claim.case_id, body), done: done(t("vendorClaims.answerSent")),
          submitText: t("vendorClaims.sendAnswer"), testid: "vendor-answer" }) : null,
        actions.includes("ship_replacement") ? replacementForm(claim, done(t("vendorClaims.replacementShipped"))) : null);
    }
  },
};

function replacementForm(claim, done) {
  const inputs = {
    carrier: el("input", { name: "carrier", maxlength: "60", "data-testid": "replacement-carrier" }),
    tracking_number: el("input", { name: "tracking_number", maxlength: "80", "data-testid": "replacement-tracking" }),
    tracking_url: el("input", { name: "tracking_url", type: "url", maxlength: "500", placeholder: "https://", "data-testid": "replacement-url" }),
  };
  const error = el("p", { class: "form-error", role: "alert" });
  const form = el("form", { class: "claim-replacement", "data-testid": "replacement-form", novalidate: true },
    el("h3", { text: t("vendorClaims.shipReplacement") }),
    fieldWithError(inputs.carrier, t("vendorClaims.carrier")), fieldWithError(inputs.tracking_number, t("vendorClaims.tracking")),
    fieldWithError(inputs.tracking_url, t("vendorClaims.trackingLink")), error,
    el("button", { type: "submit", class: "button", "data-testid": "replacement-submit" }, t("vendorClaims.shipped")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    try {
      await claimsApi.shipReplacement(claim.case_id, Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value.trim()])));
      done();
    } catch (err) {
      if (err instanceof ApiError) showFieldErrors(form, err.fields, error, err.message);
      else error.textContent = err.message;
    }
  });
  return form;
}

function disputeCard(dispute) {
  const open = ["needs_response", "under_review", "warning_needs_response", "warning_under_review"].includes(dispute.status);
  return el("article", { class: "claim-card", "data-testid": "vendor-dispute", "data-dispute-id": dispute.case_id, "data-state": dispute.status },
    el("header", { class: "claim-head" },
      el("strong", { text: t("vendorClaims.disputed", { order: dispute.order_number || dispute.order_id }) }),
      el("span", { class: `status-badge status-${open ? "pending" : dispute.status === "won" ? "ok" : "bad"}`, text: dispute.status.replaceAll("_", " ") })),
    el("p", { text: t("vendorClaims.disputeAmount", { amount: formatMoney(dispute.amount), reason: (dispute.reason || "unknown").replaceAll("_", " ") }) }),
    open ? el("p", { class: "claim-deadline", "data-testid": "vendor-dispute-held", text: t("vendorClaims.held") })
      : el("p", { "data-testid": "vendor-dispute-outcome", text: dispute.status === "won" ? t("vendorClaims.won") : t("vendorClaims.lost") }),
    caseHistory(dispute.history, { audience: "vendor" }));
}
