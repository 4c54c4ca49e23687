// API calls of return requests: the shopper's, the vendor's and the admin's (chalicelib/handlers/returns.py).

import { ApiError, request } from "./api.js";

const enc = encodeURIComponent;
const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];

export const orderReturns = (orderId, options) => request("GET", `/orders/${enc(orderId)}/returns`, { ...options, auth: true });
export const askReturn = (orderId, body, key) =>
  request("POST", `/orders/${enc(orderId)}/returns`, { auth: true, body, headers: { "Idempotency-Key": key } });
export const shipBack = (returnId, body) => request("POST", `/returns/${enc(returnId)}/ship-back`, { auth: true, body });
export const vendorReturns = (query, options) => request("GET", "/vendor/returns", { ...options, auth: true, query });
export const vendorReturnStep = (returnId, step, body) =>
  request("POST", `/vendor/returns/${enc(returnId)}/${step}`, { auth: true, body });
export const vendorReturnRules = (options) => request("GET", "/vendor/return-rules", { ...options, auth: true });
export const saveVendorReturnRules = (body) => request("PUT", "/vendor/return-rules", { auth: true, body });
export const adminReturns = (query, options) => request("GET", "/admin/returns", { ...options, auth: true, query });
export const adminReturnStep = (returnId, step, body) =>
  request("POST", `/admin/returns/${enc(returnId)}/${step}`, { auth: true, body });

/** Upload one photo (presigned POST straight to storage, under the shopper's prefix): its key. */
export async function uploadReturnPhoto(file) {
  if (!PHOTO_TYPES.includes(file.type)) {
    throw new ApiError({ status: 400, code: "validation_error", message: "Photos are JPEG, PNG or WebP.", fields: { photos: "JPEG, PNG or WebP" } });
  }
  const form = await request("POST", "/returns/photos/uploads", { auth: true, body: { content_type: file.type } });
  if (file.size > form.max_bytes) {
    throw new ApiError({ status: 400, code: "validation_error", message: "A photo is at most 5 MB.", fields: { photos: "at most 5 MB" } });
  }
  const body = new FormData();
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
  body.append("file", file);
  let response;
  try {
    response = await fetch(form.url, { method: "POST", body });
  } catch {
    throw new ApiError({ code: "network_error", message: "The photo could not be sent. Try again.", fields: { photos: "not sent" } });
  }
  if (!response.ok) throw new ApiError({ status: response.status, code: "upload_refused", message: "The storage refused this photo.", fields: { photos: "refused" } });
  return form.key;
}

// How each state reads, for everyone.
export const RETURN_STATES = {
  requested: { label: "Requested: awaiting the vendor", tone: "pending" },
  approved: { label: "Approved: send it back", tone: "pending" },
  rejected: { label: "Rejected", tone: "bad" },
  escalated: { label: "With the platform", tone: "pending" },
  shipped_back: { label: "On its way back", tone: "pending" },
  received: { label: "Received by the vendor", tone: "pending" },
  refunded: { label: "Refunded", tone: "ok" },
  refund_failed: { label: "Refund failed: being resolved", tone: "bad" },
};

export const RETURN_REASONS = [["damaged", "Damaged"], ["not_as_described", "Not as described"], ["wrong_item", "Wrong item"],
  ["changed_mind", "Changed my mind"], ["arrived_late", "Arrived late"], ["other", "Other"]];

export function reasonLabel(code) {
  const found = RETURN_REASONS.find(([value]) => value === code);
  return found ? found[1] : code;
}
