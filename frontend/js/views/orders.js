// The shopper's orders: the list, one order (status, timeline, lines per vendor, totals),
// and the page the payment provider sends the shopper back to.
//
// The provider's webhook reaches the order through a queue, so an order is often still
// `pending_payment` when the shopper lands back here: the order page then asks again every
// second, for up to 30 seconds (10 after "go back to the shop" without paying), and shows the
// result as soon as there is one. A payment the provider is `processing` is followed for as long
// as it takes (up to 10 minutes). An unpaid order shows its failed attempts (reasons in the words
// of ../declines.js) with "Try again" on the same payment, and "Cancel order" behind a dialog.
// Each shipped vendor parcel shows its carrier and tracking link, and t("order.received") until the
// shopper confirmed receipt (which pays that vendor).

import { ApiError, api } from "../api.js";
import { refreshCartCount } from "../cart-state.js";
import { countryName } from "../countries.js";
import { announce, el, mount, uniqueId } from "../dom.js";
import { conditionLabel, orderNumber, shopperTimeline, statusLabel, statusTone, timelineLabel } from "../labels.js";
import { declineAdvice, declineText, isDecline } from "../declines.js";
import { confirmReceipt } from "../fulfilment.js";
import { formatMoney } from "../money.js";
import { resolveVendorNames, vendorLabel } from "../vendors.js";
import { amountRow, itemsText, negative, percent } from "./amounts.js";
import { accountTabs, cardLabel } from "./cards.js";
import { orderReturnsPanel } from "./order-returns.js";
import { requireShopper, signInHref } from "./guard.js";
import { orderClaims } from "./order-claims.js";
import { contactVendorLink } from "../messages.js";
import { formatDateTime, t } from "../i18n.js";

const POLL_EVERY_MS = 1000;
const POLL_FOR_MS = 30_000;
const POLL_FAILED_FOR_MS = 10_000;
const POLL_PROCESSING_EVERY_MS = 2000;
const POLL_PROCESSING_FOR_MS = 10 * 60_000; // a bank's processing takes seconds to minutes
const PAGE_SIZE = 20;
const PAYMENTS_KEY = "halles.payments"; // payment_intent_id -> order_id, for the way back from the payment page

export function statusBadge(status, testid = "order-status") {
  return el("span", { class: `status-badge status-${statusTone(status)}`, "data-testid": testid, "data-status": status, text: statusLabel(status) });
}

/** A date and time in the page's language (js/i18n.js). */
export function formatDate(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : formatDateTime(date);
}

// --- back from the payment page ----------------------------------------------------------

export function rememberPayment(paymentIntentId, orderId) {
  try {
    const known = JSON.parse(window.sessionStorage.getItem(PAYMENTS_KEY) || "{}");
    known[paymentIntentId] = orderId;
    window.sessionStorage.setItem(PAYMENTS_KEY, JSON.stringify(known));
  } catch { /* private mode: the order is found through the list instead */ }
}

function rememberedOrder(paymentIntentId) {
  try {
    return JSON.parse(window.sessionStorage.getItem(PAYMENTS_KEY) || "{}")[paymentIntentId] || null;
  } catch {
    return null;
  }
}

/**
 * `#/payment-return`: the provider sent the shopper to `…/?payment_intent=pi_…&redirect_status=…#/payment-return`.
 * Find the order paid for and show it (which keeps asking until the webhook has landed).
 */
export function renderPaymentReturn(main, params) {
  const search = new URLSearchParams(window.location.search);
  if (search.has("payment_intent")) {
    // The provider's parameters (a client secret among them) have no business in the address bar or
    // the history: keep only what finding the order needs, in the hash (it survives a detour to sign in).
    const kept = new URLSearchParams({ payment_intent: search.get("payment_intent"), redirect_status: search.get("redirect_status") || "" });
    window.history.replaceState(null, "", `${window.location.pathname}#/payment-return?${kept}`);
    params = kept;
  }
  const intentId = params.get("payment_intent");
  const outcome = /^[a-z_]{1,30}$/.test(params.get("redirect_status") || "") ? params.get("redirect_status") : "returned";
  if (!requireShopper(main, { view: "payment-return", title: t("order.yourPayment"), what: t("order.what") })) return {};
  document.title = t("order.paymentPageTitle");
  const controller = new AbortController();
  mount(main, el("section", { class: "notice", "data-view": "payment-return" },
    el("h1", { text: t("order.yourPayment") }),
    el("p", { class: "result-status", "data-testid": "payment-return-status", text: t("order.finding") })));

  findOrder(intentId, controller.signal).then((orderId) => {
    if (orderId) {
      window.location.replace(`#/orders/${encodeURIComponent(orderId)}?payment=${outcome}`);
      return;
    }
    mount(main, el("section", { class: "notice", "data-view": "payment-return" },
      el("h1", { text: t("order.yourPayment") }),
      el("p", { role: "alert", "data-testid": "payment-return-status", text: t("order.whichOrder") }),
      el("a", { class: "button", href: "#/orders", text: t("order.seeMyOrders") })));
  }).catch((err) => {
    if (err.name !== "AbortError") {
      mount(main, el("section", { class: "notice", "data-view": "payment-return" },
        el("h1", { text: t("order.yourPayment") }),
        el("p", { role: "alert", "data-testid": "payment-return-status", text: err.message }),
        el("a", { class: "button", href: "#/orders", text: t("order.seeMyOrders") })));
    }
  });
  return { cleanup: () => controller.abort() };
}

async function findOrder(intentId, signal) {
  if (!intentId) return null;
  const remembered = rememberedOrder(intentId);
  if (remembered) return remembered;
  const page = await api.orders({ limit: 50 }, { signal }); // newest first: a fresh order is on the first page
  const found = (page.items || []).find((o) => o.payment && o.payment.payment_intent_id === intentId);
  return found ? found.order_id : null;
}

/** The order page's "Pay now" leads to the provider's page, coming back here afterwards. */
/** A UUID for an Idempotency-Key (crypto.randomUUID needs a secure context; getRandomValues does not). */
function newAttemptKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  return [...window.crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function withReturnUrl(paymentPageUrl) {
  try {
    const url = new URL(paymentPageUrl);
    if (!url.searchParams.has("return_url")) {
      url.searchParams.set("return_url", `${window.location.origin}${window.location.pathname}#/payment-return`);
    }
    return url.toString();
  } catch {
    return paymentPageUrl;
  }
}

/**
 * Pay an unpaid order again with a saved card, then go where the answer says: the bank's check
 * (3-D Secure) on the payment page, or the order page following the payment.
 */
export async function payWithSavedCard(orderId, paymentMethodId, idempotencyKey) {
  const returnUrl = `${window.location.origin}${window.location.pathname}#/payment-return`;
  const { payment } = await api.payOrder(orderId, { payment_method_id: paymentMethodId, return_url: returnUrl }, idempotencyKey);
  rememberPayment(payment.payment_intent_id, orderId);
  if (payment.status === "requires_action" && payment.payment_page_url) {
    window.location.assign(withReturnUrl(payment.payment_page_url));
  } else {
    window.location.hash = `#/orders/${encodeURIComponent(orderId)}?payment=${payment.status === "succeeded" ? "succeeded" : "processing"}`;
  }
}

// --- one order -----------------------------------------------------------------------------

export function renderOrder(main, orderId, params) {
  if (!requireShopper(main, { view: "order", title: t("order.yourOrder"), what: t("order.what") })) return {};
  document.title = t("order.orderPageTitle");
  const controller = new AbortController();
  const outcome = params.get("payment"); // set when coming back from paying: follow the order until it settles
  // Back without paying (or after a decline): the decline, if any, is worth a short wait, no more.
  const deadline = Date.now() + (outcome === "failed" ? POLL_FAILED_FOR_MS : POLL_FOR_MS);
  let timer = null;
  let order = null;
  let names = {};
  let waited = false; // the deadline passed with the order still pending
  let wasPending = false;
  let cancelling = false;
  let savedCards = []; // offered to pay an unpaid order again
  let payingWith = null; // {cardId, key}: a saved-card payment in flight
  let payError = "";
  let cancelError = "";
  const receiptErrors = {}; // vendor id -> why t("order.received") failed
  const processingDeadline = Date.now() + POLL_PROCESSING_FOR_MS;

  mount(main, el("div", { class: "order-page", "data-view": "order", "aria-busy": "true" },
    backLink(),
    el("p", { class: "result-status", "data-testid": "order-loading", text: t("order.loading") })));

  fetchOrder();

  async function fetchOrder() {
    timer = null;
    try {
      const fresh = await api.order(orderId, { signal: controller.signal });
      if (order === null) {
        names = await resolveVendorNames(fresh.lines, controller.signal);
        if (fresh.payment.can_pay) loadSavedCards();
      }
      const changed = !order || order.status !== fresh.status || order.timeline.length !== fresh.timeline.length
        || order.payment.state !== fresh.payment.state || (order.payment.attempts || []).length !== (fresh.payment.attempts || []).length;
      order = fresh;
      if (following(order)) {
        wasPending = true;
        // A payment the provider is processing settles on its own: keep asking (no reload needed).
        const until = order.payment.state === "processing" ? processingDeadline : deadline;
        if (Date.now() < until) timer = window.setTimeout(fetchOrder, order.payment.state === "processing" ? POLL_PROCESSING_EVERY_MS : POLL_EVERY_MS);
        else waited = true;
      } else if (wasPending) {
        wasPending = false;
        announce(paymentAnnouncement(order));
      }
      if (order.status === "paid") refreshCartCount(); // a paid order empties the cart
      if (changed || !timer) render();
    } catch (err) {
      if (err.name === "AbortError") return;
      if (order && err.code === "network_error" && Date.now() < deadline) { // a blip while following: ask again
        timer = window.setTimeout(fetchOrder, POLL_EVERY_MS);
        return;
      }
      showError(err);
    }
  }

  /**
   * Whether to keep asking for the order: while the provider processes its payment, and, back from
   * paying, until the result the shopper can act on has arrived (paid, a declined attempt to retry,
   * or the bank asking to authenticate).
   */
  function following(current) {
    if (current.status !== "pending_payment") return false;
    const state = current.payment.state;
    if (state === "processing") return true;
    if (!outcome) return false;
    if (outcome === "succeeded") return true; // the webhook that makes it paid is on its way
    if (state === "requires_action") return false; // the shopper must authenticate: show how
    const attempts = current.payment.attempts || [];
    const last = attempts[attempts.length - 1];
    if (!last || last.outcome !== "declined") return true;
    // A decline is there to retry, unless it is an older one and this payment has not been heard of
    // yet: after "processing" (a card the bank processes) the decline must come after that step.
    return outcome === "processing" && !attempts.some((a) => a.outcome === "processing");
  }

  function paymentAnnouncement(current) {
    if (current.status !== "pending_payment") return t("order.nowStatus", { status: statusLabel(current.status) });
    if (current.payment.state === "requires_action") return t("order.bankConfirm");
    const last = current.payment.last_attempt;
    return last && last.outcome === "declined" ? t("order.notMade", { reason: declineText(last.reason) }) : t("order.awaits");
  }

  function showError(err) {
    const missing = err instanceof ApiError && err.status === 404;
    const expired = err instanceof ApiError && err.status === 401;
    document.title = `${missing ? t("order.notFound") : t("common.error")} · Halles`;
    mount(main, el("section", { class: "order-page notice", "data-view": "order" },
      backLink(),
      el("h1", { text: missing ? t("order.notFound") : t("order.loadError") }),
      el("p", { role: "alert", "data-testid": "order-error", text: missing ? t("order.noSuchOrder") : expired ? t("common.sessionEnded") : err.message }),
      expired ? el("a", { class: "button", href: signInHref(), text: t("common.signInAgain") }) : null));
  }

  function render() {
    document.title = t("order.pageTitle", { number: orderNumber(order) });
    mount(main, el("article", { class: "order-page", "data-view": "order", "data-testid": "order", "data-order-id": order.order_id, "data-status": order.status },
      backLink(),
      el("header", { class: "order-head" },
        el("div", {},
          el("h1", {}, t("order.order"), " ", el("span", { class: "order-number", "data-testid": "order-number", title: order.order_id, text: orderNumber(order) })),
          el("p", { class: "muted" }, t("order.placedOn", { date: formatDate(order.created_at) }),
            order.country ? el("span", { "data-testid": "order-destination", text: ` · ${destinationText(order)}` }) : null)),
        statusBadge(order.status)),
      paymentNotice(),
      el("div", { class: "order-body" },
        el("div", { class: "order-main" },
          vendorSections(),
          orderReturnsPanel(order),
          orderClaims(order, names)),
        el("aside", { class: "order-side" },
          order.shipping_address ? el("section", { class: "panel", "aria-labelledby": "address-title" },
            el("h2", { id: "address-title", text: t("cart.addressTitle") }),
            addressBlock(order.shipping_address)) : null,
          el("section", { class: "panel", "aria-labelledby": "timeline-title" },
            el("h2", { id: "timeline-title", text: t("order.status") }),
            timeline()),
          el("section", { class: "panel", "aria-labelledby": "totals-title" },
            el("h2", { id: "totals-title", text: t("order.totals") }),
            totals())))));
  }

  function paymentNotice() {
    const box = (tone, ...children) => el("div", { class: `payment-notice payment-${tone}`, "data-testid": "payment-notice", role: "status", "aria-live": "polite" }, ...children);
    switch (order.status) {
      case "pending_payment":
        return pendingNotice(box);
      case "paid":
        return box("ok", el("p", { text: t("order.thanks") }));
      case "payment_failed":
        return box("bad",
          el("p", { text: t("order.failedNothing") }),
          el("a", { class: "button", href: "#/cart", "data-testid": "back-to-cart" }, t("order.backToCart")));
      case "cancelled":
        return box("bad",
          el("p", { text: t("order.cancelledNothing") }),
          el("a", { class: "button", href: "#/cart", "data-testid": "back-to-cart" }, t("order.backToCart")));
      case "refunded":
        return box("neutral", el("p", { text: t("order.wasRefunded", { amount: formatMoney(order.payment.refunded) }) }));
      default:
        return null;
    }
  }

  /** An unpaid order: what stands in the way of the payment, and what the shopper can do about it. */
  function pendingNotice(box) {
    const payment = order.payment;
    if (payment.state === "processing") {
      return box("pending",
        el("span", { class: "spinner", "aria-hidden": "true" }),
        el("p", { "data-testid": "payment-processing", text: t("order.processing") }));
    }
    if (timer && outcome) {
      return box("pending",
        el("span", { class: "spinner", "aria-hidden": "true" }),
        el("span", { "data-testid": "payment-waiting", text: outcome === "failed"
          ? t("order.cardProblem")
          : t("order.confirming") }));
    }
    if (outcome === "succeeded" && waited) {
      return box("pending",
        el("p", { "data-testid": "payment-waiting", text: t("order.notConfirmedYet") }),
        el("button", { type: "button", class: "button button-quiet", "data-testid": "check-again", onclick: checkAgain }, t("order.checkAgain")));
    }
    const payLink = (label, testid) => (payment.can_pay && payment.payment_page_url
      ? el("a", { class: "button", href: withReturnUrl(payment.payment_page_url), "data-testid": testid }, label)
      : null);
    const held = order.reserved_until ? ` ${t("order.heldUntil", { date: formatDate(order.reserved_until) })}` : "";
    if (payment.state === "requires_action") {
      return box("pending",
        el("div", { class: "payment-notice-body" },
          el("p", { "data-testid": "payment-requires-action", text: `${t("order.confirm3ds")}${held}` }),
          el("div", { class: "payment-actions" }, payLink(t("order.confirmWithBank"), "authenticate"), cancelControl())));
    }
    const declined = (payment.attempts || []).filter((a) => a.outcome === "declined");
    const last = declined[declined.length - 1];
    return box(declined.length ? "bad" : "pending",
      el("div", { class: "payment-notice-body" },
        last ? el("p", { "data-testid": "payment-declined", "data-reason": last.reason || "" },
          el("strong", { text: t("order.notMade", { reason: declineText(last.reason) }) }), ` ${t("cart.nothingCharged")} ${declineAdvice(last.reason)}`) : null,
        el("p", { text: payment.can_pay
          ? `${t("order.waitsPayment")}${held}`
          : t("order.waitsProvider") }),
        declined.length ? el("details", { class: "payment-attempts", open: true },
          el("summary", { text: declined.length === 1 ? "1 failed attempt" : `${declined.length} failed attempts` }),
          el("ul", { "data-testid": "payment-attempts" }, declined.map((a) => el("li", { "data-testid": "payment-attempt", "data-reason": a.reason || "" },
            el("span", { text: declineText(a.reason) }), " ",
            el("time", { class: "muted", datetime: a.at, text: formatDate(a.at) }))))) : null,
        el("div", { class: "payment-actions" },
          payLink(declined.length ? t("common.tryAgain") : t("cart.payAmount", { amount: formatMoney(order.totals.total) }), declined.length ? "try-again" : "pay-now"),
          savedCardButtons(),
          cancelControl())));
  }

  function loadSavedCards() {
    api.paymentMethods({ signal: controller.signal })
      .then((body) => { savedCards = body.items || []; if (order && savedCards.length) render(); })
      .catch(() => { /* no saved cards to offer: the payment page still works */ });
  }

  /** "Pay with Visa •••• 4242": the same payment of this order, charged to a saved card now. */
  function savedCardButtons() {
    if (!order.payment.can_pay || !savedCards.length) return null;
    return [
      savedCards.map((card) => el("button", {
        type: "button", class: "button button-quiet", "data-testid": "pay-saved-card", "data-card-id": card.id,
        disabled: Boolean(payingWith), onclick: () => payWith(card),
      }, payingWith && payingWith.cardId === card.id ? t("order.paying") : t("order.payWith", { card: cardLabel(card) }))),
      payError ? el("p", { class: "form-error", role: "alert", "data-testid": "pay-error", text: payError }) : null,
    ];
  }

  async function payWith(card) {
    if (payingWith) return;
    // A new key per press: a press after a lost answer finds the payment under way (409), never charges twice.
    payingWith = { cardId: card.id, key: newAttemptKey() };
    payError = "";
    render();
    try {
      await payWithSavedCard(order.order_id, card.id, payingWith.key);
      return; // the page moves on (bank check or following the payment)
    } catch (err) {
      payError = isDecline(err)
        ? `${declineText(err.code)} ${t("cart.nothingCharged")} ${declineAdvice(err.code)}`
        : err instanceof ApiError ? err.message : t("order.generic");
      try { order = await api.order(order.order_id, { signal: controller.signal }); } catch { /* keep */ }
    } finally {
      payingWith = null;
    }
    if (!controller.signal.aborted) render();
  }

  /** "Cancel order", confirmed in a dialog: the unpaid order ends and its items are released. */
  function cancelControl() {
    if (!order.payment.can_cancel) return null;
    const dialog = el("dialog", { class: "confirm-dialog", "data-testid": "cancel-dialog", "aria-labelledby": "cancel-dialog-title" },
      el("h2", { id: "cancel-dialog-title", text: t("order.cancelQuestion", { number: orderNumber(order) }) }),
      el("p", { text: t("order.released") }),
      el("div", { class: "dialog-actions" },
        el("button", { type: "button", class: "button button-danger", "data-testid": "confirm-cancel", onclick: () => cancelOrder(dialog) }, t("order.cancelOrder")),
        el("button", { type: "button", class: "button button-quiet", "data-testid": "keep-order", onclick: () => dialog.close() }, t("order.keep"))));
    return [
      el("button", {
        type: "button", class: "button button-quiet", "data-testid": "cancel-order", disabled: cancelling,
        onclick: () => dialog.showModal(),
      }, cancelling ? t("order.cancelling") : t("order.cancelOrder")),
      cancelError ? el("p", { class: "form-error", role: "alert", "data-testid": "cancel-error", text: cancelError }) : null,
      dialog,
    ];
  }

  async function cancelOrder(dialog) {
    dialog.close();
    if (cancelling) return;
    cancelling = true;
    cancelError = "";
    render();
    try {
      order = await api.cancelOrder(order.order_id);
      announce(t("order.cancelledAnnounce"));
    } catch (err) {
      cancelError = err instanceof ApiError && err.status === 409
        ? t("order.cannotCancel")
        : err instanceof ApiError ? err.message : t("order.generic");
      try { order = await api.order(order.order_id); } catch { /* keep what we have */ }
    } finally {
      cancelling = false;
    }
    if (!controller.signal.aborted) render();
  }

  function checkAgain() {
    waited = false;
    wasPending = true;
    render();
    fetchOrder();
  }

  function timeline() {
    const entries = shopperTimeline(order.timeline).map((entry) => el("li", {
      // Past steps are plain; only how the payment ended gets a colour.
      class: `timeline-entry timeline-${entry.status === "pending_payment" || !entry.status ? "neutral" : statusTone(entry.status)}`,
      "data-testid": "timeline-entry", "data-status": entry.status || entry.kind || "",
    },
      el("span", { class: "timeline-label", text: timelineLabel(entry) }),
      entry.at ? el("time", { class: "muted", datetime: entry.at, text: formatDate(entry.at) }) : null));
    if (order.status === "pending_payment") {
      entries.push(el("li", { class: "timeline-entry timeline-next", "data-testid": "timeline-next" },
        el("span", { class: "timeline-label", text: t("order.payment") }),
        el("span", { class: "muted", text: t("order.waiting") })));
    }
    return el("ol", { class: "timeline", "data-testid": "order-timeline" }, entries);
  }

  function vendorSections() {
    const byOffer = new Map(order.lines.map((l) => [l.offer_id, l]));
    return order.vendors.map((group) => {
      const headingId = uniqueId("order-vendor");
      const lines = group.offer_ids.length ? group.offer_ids.map((id) => byOffer.get(id)).filter(Boolean)
        : order.lines.filter((l) => l.vendor_id === group.vendor_id);
      return el("section", { class: "panel vendor-group", "data-testid": "order-vendor", "data-vendor-id": group.vendor_id, "aria-labelledby": headingId },
        el("div", { class: "vendor-group-head" },
          el("h2", { id: headingId, class: "vendor-name" }, el("span", { class: "muted", text: `${t("order.from")} ` }),
            el("span", { "data-testid": "order-vendor-name", text: vendorLabel(group.vendor_id, names) })),
          // A vendor's own progress (shipped, delivered...) once it differs from the order's.
          group.status !== order.status && group.status !== "pending_payment" ? statusBadge(group.status, "order-vendor-status") : null),
        el("ul", { class: "cart-line-list" }, lines.map((line) => el("li", { class: "cart-line order-line", "data-testid": "order-line", "data-offer-id": line.offer_id },
          el("div", { class: "line-main" },
            el("a", { class: "line-title", href: `#/product/${encodeURIComponent(line.product_id)}`, text: line.title }),
            el("p", { class: "line-meta muted" },
              line.condition ? el("span", { class: `condition condition-${line.condition}`, "data-testid": "order-line-condition", text: conditionLabel(line.condition) }) : null,
              line.condition ? " · " : null,
              `${line.quantity} × ${formatMoney(line.unit_price)}`)),
          (group.cancelled_offer_ids || []).includes(line.offer_id)
            ? el("p", { class: "line-cancelled", "data-testid": "order-line-cancelled", text: t("order.lineCancelled") }) : null,
          el("p", { class: "line-subtotal", "data-testid": "order-line-subtotal", "data-amount": line.subtotal.amount, text: formatMoney(line.subtotal) })))),
        parcel(group),
        contactVendorLink(order, group),
        el("dl", { class: "vendor-totals" },
          group.discount.amount ? amountRow(t("cart.discount"), negative(group.discount), "order-vendor-discount") : null,
          amountRow(t("cart.shipping"), group.shipping, "order-vendor-shipping", { free: true }),
          amountRow(t("order.vendorTotal"), group.total, "order-vendor-total", { strong: true })));
    });
  }

  /** The parcel's tracking once shipped, and t("order.received") until the shopper confirmed it. */
  function parcel(group) {
    if (!group.shipment && !group.receipt_confirmed_at) return null;
    const shipment = group.shipment;
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "receipt-error", text: receiptErrors[group.vendor_id] || "" });
    const button = group.can_confirm_receipt ? el("button", {
      type: "button", class: "button", "data-testid": "confirm-receipt",
      onclick: () => confirmParcel(group, button),
    }, t("order.received")) : null;
    return el("div", { class: "parcel", "data-testid": "order-parcel" },
      shipment ? el("p", { "data-testid": "order-shipment" },
        `${t("order.shippedWith", { date: group.shipped_at ? formatDate(group.shipped_at) : "", carrier: shipment.carrier }).replace(/\s+/g, " ")} `,
        el("a", { href: shipment.tracking_url, target: "_blank", rel: "noopener noreferrer", "data-testid": "tracking-link",
          text: shipment.tracking_number })) : null,
      group.receipt_confirmed_at
        ? el("p", { class: "muted", "data-testid": "receipt-confirmed", text: t("order.receiptConfirmed", { date: formatDate(group.receipt_confirmed_at) }) })
        : button,
      error);
  }

  async function confirmParcel(group, button) {
    button.disabled = true;
    receiptErrors[group.vendor_id] = "";
    try {
      await confirmReceipt(order.order_id, group.vendor_id);
      announce(t("order.receiptAnnounce"));
      order = await api.order(orderId, { signal: controller.signal });
    } catch (err) {
      if (err.name === "AbortError") return;
      receiptErrors[group.vendor_id] = err.message;
    }
    render();
  }

  function totals() {
    const sums = order.totals;
    const count = order.lines.reduce((n, l) => n + l.quantity, 0);
    return el("dl", { class: "quote", "data-testid": "order-totals" },
      amountRow(t("cart.itemsCount", { items: itemsText(count) }), sums.items, "order-items"),
      sums.discount.amount ? amountRow(t("cart.discounts"), negative(sums.discount), "order-discount") : null,
      amountRow(t("cart.shipping"), sums.shipping, "order-shipping", { free: true }),
      amountRow(t("cart.serviceFee"), sums.service_fee, "order-service-fee"),
      amountRow(t("cart.total"), sums.total, "order-total", { strong: true, total: true }),
      amountRow(t("order.includesVat", { rate: percent(sums.vat_rate_bps) }), sums.vat_included, "order-vat", { sub: true }),
      order.payment.refunded.amount ? amountRow(t("order.refunded"), order.payment.refunded, "order-refunded") : null);
  }

  return {
    cleanup: () => {
      controller.abort();
      window.clearTimeout(timer);
    },
  };
}

/** Before delivery the country is where it goes; "delivered" only once every vendor delivered. */
function destinationText(order) {
  const vendors = order.vendors || [];
  const delivered = vendors.length > 0 && vendors.every((v) => v.status === "delivered" || v.delivered_at);
  return t(delivered ? "order.deliveredTo" : "order.deliveryTo", { country: countryName(order.country) });
}

export function addressBlock(address) {
  const lines = [
    address.name, address.line1, address.line2,
    `${address.postal_code} ${address.city}`.trim(), countryName(address.country), address.phone,
  ].filter(Boolean);
  return el("address", { class: "delivery-address", "data-testid": "delivery-address" },
    lines.map((text, i) => [i ? el("br") : null, text]));
}

function backLink() {
  return el("a", { class: "back-link", href: "#/orders", "data-testid": "back-to-orders" }, "← My orders");
}

// --- the list ------------------------------------------------------------------------------

export function renderOrders(main) {
  if (!requireShopper(main, { view: "orders", title: t("app.myOrders"), what: t("order.what") })) return {};
  document.title = t("order.listPageTitle");
  const controller = new AbortController();
  let cursor = null;
  let shown = 0;
  const status = el("p", { class: "result-status", "data-testid": "orders-status", "aria-live": "polite", text: t("order.listLoading") });
  const body = el("tbody", {});
  const table = el("table", { class: "orders-table", "data-testid": "orders-table", hidden: true },
    el("caption", { class: "visually-hidden", text: t("order.caption") }),
    el("thead", {}, el("tr", {}, ["order", "placed", "items", "total", "status"].map((h) => el("th", { scope: "col", class: h === "total" ? "num" : null, text: t(`order.col.${h}`) })))),
    body);
  const more = el("button", { type: "button", class: "button button-quiet", "data-testid": "orders-more", hidden: true, onclick: () => load() }, t("order.older"));
  mount(main, el("div", { class: "account-page", "data-view": "orders" },
    el("h1", { text: t("order.account") }),
    accountTabs("orders"),
    el("section", { class: "panel", "aria-labelledby": "orders-title" },
      el("h2", { id: "orders-title", text: t("order.myOrders") }),
      status, table, el("div", { class: "load-more-row" }, more))));

  load();

  async function load() {
    more.disabled = true;
    try {
      const page = await api.orders({ limit: PAGE_SIZE, cursor }, { signal: controller.signal });
      for (const order of page.items) body.append(orderRow(order));
      shown += page.items.length;
      cursor = page.next_cursor;
      table.hidden = shown === 0;
      more.hidden = !cursor;
      if (shown === 0) mount(status, t("order.noOrders"), " ", el("a", { href: "#/", text: t("cart.browse") }));
      else status.textContent = `${shown === 1 ? "1 order" : `${shown} orders`}${cursor ? " so far" : ""}.`;
    } catch (err) {
      if (err.name === "AbortError") return;
      if (err instanceof ApiError && err.status === 401) mount(status, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else status.textContent = err.message;
      status.classList.add("error-text");
    } finally {
      more.disabled = false;
    }
  }

  return { cleanup: () => controller.abort() };
}

function orderRow(order) {
  const count = order.lines.reduce((n, l) => n + l.quantity, 0);
  const href = `#/orders/${encodeURIComponent(order.order_id)}`;
  return el("tr", { "data-testid": "order-row", "data-order-id": order.order_id, "data-status": order.status },
    el("th", { scope: "row", "data-label": t("order.col.order") }, el("a", { href, "data-testid": "order-link", title: order.order_id, text: orderNumber(order) })),
    el("td", { "data-label": t("order.col.placed"), text: formatDate(order.created_at) }),
    el("td", { "data-label": t("order.col.items"), text: itemsText(count) }),
    el("td", { class: "num", "data-label": t("order.col.total"), "data-testid": "order-row-total", "data-amount": order.totals.total.amount, text: formatMoney(order.totals.total) }),
    el("td", { "data-label": t("order.col.status") }, statusBadge(order.status, "order-row-status")));
}
