// The claims and disputes API calls (shopper, vendor, admin) and the words the pages use for them.

import { request } from "./api.js";

export const REASONS = {
  not_received: "Not received",
  damaged: "Damaged",
  not_as_described: "Not as described",
  other: "Something else",
};

export const CLAIM_STATES = {
  opened: "Waiting for the vendor",
  answered: "The vendor answered",
  escalated: "With Halles",
  resolved: "Resolved",
};

export const RESOLUTIONS = { refund: "Refund", replacement: "Replacement", rejection: "Rejection" };

export function claimStateLabel(state) {
  return CLAIM_STATES[state] || String(state || "").replaceAll("_", " ");
}

export function decisionText(decision, currency) {
  if (!decision) return "";
  if (decision.resolution === "refund") {
    const amount = (decision.amount / 100).toFixed(2);
    return `Refund of ${amount} ${currency || ""}`.trim();
  }
  if (decision.resolution === "replacement") return "A replacement";
  return `Rejected: ${decision.reason}`;
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
