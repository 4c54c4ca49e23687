// One product: its description, attributes and every vendor's offer, cheapest
// total (price + delivery) first, with the best offer marked in words, not only colour.
// Signed-in shoppers add an offer to their cart from its row.

import { ApiError, api } from "../api.js";
import { isShopper, noteCart } from "../cart-state.js";
import { categoryName, humanize } from "../categories.js";
import { announce, el, mount, uniqueId } from "../dom.js";
import { conditionLabel } from "../labels.js";
import { formatMoney } from "../money.js";
import { promotedPrice, totalBefore } from "./struck.js";
import { getSession, onSessionChange } from "../session.js";
import { rememberVendors } from "../vendors.js";
import { LAST_CATALOGUE_KEY, productImage } from "./catalogue.js";
import { signInHref } from "./guard.js";

const LOW_STOCK = 5;
const MAX_PER_LINE = 10; // the API's per-line maximum (domain/pricing.py MAX_LINE_QUANTITY)

export function renderProduct(main, productId) {
  const controller = new AbortController();
  document.title = "Product · Halles";
  mount(main, el("div", { class: "product-page", "data-view": "product", "aria-busy": "true" },
    backLink(),
    el("p", { class: "result-status", "data-testid": "product-loading", text: "Loading product…" })));

  api.product(productId, { signal: controller.signal })
    .then(async (body) => {
      const category = body.product.category ? await categoryName(body.product.category) : "";
      rememberVendors(body.offers);
      showProduct(main, body, category);
    })
    .catch((err) => {
      if (err.name === "AbortError") return;
      const missing = err.status === 404;
      document.title = `${missing ? "Product not found" : "Error"} · Halles`;
      mount(main, el("div", { class: "product-page notice", "data-view": "product" },
        backLink(),
        el("h1", { text: missing ? "Product not found" : "This product could not be loaded" }),
        el("p", { role: "alert", "data-testid": "product-error", text: missing ? "It may have been removed by its vendors." : err.message })));
    });

  // Signing in or out in the header changes what each offer's buy cell offers.
  const stopWatching = onSessionChange(() => refreshBuyCells(main));
  return { cleanup: () => { controller.abort(); stopWatching(); } };
}

function backLink() {
  let href = "#/";
  try { href = window.sessionStorage.getItem(LAST_CATALOGUE_KEY) || "#/"; } catch { /* private mode */ }
  return el("a", { class: "back-link", href, "data-testid": "back-to-catalogue" }, "← Back to results");
}

/**
 * Offers by total price. The API already ranks them (ties broken by delivery speed);
 * a stable sort on the total keeps that order and keeps the page honest if it did not.
 */
export function sortOffers(offers) {
  return [...offers].sort((a, b) => a.total.amount - b.total.amount);
}

function showProduct(main, { product, offers = [], best_offer_id: bestId }, category) {
  const sorted = sortOffers(offers);
  const best = sorted.find((o) => o.offer_id === bestId) || sorted.find((o) => o.is_best) || null;
  document.title = `${product.title} · Halles`;

  mount(main, el("article", { class: "product-page", "data-view": "product", "data-testid": "product", "data-product-id": product.product_id },
    backLink(),
    el("div", { class: "product-hero" },
      el("div", { class: "product-media" }, productImage((product.images || [])[0], product.category, product.title)),
      el("div", { class: "product-summary" },
        category ? el("p", { class: "card-category", "data-testid": "product-category", text: category }) : null,
        el("h1", { class: "product-title", "data-testid": "product-title", text: product.title }),
        product.brand ? el("p", { class: "product-brand", "data-testid": "product-brand" }, "by ", el("strong", { text: product.brand })) : null,
        bestSummary(best, sorted.length),
        el("p", { class: "vat-note", text: "All prices include VAT. Delivery is charged per vendor." }))),
    el("div", { class: "product-details" },
      el("section", { class: "panel", "aria-labelledby": "description-title" },
        el("h2", { id: "description-title", text: "Description" }),
        el("p", { class: "description", "data-testid": "product-description", text: product.description || "No description yet." })),
      el("section", { class: "panel", "aria-labelledby": "attributes-title" },
        el("h2", { id: "attributes-title", text: "Details" }),
        attributeList(product))),
    offersSection(sorted, best)));
  main.focus({ preventScroll: true });
}

function bestSummary(best, count) {
  if (!best) {
    return el("div", { class: "best-summary best-summary-empty", "data-testid": "best-offer-summary" },
      el("p", { text: count ? "No vendor has this in stock right now." : "No vendor offers this product yet." }));
  }
  return el("div", { class: "best-summary", "data-testid": "best-offer-summary", "data-offer-id": best.offer_id },
    el("p", { class: "best-summary-label", text: count > 1 ? `Best of ${count} offers` : "Offer" }),
    el("p", { class: "best-summary-total" },
      promotedPrice(best.total, totalBefore(best), "best-offer-total", { class: "price-total" }),
      el("span", { class: "muted", text: " total" })),
    el("p", { class: "muted" }, `${formatMoney(best.price)} + ${shippingText(best.shipping_fee)} · from `, el("strong", { text: best.vendor_name }),
      ` · ${deliveryText(best.delivery)}`),
    count > 1 ? el("a", { href: "#offers", class: "jump-link", onclick: jumpToOffers }, `Compare all ${count} offers ↓`) : null);
}

function jumpToOffers(event) {
  // The hash is the router's; scroll without changing it.
  event.preventDefault();
  const target = document.getElementById("offers");
  if (target) {
    target.scrollIntoView({ behavior: "smooth", block: "start" });
    target.focus({ preventScroll: true });
  }
}

function attributeList(product) {
  const rows = Object.entries(product.attributes || {}).filter(([, v]) => v !== null && v !== undefined && v !== "");
  if (product.gtin) rows.push(["GTIN", product.gtin]);
  if (!rows.length) return el("p", { class: "muted", text: "No details listed." });
  return el("dl", { class: "attributes", "data-testid": "product-attributes" },
    rows.map(([key, value]) => el("div", { class: "attribute" },
      el("dt", { text: key === "GTIN" ? key : humanize(key) }),
      el("dd", { text: attributeValue(value) }))));
}

function attributeValue(value) {
  if (Array.isArray(value)) return value.map(attributeValue).join(", ");
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (value && typeof value === "object") {
    if ("amount" in value && "currency" in value) return formatMoney(value);
    return Object.entries(value).map(([k, v]) => `${humanize(k)}: ${attributeValue(v)}`).join(", ");
  }
  return String(value);
}

function offersSection(offers, best) {
  const heading = el("h2", { id: "offers-title" }, "Offers ", el("span", { class: "count", text: `(${offers.length})` }));
  if (!offers.length) {
    return el("section", { id: "offers", class: "offers", tabindex: "-1", "aria-labelledby": "offers-title" },
      heading, el("p", { class: "muted", "data-testid": "no-offers", text: "No vendor offers this product yet." }));
  }
  return el("section", { id: "offers", class: "offers", tabindex: "-1", "aria-labelledby": "offers-title" },
    heading,
    el("p", { class: "muted", text: "Sorted by total price: item price plus delivery, VAT included." }),
    el("table", { class: "offers-table", "data-testid": "offers-table" },
      el("caption", { class: "visually-hidden", text: "Every offer for this product, cheapest total first" }),
      el("thead", {}, el("tr", {},
        ["Vendor", "Condition", "Price", "Delivery fee", "Total", "Delivery", "Availability"]
          .map((h) => el("th", { scope: "col", class: /Price|fee|Total/.test(h) ? "num" : null, text: h })),
        el("th", { scope: "col", class: "offer-buy-head" }, el("span", { class: "visually-hidden", text: "Add to cart" })))),
      el("tbody", {}, offers.map((offer) => offerRow(offer, best && offer.offer_id === best.offer_id)))));
}

function offerRow(offer, isBest) {
  const stock = stockState(offer);
  const row = el("tr", {
    class: `offer-row${isBest ? " offer-best" : ""}${stock.out ? " offer-out" : ""}`,
    "data-testid": "offer-row", "data-offer-id": offer.offer_id, "data-best": isBest ? "true" : "false",
    "data-total": offer.total.amount, "data-price": offer.price.amount,
  },
    el("th", { scope: "row", class: "offer-vendor", "data-label": "Vendor" },
      el("a", {
        href: `#/?vendor=${encodeURIComponent(offer.vendor_id)}&vendor_name=${encodeURIComponent(offer.vendor_name || "")}`,
        "data-testid": "offer-vendor", title: `More from ${offer.vendor_name}`, text: offer.vendor_name || "Vendor",
      }),
      isBest ? el("span", { class: "badge badge-best", "data-testid": "best-offer-badge", text: "Best offer" }) : null),
    el("td", { "data-label": "Condition", "data-testid": "offer-condition", text: conditionLabel(offer.condition) }),
    el("td", { class: "num", "data-label": "Price" }, promotedPrice(offer.price, offer.list_price, "offer-price")),
    el("td", { class: "num", "data-label": "Delivery fee", "data-testid": "offer-shipping", text: feeText(offer.shipping_fee) }),
    el("td", { class: "num offer-total", "data-label": "Total", "data-testid": "offer-total", text: formatMoney(offer.total) }),
    el("td", { "data-label": "Delivery", "data-testid": "offer-delivery", text: deliveryText(offer.delivery) }),
    el("td", { "data-label": "Availability", "data-testid": "offer-stock" },
      el("span", { class: `stock ${stock.className}`, text: stock.text })),
    el("td", { class: "offer-buy", "data-label": "Buy", "data-testid": "offer-buy" }, buyControls(offer)));
  row.offer = offer; // for rebuilding the buy cell when the session changes
  return row;
}

/** Rebuild every offer's buy cell for the current session. */
function refreshBuyCells(main) {
  for (const row of main.querySelectorAll('[data-testid="offer-row"]')) {
    const cell = row.querySelector('[data-testid="offer-buy"]');
    if (cell && row.offer) mount(cell, buyControls(row.offer));
  }
}

/**
 * Quantity (1 .. min(stock, 10)) and "Add to cart" for a signed-in shopper; a sign-in link
 * otherwise. Adding puts the chosen quantity on top of what the cart already holds.
 */
function buyControls(offer) {
  const session = getSession();
  if (!offer.in_stock || !offer.available) return el("span", { class: "muted", text: "—" });
  if (!session || !session.user) {
    return el("a", { class: "button button-quiet button-small", href: signInHref(), "data-testid": "signin-to-buy" }, "Sign in to buy");
  }
  if (!isShopper(session)) return el("span", { class: "muted", "data-testid": "shoppers-only", text: "Shopper accounts only" });

  const limit = Math.min(offer.available, MAX_PER_LINE);
  const id = uniqueId("qty");
  const quantity = el("select", { id, name: "quantity", class: "qty-select", "data-testid": "add-quantity" },
    Array.from({ length: limit }, (_, i) => el("option", { value: i + 1, text: String(i + 1) })));
  const button = el("button", { type: "submit", class: "button button-small", "data-testid": "add-to-cart" }, "Add to cart");
  const status = el("p", { class: "buy-status", "data-testid": "add-status", "aria-live": "polite" });
  const form = el("form", { class: "buy-form", novalidate: true, "aria-label": `Add ${offer.vendor_name}'s offer to your cart` },
    el("div", { class: "buy-row" },
      el("label", { for: id, class: "visually-hidden", text: "Quantity" }),
      quantity,
      button),
    status);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    status.className = "buy-status";
    status.textContent = "Adding…";
    try {
      const cart = await api.cart();
      const existing = (cart.lines || []).find((line) => line.offer_id === offer.offer_id);
      const already = existing ? existing.quantity : 0;
      const wanted = already + Number(quantity.value);
      const target = Math.min(wanted, limit);
      if (target === already) {
        status.className = "buy-status buy-warn";
        mount(status, `Your cart already holds ${already}, the most you can order. `, cartLink());
        return;
      }
      noteCart(await api.setCartLine(offer.offer_id, target));
      status.className = "buy-status buy-ok";
      mount(status, target < wanted ? `Your cart now holds ${target}, the most available. ` : (already ? `Your cart now holds ${target}. ` : "Added. "), cartLink());
      announce(`${offer.vendor_name}'s offer is in your cart (${target}).`);
    } catch (err) {
      status.className = "buy-status buy-error";
      status.setAttribute("role", "alert");
      if (err instanceof ApiError && err.status === 401) mount(status, "Your session ended. ", el("a", { href: signInHref(), text: "Sign in again" }));
      else status.textContent = err instanceof ApiError ? err.message : "Something went wrong. Please try again.";
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function cartLink() {
  return el("a", { href: "#/cart", "data-testid": "add-status-cart", text: "View cart" });
}

/** The delivery fee column: "€4.90" or "Free". */
function feeText(fee) {
  return !fee || fee.amount === 0 ? "Free" : formatMoney(fee);
}

/** "€4.90 delivery" or "free delivery", after "price +". */
function shippingText(fee) {
  return !fee || fee.amount === 0 ? "free delivery" : `${formatMoney(fee)} delivery`;
}

export function deliveryText(delivery) {
  if (!delivery) return "Delivery time not given";
  const { min_days: min, max_days: max } = delivery;
  if (min === max) return min === 1 ? "Arrives in 1 day" : `Arrives in ${min} days`;
  return `Arrives in ${min}–${max} days`;
}

function stockState(offer) {
  if (!offer.in_stock || offer.available === 0) return { out: true, className: "stock-out", text: "Out of stock" };
  if (typeof offer.available === "number" && offer.available <= LOW_STOCK) {
    return { out: false, className: "stock-low", text: `Only ${offer.available} left` };
  }
  return { out: false, className: "stock-in", text: "In stock" };
}
