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
import { caseThreadLink } from "../case-links.js";

export const claimsSection = {
  id: "claims",
  label: "Claims",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "vendor-claims-status", text: "Loading your claims…" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "vendor-claims-error" });
    const list = el("div", { class: "claims-list", "data-testid": "vendor-claims" });
    mount(panel, el("h2", { text: "Claims and disputes" }),
      el("p", { class: "field-hint", text: "Answer each claim before its deadline, or it goes to Halles to decide." }),
      status, error, list);
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      try {
        const page = await claimsApi.vendorClaims({}, { signal: controller.signal });
        mount(list, page.items.map((item) => (item.kind === "dispute" ? disputeCard(item) : claimCard(item))));
        status.textContent = page.items.length ? "" : "No claims: nothing to answer.";
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, "Your session ended. ", el("a", { href: signInHref(), text: "Sign in again" }));
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
        claim.deadline ? el("p", { class: "claim-deadline", "data-testid": "vendor-claim-deadline", text: `Answer by ${formatDate(claim.deadline)}` }) : null,
        claim.answer ? el("p", { text: `Your proposal: ${decisionText(claim.answer, claim.currency)}` }) : null,
        claim.resolution ? el("p", { "data-testid": "vendor-claim-resolution", text: `Decision: ${decisionText(claim.resolution, claim.currency)}` }) : null,
        caseHistory(claim.history, { audience: "vendor" }),
        caseThreadLink("vendor", { orderId: claim.order_id, vendorId: claim.vendor_id, caseId: claim.case_id, text: "Write to the shopper about this claim" }),
        actions.includes("answer") ? decisionForm(claim, { send: (body) => claimsApi.answer(claim.case_id, body), done: done("Your answer was sent to the shopper."),
          submitText: "Send my answer", testid: "vendor-answer" }) : null,
        actions.includes("ship_replacement") ? replacementForm(claim, done("Replacement shipped.")) : null);
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
    el("h3", { text: "Ship the replacement" }),
    fieldWithError(inputs.carrier, "Carrier"), fieldWithError(inputs.tracking_number, "Tracking number"),
    fieldWithError(inputs.tracking_url, "Tracking link"), error,
    el("button", { type: "submit", class: "button", "data-testid": "replacement-submit" }, "Shipped"));
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
      el("strong", { text: `Payment disputed · order ${dispute.order_number || dispute.order_id}` }),
      el("span", { class: `status-badge status-${open ? "pending" : dispute.status === "won" ? "ok" : "bad"}`, text: dispute.status.replaceAll("_", " ") })),
    el("p", { text: `${formatMoney(dispute.amount)} · reason: ${(dispute.reason || "unknown").replaceAll("_", " ")}` }),
    open ? el("p", { class: "claim-deadline", "data-testid": "vendor-dispute-held", text: "Your payout for this order is held until the dispute is settled." })
      : el("p", { "data-testid": "vendor-dispute-outcome", text: dispute.status === "won" ? "Won: your payout is released." : "Lost: your share of the order was taken back." }),
    caseHistory(dispute.history, { audience: "vendor" }));
}
