// Links from an order or a case (return ret_..., claim clm_...) to its conversation, for each reader:
// the shopper's #/messages, the vendor's #/vendor/messages (both open or start the thread of
// order + vendor + case), and the admin's thread view, which needs the thread's id.

import { el } from "../dom.js";

const enc = encodeURIComponent;

export function shopperThreadHref(orderId, vendorId, caseId = "") {
  return `#/messages?order=${enc(orderId)}&vendor=${enc(vendorId)}${caseId ? `&case=${enc(caseId)}` : ""}`;
}

export function vendorThreadHref(orderId, caseId = "") {
  return `#/vendor/messages?order=${enc(orderId)}${caseId ? `&case=${enc(caseId)}` : ""}`;
}

/** The id of the thread of (order, vendor, case): the same formula as thread_id_for in
 * chalicelib/domain/messages.py (sha256 of the three, newline-separated, first 24 hex digits). */
export async function threadIdFor(orderId, vendorId, caseId = "") {
  const bytes = new TextEncoder().encode(`${orderId}\n${vendorId}\n${caseId}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return "thr_" + Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, 24);
}

/** A link to a case's conversation; `who` is "shopper", "vendor" or "admin". */
export function caseThreadLink(who, { orderId, vendorId, caseId = "", text }) {
  const link = el("a", { class: "case-thread-link", "data-testid": "case-thread-link", text });
  if (who === "shopper") link.href = shopperThreadHref(orderId, vendorId, caseId);
  else if (who === "vendor") link.href = vendorThreadHref(orderId, caseId);
  else {
    link.href = "#/admin/messages";
    threadIdFor(orderId, vendorId, caseId).then((id) => { link.href = `#/admin/messages?thread=${enc(id)}`; });
  }
  return link;
}
