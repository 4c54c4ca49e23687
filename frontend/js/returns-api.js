// API calls of return requests: the shopper's, the vendor's and the admin's (chalicelib/handlers/returns.py).

import { ApiError, request } from "./api.js";
import { t } from "./i18n.js";

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
    throw new ApiError({ status: 400, code: "validation_error", message: t("returns.photoTypes"), fields: { photos: "JPEG, PNG or WebP" } });
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
    throw new ApiError({ code: "network_error", message: t("returns.photoNotSent"), fields: { photos: "not sent" } });
  }
  if (!response.ok) throw new ApiError({ status: response.status, code: "upload_refused", message: t("returns.photoRefused"), fields: { photos: "refused" } });
  return form.key;
}

// How each state reads, for everyone.
export const RETURN_STATES = {
  requested: { label: t("returns.s_requested"), tone: "pending" },
  approved: { label: t("returns.s_approved"), tone: "pending" },
  rejected: { label: t("returns.s_rejected"), tone: "bad" },
  escalated: { label: t("returns.s_escalated"), tone: "pending" },
  shipped_back: { label: t("returns.s_shipped_back"), tone: "pending" },
  received: { label: t("returns.s_received"), tone: "pending" },
  refunded: { label: t("returns.s_refunded"), tone: "ok" },
  refund_failed: { label: t("returns.s_refund_failed"), tone: "bad" },
};

export const RETURN_REASONS = [["damaged", t("returns.r_damaged")], ["not_as_described", t("returns.r_not_as_described")], ["wrong_item", t("returns.r_wrong_item")],
  ["changed_mind", t("returns.r_changed_mind")], ["arrived_late", t("returns.r_arrived_late")], ["other", t("returns.r_other")]];

export function reasonLabel(code) {
  const found = RETURN_REASONS.find(([value]) => value === code);
  return found ? found[1] : code;
}
