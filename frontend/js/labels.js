// Every word the shopper reads about an order or an offer comes from here: statuses, offer
// conditions, order numbers, and which timeline steps are theirs. The API speaks in codes
// (`payment_failed`, `refurbished`); nothing on screen shows a code as is.

/** Order, vendor sub-order and payment statuses, in words people use. */
export const STATUS_LABELS = {
  pending_payment: { label: "Awaiting payment", tone: "pending" },
  awaiting_payment: { label: "Awaiting payment", tone: "pending" },
  paid: { label: "Paid", tone: "ok" },
  payment_failed: { label: "Payment failed", tone: "bad" },
  failed: { label: "Payment failed", tone: "bad" },
  cancelled: { label: "Cancelled", tone: "bad" },
  refunded: { label: "Refunded", tone: "neutral" },
  partially_refunded: { label: "Partly refunded", tone: "neutral" },
  accepted: { label: "Being prepared", tone: "pending" },
  preparing: { label: "Being prepared", tone: "pending" },
  shipped: { label: "On its way", tone: "pending" },
  delivered: { label: "Delivered", tone: "ok" },
  disputed: { label: "Payment disputed", tone: "bad" },
};

/** A status in words; an unknown code becomes a capitalised phrase, never the raw code. */
export function statusLabel(status) {
  const known = STATUS_LABELS[status];
  if (known) return known.label;
  const words = String(status || "").replace(/[_-]+/g, " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "Unknown";
}

export function statusTone(status) {
  return (STATUS_LABELS[status] || {}).tone || "neutral";
}

export const CONDITION_LABELS = { new: "New", refurbished: "Refurbished", used: "Used" };

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
  placed: "Order placed",
  pending_payment: "Order placed",
  paid: "Payment received",
  payment_failed: "Payment failed, nothing was charged",
  cancelled: "Order cancelled",
  refunded: "Payment refunded",
  refund: "Refund issued",
  dispute: "Payment disputed",
  shipped: "Shipped",
  delivered: "Delivered",
  delivery: "Delivered",
};

export function timelineLabel(entry) {
  // A payment attempt's own words name what happened (declined and why, the bank's check): keep them.
  if (entry.kind === "payment_attempt" && entry.label) return entry.label;
  // A vendor's own steps name the vendor and the carrier ("Shipped by Alpine with DHL"): keep them.
  if ((entry.kind === "shipment" || entry.kind === "fulfilment") && entry.label) return entry.label;
  if (entry.kind === "claim" && entry.label) return entry.label; // a claim's own steps say who did what
  return SHOPPER_STEP_LABELS[entry.kind] || SHOPPER_STEP_LABELS[entry.status] || statusLabel(entry.status || entry.kind);
}
