// The cart: lines grouped by vendor, what changed since each line was added, the quote for
// the chosen delivery country (items, shipping per vendor, discounts, service fee, VAT
// included, total: every amount before paying), the delivery address (one of the address
// book's, or a new one the API checks field by field and keeps for next time) and the Pay button.
//
// Paying sends POST /checkout with an Idempotency-Key made once per checkout attempt: a
// double-click sends nothing more (the button is disabled while the request is in flight),
// and retrying after a lost answer or a "still in progress" reuses the same key, so the
// shopper can never place the same order twice.

import { ApiError, api } from "../api.js";
import { noteCart } from "../cart-state.js";
import { DELIVERY_COUNTRIES, countryName, countryOptions, learnCountries, preferredCountry, savePreferredCountry } from "../countries.js";
import { announce, el, mount, uniqueId } from "../dom.js";
import { conditionLabel } from "../labels.js";
import { declineAdvice, declineText, isDecline } from "../declines.js";
import { formatMoney } from "../money.js";
import { getSession } from "../session.js";
import { rememberVendors, vendorLabel } from "../vendors.js";
import { amountRow, itemsText, negative, percent } from "./amounts.js";
import { t } from "../i18n.js";
import { cardLabel } from "./cards.js";
import { promotedPrice } from "./struck.js";
import { requireShopper, signInHref } from "./guard.js";
import { payWithSavedCard, rememberPayment } from "./orders.js";

const AUTO_RETRIES = 4; // "still in progress" answers retried on their own, each after its Retry-After

/** A UUID for the Idempotency-Key; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newIdempotencyKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Where the payment page sends the shopper back (it adds ?payment_intent=..&redirect_status=..). */
function returnUrl() {
  return `${window.location.origin}${window.location.pathname}#/payment-return`;
}

export function renderCart(main) {
  if (!requireShopper(main, { view: "cart", title: t("cart.title"), what: t("cart.what") })) return {};
  document.title = t("cart.pageTitle");

  const controller = new AbortController();
  let country = preferredCountry();
  let cart = null;
  let quote = null;
  let quoteError = null;
  let cards = [];
  let choice = "new"; // "new" or a saved card's id
  let saveCard = false;
  let busy = false; // a cart change in flight
  let paying = false; // a checkout in flight
  let attempt = null; // {key, body}: the current checkout attempt (see pay())
  let checkoutError = null; // {message, items: [text], fields}
  let stripeHandoff = null; // the answer to show when the provider has no payment page (Stripe.js)
  let retryTimer = null;
  let addresses = []; // the address book, most recently used first
  let addressChoice = "new"; // "new" or a saved address's id
  const draft = { name: getSession()?.user?.name || "", line1: "", line2: "", postal_code: "", city: "", phone: "" };

  mount(main, el("div", { class: "cart-page", "data-view": "cart", "aria-busy": "true" },
    el("h1", { text: t("cart.title") }),
    el("p", { class: "result-status", "data-testid": "cart-loading", text: t("cart.loading") })));

  // The address book decides the delivery country (a saved address's), so the first quote waits for it.
  const addressBookRead = api.addresses({ signal: controller.signal })
    .then((body) => {
      addresses = body.items || [];
      const latest = addresses.find((a) => DELIVERY_COUNTRIES.includes(a.country));
      if (latest) {
        addressChoice = latest.address_id;
        country = latest.country;
        prefill(latest);
      }
    })
    .catch(() => { /* no address book: the shopper types the address */ });

  load();
  api.paymentMethods({ signal: controller.signal })
    .then((body) => {
      cards = body.items || [];
      if (cards.length && choice === "new") choice = cards[0].id;
      if (cart) render();
    })
    .catch(() => { /* no saved cards to offer; paying with a new card still works */ });

  async function load({ quoteOnly = false } = {}) {
    try {
      if (!quoteOnly) cart = noteCart(await api.cart({ signal: controller.signal }));
      await addressBookRead;
      rememberVendors(cart.lines);
      await loadQuote();
      render();
    } catch (err) {
      if (err.name === "AbortError") return;
      showLoadError(err);
    }
  }

  // Quotes can be in flight at once (the page's first one, then a country the shopper picked): only the
  // latest asked may land, or a slower answer for the previous country would show under the new one.
  let quoteTicket = 0;

  async function loadQuote() {
    const ticket = ++quoteTicket;
    quote = null;
    quoteError = null;
    if (!cart || !cart.lines.length) return;
    try {
      const answer = await api.quote(country, { signal: controller.signal });
      if (ticket === quoteTicket) quote = answer;
    } catch (err) {
      if (err.name === "AbortError") throw err;
      if (ticket !== quoteTicket) return;
      if (err instanceof ApiError && err.status === 400 && learnCountries(err)) {
        country = countryOptions()[0].code;
        const answer = await api.quote(country, { signal: controller.signal });
        if (ticket === quoteTicket) quote = answer;
        return;
      }
      quoteError = err;
    }
  }

  function showLoadError(err) {
    const expired = err instanceof ApiError && err.status === 401;
    mount(main, el("section", { class: "cart-page notice", "data-view": "cart" },
      el("h1", { text: t("cart.title") }),
      el("p", { role: "alert", "data-testid": "cart-error", text: expired ? t("common.sessionEnded") : err.message }),
      expired ? el("a", { class: "button", href: signInHref(), text: t("common.signInAgain") }) : null));
  }

  // --- rendering ----------------------------------------------------------------------

  function render() {
    const focusKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focusKey : null;
    const empty = !cart.lines.length;
    mount(main, el("div", { class: "cart-page", "data-view": "cart", "data-testid": "cart", "aria-busy": String(busy) },
      el("div", { class: "page-head" },
        el("h1", {}, t("cart.title"), " ", empty ? null : el("span", { class: "count", "data-testid": "cart-item-count", text: `(${itemsText(cart.item_count)})` })),
        el("a", { class: "back-link", href: "#/", text: `← ${t("auth.continueShopping")}` }),
        // On a phone the lines come first: one tap reaches the address and Pay instead of a long scroll.
        empty ? null : el("a", { class: "button jump-to-pay", href: "#delivery-title", "data-testid": "jump-to-pay",
          onclick: jumpToCheckout }, t("cart.jumpToPay"))),
      empty ? emptyCart() : el("div", { class: "cart-body" },
        el("div", { class: "cart-lines" },
          changesNotice(),
          vendorGroups()),
        el("aside", { class: "cart-summary", "aria-labelledby": "summary-title" },
          summary(),
          deliveryPanel(),
          checkoutPanel()))));
    if (focusKey) main.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  function jumpToCheckout(event) {
    event.preventDefault(); // the hash is the router's
    const heading = document.getElementById("delivery-title");
    if (!heading) return;
    heading.setAttribute("tabindex", "-1");
    heading.scrollIntoView({ block: "start" });
    heading.focus({ preventScroll: true });
  }

  function emptyCart() {
    return el("section", { class: "notice", "data-testid": "cart-empty" },
      el("p", { text: t("cart.empty") }),
      el("a", { class: "button", href: "#/", text: t("cart.browse") }));
  }

  function changesNotice() {
    const changes = cart.changes || [];
    if (!changes.length) return null;
    const titles = Object.fromEntries(cart.lines.map((l) => [l.offer_id, l.title]));
    return el("section", { class: "cart-changes", role: "alert", "data-testid": "cart-changes" },
      el("h2", { text: t("cart.changedTitle") }),
      el("ul", {}, changes.map((c) => el("li", { "data-testid": "cart-change", "data-offer-id": c.offer_id, "data-reason": c.reason },
        el("strong", { text: titles[c.offer_id] || t("cart.anItem") }), `: ${changeText(c)}`))),
      el("p", { class: "muted", text: t("cart.paused") }),
      el("button", {
        type: "button", class: "button", "data-testid": "accept-changes", "data-focus-key": "accept-changes", disabled: busy,
        onclick: acceptChanges,
      }, t("cart.updateMyCart")));
  }

  function vendorGroups() {
    const groups = new Map();
    for (const line of cart.lines) {
      if (!groups.has(line.vendor_id)) groups.set(line.vendor_id, { name: line.vendor_name || vendorLabel(line.vendor_id), lines: [] });
      groups.get(line.vendor_id).lines.push(line);
    }
    const quoted = new Map(((quote && quote.vendors) || []).map((v) => [v.vendor_id, v]));
    return [...groups.entries()].map(([vendorId, group]) => {
      const priced = quoted.get(vendorId);
      const headingId = uniqueId("vendor");
      return el("section", { class: "panel vendor-group", "data-testid": "cart-vendor", "data-vendor-id": vendorId, "aria-labelledby": headingId },
        el("h2", { id: headingId, class: "vendor-name" }, el("span", { class: "muted", text: `${t("cart.soldBy")} ` }),
          el("span", { "data-testid": "cart-vendor-name", text: group.name })),
        el("ul", { class: "cart-line-list" }, group.lines.map(lineItem)),
        priced ? el("dl", { class: "vendor-totals" },
          amountRow(t("cart.items"), priced.items, "vendor-items"),
          priced.discount.amount ? amountRow(t("cart.discount"), negative(priced.discount), "vendor-discount") : null,
          amountRow(t("cart.shipping"), priced.shipping, "vendor-shipping", { free: true }),
          amountRow(t("cart.fromVendor", { vendor: group.name }), priced.total, "vendor-total", { strong: true })) : null);
    });
  }

  function lineItem(line) {
    const changes = (cart.changes || []).filter((c) => c.offer_id === line.offer_id);
    const gone = changes.some((c) => c.reason === "gone") || !line.in_stock;
    const quantityId = uniqueId("qty");
    const most = Math.max(line.max_quantity, 0);
    const options = Array.from({ length: Math.max(most, line.quantity) }, (_, i) => i + 1);
    const select = el("select", {
      id: quantityId, name: "quantity", class: "qty-select", "data-testid": "line-quantity",
      "data-focus-key": `qty-${line.offer_id}`, disabled: busy || paying || gone,
      onchange: () => setQuantity(line, Number(select.value)),
    }, options.map((n) => el("option", { value: n, selected: n === line.quantity, disabled: n > most, text: String(n) })));
    return el("li", { class: `cart-line${changes.length ? " cart-line-changed" : ""}`, "data-testid": "cart-line", "data-offer-id": line.offer_id },
      el("div", { class: "line-main" },
        el("a", { class: "line-title", href: `#/product/${encodeURIComponent(line.product_id)}`, "data-testid": "line-title", text: line.title }),
        el("p", { class: "line-meta muted" },
          line.condition ? el("span", { class: `condition condition-${line.condition}`, "data-testid": "line-condition", text: conditionLabel(line.condition) }) : null,
          line.condition ? " · " : null,
          line.promoted_unit_price ? promotedPrice(line.promoted_unit_price, line.unit_price, "line-unit-price")
            : el("span", { "data-testid": "line-unit-price", "data-amount": line.unit_price.amount, text: formatMoney(line.unit_price) }), ` ${t("cart.each")} · `,
          line.shipping_fee.amount ? t("cart.feeShipping", { fee: formatMoney(line.shipping_fee) }) : t("cart.freeShipping"), " · ",
          stockText(line)),
        changes.map((c) => el("p", { class: "line-change", "data-testid": "line-change", "data-reason": c.reason, text: changeText(c) }))),
      el("div", { class: "line-controls" },
        el("label", { for: quantityId, class: "visually-hidden", text: t("cart.quantityOf", { title: line.title }) }),
        gone ? el("span", { class: "stock stock-out", text: t("cart.unavailable") }) : select,
        el("button", {
          type: "button", class: "button button-quiet button-small", "data-testid": "line-remove",
          "data-focus-key": `remove-${line.offer_id}`, disabled: busy || paying,
          "aria-label": t("cart.removeTitle", { title: line.title }), onclick: () => removeLine(line),
        }, t("cart.remove"))),
      el("p", { class: "line-subtotal", "data-testid": "line-subtotal", "data-amount": line.subtotal.amount, text: formatMoney(line.subtotal) }));
  }

  function summary() {
    const select = el("select", {
      id: uniqueId("country"), name: "country", "data-testid": "country-select", "data-focus-key": "country",
      disabled: busy || paying, onchange: () => changeCountry(select.value),
    }, countryOptions().map((c) => el("option", { value: c.code, selected: c.code === country, text: c.name })));
    const head = [
      el("h2", { id: "summary-title", text: t("cart.summary") }),
      el("div", { class: "field" },
        el("label", { for: select.id, text: t("cart.deliverTo") }),
        select,
        el("p", { class: "field-hint", text: t("cart.vatCountry") }),
        el("p", { class: "field-error", "data-field": "country", "data-testid": "field-error-country",
          text: checkoutError && checkoutError.fields.country ? checkoutError.fields.country : "" })),
    ];
    if (quoteError) {
      return [...head, el("p", { class: "form-error", role: "alert", "data-testid": "quote-error", text: quoteError.message })];
    }
    if (!quote) return head;
    const shippingLines = quote.vendors.map((v) => amountRow(vendorName(v.vendor_id), v.shipping, "quote-vendor-shipping",
      { free: true, sub: true, attrs: { "data-vendor-id": v.vendor_id } }));
    return [...head,
      el("dl", { class: "quote", "data-testid": "quote", "data-country": quote.country },
        amountRow(t("cart.itemsCount", { items: itemsText(quote.vendors.reduce((n, v) => n + v.lines.reduce((m, l) => m + l.quantity, 0), 0)) }), quote.items, "quote-items"),
        quote.discount.amount ? amountRow(t("cart.discounts"), negative(quote.discount), "quote-discount") : null,
        amountRow(quote.vendors.length > 1 ? t("cart.shippingFrom", { count: quote.vendors.length }) : t("cart.shipping"), quote.shipping, "quote-shipping", { free: true }),
        quote.vendors.length > 1 ? shippingLines : null,
        amountRow(t("cart.serviceFee"), quote.service_fee, "quote-service-fee"),
        amountRow(t("cart.total"), quote.total, "quote-total", { strong: true, total: true }),
        amountRow(t("cart.includesVat", { rate: percent(quote.vat_rate_bps), country: countryName(quote.country) }), quote.vat_included, "quote-vat", { sub: true })),
      el("p", { class: "vat-note", text: t("cart.vatNote") }),
    ];
  }

  function fieldError(name) {
    return (checkoutError && checkoutError.fields[name]) || "";
  }

  /** Where the parcels go: a saved address, or a new one (its country is the t("cart.deliverTo") above). */
  function deliveryPanel() {
    const saved = addresses.filter((a) => DELIVERY_COUNTRIES.includes(a.country));
    return el("section", { class: "delivery", "aria-labelledby": "delivery-title", "data-testid": "delivery" },
      el("h2", { id: "delivery-title", text: t("cart.addressTitle") }),
      saved.length ? addressChoices(saved) : null,
      addressChoice === "new" ? addressForm() : null,
      el("p", { class: "field-error", "data-field": "address", "data-testid": "field-error-address", text: fieldError("address") }));
  }

  function addressChoices(saved) {
    const radio = (value, label) => {
      const id = uniqueId("ship-to");
      return el("div", { class: "choice" },
        el("input", {
          type: "radio", name: "address_id", id, value, checked: addressChoice === value, disabled: paying || busy,
          "data-testid": value === "new" ? "address-new" : "address-saved", "data-address-id": value === "new" ? null : value,
          "data-focus-key": `address-${value}`, onchange: () => chooseAddress(value),
        }),
        el("label", { for: id, text: label }));
    };
    return el("fieldset", { class: "field choices address-choices", "data-testid": "address-choices" },
      el("legend", { text: t("cart.shipTo") }),
      saved.map((a) => radio(a.address_id, `${a.name}, ${a.line1}, ${a.postal_code} ${a.city}, ${countryName(a.country)}`)),
      radio("new", "A new address"),
      el("p", { class: "field-error", "data-field": "address_id", "data-testid": "field-error-address_id", text: fieldError("address_id") }));
  }

  function addressForm() {
    const input = (name, label, { autocomplete, wide = false, optional = false, hint = null, type = "text" } = {}) => {
      const id = uniqueId(`address-${name}`);
      const error = fieldError(`address.${name}`);
      const control = el("input", {
        type, id, name, autocomplete, value: draft[name], disabled: paying, "data-testid": `address-${name}`,
        "data-focus-key": `address-${name}`, "aria-invalid": error ? "true" : null, required: !optional,
        "aria-describedby": `${id}-error`,
        oninput: (event) => { draft[name] = event.target.value; },
      });
      return el("div", { class: `field${wide ? " field-wide" : ""}` },
        el("label", { for: id, text: optional ? t("cart.optional", { label }) : label }),
        control,
        hint ? el("p", { class: "field-hint", text: hint }) : null,
        el("p", { class: "field-error", id: `${id}-error`, "data-field": `address.${name}`,
          "data-testid": `field-error-address.${name}`, text: error }));
    };
    return el("div", { class: "address-form", "data-testid": "address-form" },
      input("name", t("cart.fullName"), { autocomplete: "name", wide: true }),
      input("line1", t("cart.street"), { autocomplete: "address-line1", wide: true }),
      input("line2", t("cart.line2"), { autocomplete: "address-line2", wide: true, optional: true }),
      input("postal_code", t("cart.postalCode"), { autocomplete: "postal-code" }),
      input("city", t("cart.city"), { autocomplete: "address-level2" }),
      el("p", { class: "field-hint field-wide", "data-testid": "address-country" },
        t("cart.countryNote", { country: countryName(country) })),
      el("p", { class: "field-error field-wide", "data-field": "address.country", "data-testid": "field-error-address.country",
        text: fieldError("address.country") }),
      input("phone", t("cart.phone"), { autocomplete: "tel", type: "tel", wide: true, optional: true,
        hint: t("cart.phoneHint") }));
  }

  function prefill(address) {
    for (const key of Object.keys(draft)) draft[key] = address[key] || "";
  }

  function chooseAddress(value) {
    addressChoice = value;
    checkoutError = null;
    const chosen = addresses.find((a) => a.address_id === value);
    if (chosen) {
      prefill(chosen); // "A new address" then starts from the last one chosen
      if (chosen.country !== country) { changeCountry(chosen.country); return; }
    }
    render();
  }

  function checkoutPanel() {
    const ready = quote && quote.can_checkout && !busy;
    const errorBox = el("div", { class: "form-error", role: "alert", "data-testid": "checkout-error" },
      checkoutError ? [
        el("p", { text: checkoutError.message }),
        checkoutError.items.length ? el("ul", {}, checkoutError.items.map((t) => el("li", { text: t }))) : null,
      ] : null);
    const payLabel = paying ? t("cart.placing") : quote ? t("cart.payAmount", { amount: formatMoney(quote.total) }) : t("cart.pay");
    return el("section", { class: "checkout", "aria-labelledby": "checkout-title", "data-testid": "checkout" },
      el("h2", { id: "checkout-title", text: t("cart.payment") }),
      cards.length ? cardChoices() : null,
      choice === "new" ? el("div", { class: "field field-check" },
        el("input", {
          type: "checkbox", id: "save-card", name: "save_card", checked: saveCard, "data-testid": "save-card",
          disabled: paying, onchange: (event) => { saveCard = event.target.checked; },
        }),
        el("label", { for: "save-card", text: t("cart.saveCard") })) : null,
      errorBox,
      stripeHandoff ? stripePlaceholder() : null,
      el("button", {
        type: "button", class: "button button-wide button-pay", "data-testid": "pay-button", "data-focus-key": "pay",
        disabled: !ready || paying, "aria-busy": paying ? "true" : null, onclick: pay,
      }, payLabel),
      el("p", { class: "field-hint checkout-hint", text: quote && !quote.can_checkout
        ? t("cart.updateFirst")
        : choice === "new"
          ? t("cart.enterCardLater")
          : t("cart.savedCharged") }));
  }

  function cardChoices() {
    const radio = (value, label) => {
      const id = uniqueId("pay-with");
      return el("div", { class: "choice" },
        el("input", {
          type: "radio", name: "payment_method_id", id, value, checked: choice === value, disabled: paying,
          "data-testid": value === "new" ? "pay-new-card" : "pay-saved-card", "data-card-id": value === "new" ? null : value,
          onchange: () => { choice = value; render(); },
        }),
        el("label", { for: id, text: label }));
    };
    return el("fieldset", { class: "field choices", "data-testid": "card-choices" },
      el("legend", { text: t("cart.payWith") }),
      cards.map((card) => radio(card.id, cardLabel(card))),
      radio("new", t("cart.newCard")),
      el("p", { class: "field-error", "data-field": "payment_method_id", "data-testid": "field-error-payment_method_id",
        text: checkoutError && checkoutError.fields.payment_method_id ? checkoutError.fields.payment_method_id : "" }));
  }

  function stripePlaceholder() {
    return el("div", { class: "notice-inline stripe-placeholder", "data-testid": "stripe-placeholder" },
      el("p", {}, el("strong", { text: t("cart.stripeMount") })),
      el("p", { class: "muted", text: t("cart.stripeWaits", { payment: stripeHandoff.payment.payment_intent_id, key: stripeHandoff.payment.publishable_key || t("cart.notSet") }) }),
      el("a", { href: `#/orders/${encodeURIComponent(stripeHandoff.order.order_id)}`, "data-testid": "stripe-order-link", text: t("cart.seeOrder") }));
  }

  // --- actions ------------------------------------------------------------------------

  async function change(work, successMessage) {
    if (busy) return;
    busy = true;
    checkoutError = null;
    render();
    try {
      cart = noteCart(await work());
      rememberVendors(cart.lines);
      await loadQuote();
      if (successMessage) announce(successMessage);
    } catch (err) {
      if (err.name === "AbortError") return;
      checkoutError = describe(err);
      // The cart may have changed under us (stock, price): show it as it is now.
      try { cart = noteCart(await api.cart({ signal: controller.signal })); await loadQuote(); } catch { /* keep what we have */ }
    } finally {
      busy = false;
    }
    render();
  }

  function setQuantity(line, quantity) {
    change(() => api.setCartLine(line.offer_id, quantity), `${line.title}: quantity ${quantity}.`);
  }

  function removeLine(line) {
    change(() => api.removeCartLine(line.offer_id), `${line.title} removed from your cart.`);
  }

  /** Re-setting a line accepts its new terms; a line that cannot be bought any more is removed. */
  function acceptChanges() {
    change(async () => {
      let latest = cart;
      const byOffer = new Map();
      for (const c of cart.changes || []) byOffer.set(c.offer_id, [...(byOffer.get(c.offer_id) || []), c]);
      for (const [offerId, changes] of byOffer) {
        const line = cart.lines.find((l) => l.offer_id === offerId);
        const soldOut = changes.find((c) => c.reason === "out_of_stock");
        const left = soldOut ? soldOut.available || 0 : line ? line.quantity : 0;
        const quantity = Math.min(line ? line.quantity : 0, left, line ? line.max_quantity : 0);
        const gone = !line || changes.some((c) => c.reason === "gone") || quantity <= 0;
        latest = gone ? await api.removeCartLine(offerId) : await api.setCartLine(offerId, quantity);
      }
      return latest;
    }, t("cart.currentPrices"));
  }

  async function changeCountry(code) {
    const chosen = addresses.find((a) => a.address_id === addressChoice);
    if (chosen && chosen.country !== code) addressChoice = "new"; // that address is in another country
    country = code;
    savePreferredCountry(code);
    busy = true;
    checkoutError = null;
    render();
    try {
      await loadQuote();
    } catch (err) {
      if (err.name !== "AbortError") quoteError = err;
    } finally {
      busy = false;
    }
    render();
    if (quote) announce(t("cart.deliveryTo", { country: countryName(code), total: formatMoney(quote.total) }));
  }

  /**
   * One checkout attempt. Its key is made on the first press and kept while the same request
   * may be retried (lost answer, provider busy, "still in progress"); anything the shopper
   * changes (country, card choice, cart) starts a new attempt with a new key.
   */
  async function pay() {
    if (paying || !quote || !quote.can_checkout) return; // a double-click never sends a second request
    const body = { save_card: choice === "new" && saveCard, return_url: returnUrl() };
    if (addressChoice === "new") {
      // Sent as typed: the API checks each field for the country and names the wrong ones.
      body.address = { country };
      for (const [key, value] of Object.entries(draft)) if (String(value).trim()) body.address[key] = String(value).trim();
    } else {
      body.address_id = addressChoice;
    }
    if (choice !== "new") body.payment_method_id = choice;
    const signature = JSON.stringify(body);
    if (!attempt || attempt.signature !== signature) attempt = { key: newIdempotencyKey(), signature };
    paying = true;
    checkoutError = null;
    stripeHandoff = null;
    render();
    let keepAttempt = false;
    try {
      const result = await sendCheckout(body, attempt.key);
      attempt = null;
      await handOff(result, body);
      return;
    } catch (err) {
      // Retrying these is safe with the same key: the server replays or finishes the same order.
      keepAttempt = !(err instanceof ApiError) || err.code === "network_error" || err.status >= 500
        || (err.status === 409 && err.retryAfter !== null && err.code !== "cart_changed");
      checkoutError = describe(err);
      if (err instanceof ApiError && (err.code === "cart_changed" || err.status === 402 || err.code === "insufficient_stock")) {
        try { cart = noteCart(await api.cart({ signal: controller.signal })); await loadQuote(); } catch { /* keep */ }
      }
    } finally {
      paying = false;
      if (!keepAttempt && checkoutError) attempt = null;
    }
    if (!controller.signal.aborted) {
      render();
      const firstInvalid = main.querySelector('.address-form [aria-invalid="true"]');
      if (firstInvalid) firstInvalid.focus(); // keyboard users land on the field to correct
      else main.querySelector('[data-testid="checkout-error"]')?.scrollIntoView({ block: "nearest" });
    }
  }

  /** POST /checkout, waiting out "already in progress" answers with the same key. */
  async function sendCheckout(body, key) {
    for (let tries = 0; ; tries += 1) {
      try {
        return await api.checkout(body, key);
      } catch (err) {
        const inProgress = err instanceof ApiError && err.status === 409 && err.retryAfter !== null && err.code !== "cart_changed";
        if (!inProgress || tries >= AUTO_RETRIES || controller.signal.aborted) throw err;
        await new Promise((resolve) => { retryTimer = window.setTimeout(resolve, Math.max(1, err.retryAfter) * 1000); });
      }
    }
  }

  async function handOff(result, body) {
    const { order, payment } = result;
    rememberPayment(payment.payment_intent_id, order.order_id);
    // A saved card is charged at checkout; its bank may ask to authenticate first (3-D Secure). A
    // resumed order (Back then Pay again, or a saved card declined before) was not charged by this
    // checkout: the chosen saved card pays that same order now.
    const resumed = payment.status === null || payment.status === undefined;
    if (body.payment_method_id && resumed) {
      await payWithSavedCard(order.order_id, body.payment_method_id, newIdempotencyKey());
      return;
    }
    const chargedNow = body.payment_method_id && payment.status !== "requires_action";
    if (chargedNow) {
      announce(t("cart.followingPayment"));
      window.location.hash = `#/orders/${encodeURIComponent(order.order_id)}?payment=processing`;
    } else if (payment.payment_page_url) {
      announce(payment.status === "requires_action" ? t("cart.bankConfirm") : t("cart.toPayment"));
      window.location.assign(payment.payment_page_url); // the local provider's card page
    } else if (body.payment_method_id) {
      window.location.hash = `#/orders/${encodeURIComponent(order.order_id)}?payment=processing`;
    } else {
      stripeHandoff = result; // real Stripe: Stripe.js would take over here
      render();
    }
  }

  function describe(err) {
    if (!(err instanceof ApiError)) return { message: t("cart.generic"), items: [], fields: {} };
    if (err.status === 401) return { message: t("cart.sessionEndedSignIn"), items: [], fields: {} };
    if (isDecline(err)) {
      // The saved card was declined: the order keeps its items; the shopper stays here to pay another way.
      const words = `${declineText(err.code)} ${t("cart.nothingCharged")}`;
      return { message: `${words} ${declineAdvice(err.code)} ${t("cart.chooseAnother")}`,
        items: [], fields: { payment_method_id: declineText(err.code) } };
    }
    const titles = Object.fromEntries((cart ? cart.lines : []).map((l) => [l.offer_id, l.title]));
    const items = [];
    const fields = {};
    for (const [name, text] of Object.entries(err.fields || {})) {
      const key = String(name).replace(/^body\./, "");
      if (key.startsWith("lines.")) items.push(`${titles[key.slice(6)] || t("cart.anItem")}: ${text}`);
      else if (key === "country" || key === "payment_method_id" || key === "address" || key === "address_id"
        || key.startsWith("address.")) fields[key] = text;
      else if (!String(err.message).toLowerCase().includes(String(text).toLowerCase())) items.push(`${key}: ${text}`);
    }
    const retry = err.code === "network_error" || err.status >= 500 ? ` ${t("cart.retry")}` : "";
    return { message: `${err.message}${retry}`, items, fields };
  }

  // --- small formatting helpers ---------------------------------------------------------

  function vendorName(vendorId) {
    const line = cart.lines.find((l) => l.vendor_id === vendorId);
    return (line && line.vendor_name) || vendorLabel(vendorId);
  }

  return {
    cleanup: () => {
      controller.abort();
      window.clearTimeout(retryTimer);
    },
  };
}

function stockText(line) {
  if (!line.in_stock) return el("span", { class: "stock stock-out", text: t("cart.soldOut") });
  if (line.available <= 5) return el("span", { class: "stock stock-low", text: t("product.onlyLeft", { count: line.available }) });
  return el("span", { class: "stock stock-in", text: t("cart.inStock") });
}

function changeText(change) {
  if (change.reason === "price_changed" && change.before && change.now) {
    return t("cart.priceChanged", { before: formatMoney(change.before), now: formatMoney(change.now) });
  }
  if (change.reason === "shipping_changed" && change.before && change.now) {
    return t("cart.shippingChanged", { before: formatMoney(change.before), now: formatMoney(change.now) });
  }
  return change.message;
}
