// The shopper's claims on one order (on the order page): t("claims.report") with one vendor's part, and each
// claim's state, the vendor's proposal (accept it, or ask Halles to decide), the decision and its timeline.
// Its state lives here, per order, so the order page can re-render (it polls) without losing it.

import { ApiError } from "../api.js";
import { announce, el, mount } from "../dom.js";
import { REASONS, claimStateLabel, claimsApi, decisionText } from "../claims.js";
import { formatMoney } from "../money.js";
import { vendorLabel } from "../vendors.js";
import { caseHistory } from "./claim-forms.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "./forms.js";
import { formatDate } from "./orders.js";
import { t } from "../i18n.js";
import { caseThreadLink } from "./case-links.js";

const states = new Map(); // order id -> {claims, loading, formOpen, box}

/** The claims panel of a paid order (null otherwise). */
export function orderClaims(order, names) {
  if (order.status !== "paid") return null;
  let state = states.get(order.order_id);
  if (!state) {
    state = { claims: null, formOpen: false, error: "", box: el("section", { class: "panel order-claims", "data-testid": "order-claims", "aria-labelledby": "claims-title" }) };
    states.set(order.order_id, state);
    load(order, names, state);
  }
  draw(order, names, state);
  return state.box;
}

async function load(order, names, state) {
  try {
    state.claims = (await claimsApi.orderClaims(order.order_id)).items;
  } catch (err) {
    state.error = err.message;
    state.claims = [];
  }
  draw(order, names, state);
}

function draw(order, names, state) {
  const report = el("button", { type: "button", class: "button button-quiet", "data-testid": "report-problem",
    onclick: () => { state.formOpen = !state.formOpen; draw(order, names, state); } }, t("claims.report"));
  mount(state.box,
    el("h2", { id: "claims-title", text: t("claims.title") }),
    state.error ? el("p", { class: "form-error", role: "alert", text: state.error }) : null,
    state.claims === null ? el("p", { class: "muted", text: t("claims.loading") }) : null,
    (state.claims || []).map((claim) => claimCard(order, names, state, claim)),
    state.formOpen ? openForm(order, names, state) : report);
}

function openForm(order, names, state) {
  const vendor = el("select", { name: "vendor_id", "data-testid": "claim-vendor" },
    order.vendors.map((group) => el("option", { value: group.vendor_id, text: vendorLabel(group.vendor_id, names) })));
  const reason = el("select", { name: "reason", "data-testid": "claim-reason" },
    Object.entries(REASONS).map(([value, text]) => el("option", { value, text })));
  const text = el("textarea", { name: "text", rows: "3", maxlength: "2000", "data-testid": "claim-text" });
  const error = el("p", { class: "form-error", role: "alert", "data-testid": "claim-error" });
  const submit = el("button", { type: "submit", class: "button", "data-testid": "claim-submit" }, t("claims.send"));
  const cancel = el("button", { type: "button", class: "button button-quiet",
    onclick: () => { state.formOpen = false; draw(order, names, state); } }, t("claims.cancel"));
  const form = el("form", { class: "claim-form", "data-testid": "claim-form", novalidate: true },
    fieldWithError(vendor, t("claims.whichPart")), fieldWithError(reason, t("claims.whatWrong")),
    fieldWithError(text, t("claims.tellMore"), { hint: t("claims.requiredElse") }), error, submit, cancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    error.textContent = "";
    submit.disabled = true;
    try {
      const claim = await claimsApi.open(order.order_id, { vendor_id: vendor.value, reason: reason.value, text: text.value });
      state.claims = [claim, ...(state.claims || []).filter((c) => c.claim_id !== claim.claim_id)];
      state.formOpen = false;
      announce(t("claims.sent"));
      draw(order, names, state);
    } catch (err) {
      submit.disabled = false;
      if (err instanceof ApiError) showFieldErrors(form, err.fields, error, err.message);
      else error.textContent = err.message;
    }
  });
  return form;
}

function claimCard(order, names, state, claim) {
  const error = el("p", { class: "form-error", role: "alert", "data-testid": "claim-action-error" });
  const act = (call, message) => async (event) => {
    event.target.disabled = true;
    try {
      const fresh = await call(claim.claim_id);
      state.claims = state.claims.map((c) => (c.claim_id === fresh.claim_id ? fresh : c));
      announce(message);
      draw(order, names, state);
    } catch (err) {
      event.target.disabled = false;
      error.textContent = err.message;
    }
  };
  const actions = claim.allowed_actions || [];
  const shipment = claim.replacement_shipment;
  return el("article", { class: "claim-card", "data-testid": "claim", "data-claim-id": claim.claim_id, "data-state": claim.state },
    el("header", { class: "claim-head" },
      el("strong", { text: `${REASONS[claim.reason] || claim.reason} · ${vendorLabel(claim.vendor_id, names)}` }),
      el("span", { class: `status-badge status-${claim.state === "resolved" ? "ok" : "pending"}`, "data-testid": "claim-state", text: claimStateLabel(claim.state) })),
    claim.text ? el("p", { class: "claim-text", text: claim.text }) : null,
    claim.state === "opened" && claim.deadline
      ? el("p", { class: "muted", "data-testid": "claim-deadline", text: t("claims.deadline", { date: formatDate(claim.deadline) }) }) : null,
    claim.answer ? el("p", { "data-testid": "claim-proposal" }, `${t("claims.proposes")} `, el("strong", { text: decisionText(claim.answer, claim.currency) })) : null,
    claim.resolution ? el("p", { "data-testid": "claim-resolution" }, `${t("claims.decision")} `, el("strong", { text: decisionText(claim.resolution, claim.currency) }),
      claim.resolved_by === "admin" ? " (decided by Halles)" : "") : null,
    claim.refund ? el("p", { "data-testid": "claim-refund", text: t("claims.refundStatus", { amount: formatMoney({ amount: claim.refund.amount, currency: claim.currency }), status: claim.refund.status }) }) : null,
    shipment ? el("p", { "data-testid": "claim-replacement" }, `${t("claims.replacementWith", { carrier: shipment.carrier })} `,
      el("a", { href: shipment.tracking_url, target: "_blank", rel: "noopener noreferrer", text: shipment.tracking_number })) : null,
    caseHistory(claim.history),
    caseThreadLink("shopper", { orderId: order.order_id, vendorId: claim.vendor_id, caseId: claim.claim_id, text: t("caseLinks.shopAboutClaim") }),
    el("div", { class: "claim-actions" },
      actions.includes("accept") ? el("button", { type: "button", class: "button", "data-testid": "claim-accept", onclick: act(claimsApi.accept, t("claims.acceptedAnnounce")) }, t("claims.accept")) : null,
      actions.includes("escalate") ? el("button", { type: "button", class: "button button-quiet", "data-testid": "claim-escalate", onclick: act(claimsApi.escalate, t("claims.halesDecides")) }, t("claims.escalate")) : null),
    error);
}
