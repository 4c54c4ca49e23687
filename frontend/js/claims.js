// The claims and disputes API calls (shopper, vendor, admin) and the words the pages use for them.

import { request } from "./api.js";
import { t } from "./i18n.js";
import { formatMoney } from "./money.js";

export const REASONS = {
  not_received: t("claims.r_not_received"),
  damaged: t("claims.r_damaged"),
  not_as_described: t("claims.r_not_as_described"),
  other: t("claims.r_other"),
};

export const CLAIM_STATES = {
  opened: t("claims.s_opened"),
  answered: t("claims.s_answered"),
  escalated: t("claims.s_escalated"),
  resolved: t("claims.s_resolved"),
};

export const RESOLUTIONS = { refund: t("claims.refund"), replacement: t("claims.replacement"), rejection: t("claims.rejection") };

export function claimStateLabel(state) {
  return CLAIM_STATES[state] || String(state || "").replaceAll("_", " ");
}

export function decisionText(decision, currency) {
  if (!decision) return "";
  if (decision.resolution === "refund") {
    return t("claims.refundOf", { amount: formatMoney({ amount: decision.amount, currency: currency || "EUR" }) });
  }
  if (decision.resolution === "replacement") return t("claims.aReplacement");
  return t("claims.rejected", { reason: decision.reason });
}

const opts = (signal) => ({ auth: true, signal });

export const claimsApi = {
  orderClaims: (orderId, { signal } = {}) => request("GET", `/orders/${encodeURIComponent(orderId)}/claims`, opts(signal)),
  open: (orderId, body) => request("POST", `/orders/${encodeURIComponent(orderId)}/claims`, { auth: true, body }),
  accept: (claimId) => request("POST", `/claims/${encodeURIComponent(claimId)}/accept`, { auth: true }),
  escalate: (claimId) => request("POST", `/claims/${encodeURIComponent(claimId)}/escalate`, { auth: true }),
  vendorClaims: (query, { signal } = {}) => request("GET", "/vendor/claims", { ...opts(signal), query }),
  answer: (claimId, body) => request("POST", `/vendor/claims/${encodeURIComponent(claimId)}/answer`, { auth: true, body }),
  shipReplacement: (claimId, body) => request("POST", `/vendor/claims/${encodeURIComponent(claimId)}/replacement`, { auth: true, body }),
  adminCases: (query, { signal } = {}) => request("GET", "/admin/cases", { ...opts(signal), query }),
  resolve: (claimId, body) => request("POST", `/admin/claims/${encodeURIComponent(claimId)}/resolve`, { auth: true, body }),
  evidence: (disputeId, body) => request("POST", `/admin/disputes/${encodeURIComponent(disputeId)}/evidence`, { auth: true, body }),
};
