// Every word the shopper reads about an order or an offer comes from here: statuses, offer
// conditions, order numbers, and which timeline steps are theirs. The API speaks in codes
// (`payment_failed`, `refurbished`); nothing on screen shows a code as is. Words: js/locales (status.*).

import { t } from "./i18n.js";

/** Order, vendor sub-order and payment statuses, in words people use. */
export const STATUS_LABELS = {
  pending_payment: { label: t("status.awaitingPayment"), tone: "pending" },
  awaiting_payment: { label: t("status.awaitingPayment"), tone: "pending" },
  paid: { label: t("status.paid"), tone: "ok" },
  payment_failed: { label: t("status.paymentFailed"), tone: "bad" },
  failed: { label: t("status.paymentFailed"), tone: "bad" },
  cancelled: { label: t("status.cancelled"), tone: "bad" },
  refunded: { label: t("status.refunded"), tone: "neutral" },
  partially_refunded: { label: t("status.partlyRefunded"), tone: "neutral" },
  accepted: { label: t("status.beingPrepared"), tone: "pending" },
  preparing: { label: t("status.beingPrepared"), tone: "pending" },
  shipped: { label: t("status.onItsWay"), tone: "pending" },
  delivered: { label: t("status.delivered"), tone: "ok" },
  disputed: { label: t("status.disputed"), tone: "bad" },
};

/** A status in words; an unknown code becomes a capitalised phrase, never the raw code. */
export function statusLabel(status) {
  const known = STATUS_LABELS[status];
  if (known) return known.label;
  const words = String(status || "").replace(/[_-]+/g, " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : t("status.unknown");
}

export function statusTone(status) {
  return (STATUS_LABELS[status] || {}).tone || "neutral";
}

export const CONDITION_LABELS = { new: t("condition.new"), refurbished: t("condition.refurbished"), used: t("condition.used") };

export function conditionLabel(condition) {
  if (!condition) return "";
  return CONDITION_LABELS[condition] || statusLabel(condition);
}

/** The number people read out on the phone: the API's `order_number` (H-2611-4823), else a short id. */
export function orderNumber(order) {
  if (order && order.order_number) return String(order.order_number);
  return String((order && order.order_id) || "").replace(/^ord_/, "").slice(0, 8).toUpperCase();
}

// Steps of the marketplace's own bookkeeping: vendors and admins see them, the shopper does not.
const INTERNAL_KINDS = new Set(["transfer", "payout", "stock", "reservation", "stock_reserved", "stock_released"]);

/** The timeline entries meant for the shopper (entries with an `audience` say so themselves). */
export function shopperTimeline(entries) {
  return (entries || []).filter((entry) => {
    if (entry.audience) return entry.audience === "shopper" || entry.audience === "all"
      || (Array.isArray(entry.audience) && entry.audience.includes("shopper"));
    return !INTERNAL_KINDS.has(entry.kind);
  });
}

// What the shopper reads for each step; the API's labels mention stock, which is not their concern.
const SHOPPER_STEP_LABELS = {
  placed: t("step.placed"),
  pending_payment: t("step.placed"),
  paid: t("step.paid"),
  payment_failed: t("step.paymentFailed"),
  cancelled: t("step.cancelled"),
  refunded: t("step.refunded"),
  refund: t("step.refund"),
  dispute: t("step.dispute"),
  shipped: t("step.shipped"),
  delivered: t("step.delivered"),
  delivery: t("step.delivered"),
};

export function timelineLabel(entry) {
  // A payment attempt's own words name what happened (declined and why, the bank's check): keep them.
  if (entry.kind === "payment_attempt" && entry.label) return entry.label;
  // A vendor's own steps name the vendor and the carrier ("Shipped by Alpine with DHL"): keep them.
  if ((entry.kind === "shipment" || entry.kind === "fulfilment") && entry.label) return entry.label;
  if (entry.kind === "claim" && entry.label) return entry.label; // a claim's own steps say who did what
  return SHOPPER_STEP_LABELS[entry.kind] || SHOPPER_STEP_LABELS[entry.status] || statusLabel(entry.status || entry.kind);
}
