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
import { t } from "../i18n.js";

const LOW_STOCK = 5;
const MAX_PER_LINE = 10; // the API's per-line maximum (domain/pricing.py MAX_LINE_QUANTITY)

export function renderProduct(main, productId) {
  const controller = new AbortController();
  document.title = t("product.pageTitle");
  mount(main, el("div", { class: "product-page", "data-view": "product", "aria-busy": "true" },
    backLink(),
    el("p", { class: "result-status", "data-testid": "product-loading", text: t("product.loading") })));

  api.product(productId, { signal: controller.signal })
    .then(async (body) => {
      const category = body.product.category ? await categoryName(body.product.category) : "";
      rememberVendors(body.offers);
      showProduct(main, body, category);
    })
    .catch((err) => {
      if (err.name === "AbortError") return;
      const missing = err.status === 404;
      document.title = `${missing ? t("product.notFound") : t("common.error")} · Halles`;
      mount(main, el("div", { class: "product-page notice", "data-view": "product" },
        backLink(),
        el("h1", { text: missing ? t("product.notFound") : t("product.loadError") }),
        el("p", { role: "alert", "data-testid": "product-error", text: missing ? t("product.removed") : err.message })));
    });

  // Signing in or out in the header changes what each offer's buy cell offers.
  const stopWatching = onSessionChange(() => refreshBuyCells(main));
  return { cleanup: () => { controller.abort(); stopWatching(); } };
}

function backLink() {
  let href = "#/";
  try { href = window.sessionStorage.getItem(LAST_CATALOGUE_KEY) || "#/"; } catch { /* private mode */ }
  return el("a", { class: "back-link", href, "data-testid": "back-to-catalogue" }, t("product.back"));
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
      el("div", { class: "product-media" }, productImage((product.images || [])[0], product.category, product.title, { lazy: false })),
      el("div", { class: "product-summary" },
        category ? el("p", { class: "card-category", "data-testid": "product-category", text: category }) : null,
        el("h1", { class: "product-title", "data-testid": "product-title", text: product.title }),
        product.brand ? el("p", { class: "product-brand", "data-testid": "product-brand" }, t("product.by"), " ", el("strong", { text: product.brand })) : null,
        buyBox(best, sorted.length),
        el("p", { class: "vat-note", text: t("product.vatNote") }))),
    el("div", { class: "product-details" },
      el("section", { class: "panel", "aria-labelledby": "description-title" },
        el("h2", { id: "description-title", text: t("product.description") }),
        el("p", { class: "description", "data-testid": "product-description", text: product.description || t("product.noDescription") })),
      el("section", { class: "panel", "aria-labelledby": "attributes-title" },
        el("h2", { id: "attributes-title", text: t("product.details") }),
        attributeList(product))),
    offersSection(sorted, best)));
}

/**
 * The buy box, beside the title on desktop and right under it on a phone, so that the best offer
 * (lowest total, delivery included) can be bought without scrolling: its total, condition,
 * delivery estimate, vendor (linked to the vendor's page), quantity and "Add to cart".
 */
function buyBox(best, count) {
  if (!best) {
    return el("div", { class: "best-summary best-summary-empty", "data-testid": "best-offer-summary" },
      el("p", { text: count ? t("product.noneInStock") : t("product.noOffers") }));
  }
  const stock = stockState(best);
  return el("section", { class: "best-summary buy-box", "data-testid": "best-offer-summary", "data-offer-id": best.offer_id,
    "aria-labelledby": "buy-box-title" },
    el("h2", { id: "buy-box-title", class: "best-summary-label", text: count > 1 ? t("product.bestOf", { count }) : t("product.offer") }),
    el("p", { class: "best-summary-total" },
      promotedPrice(best.total, totalBefore(best), "best-offer-total", { class: "price-total" }),
      el("span", { class: "muted", text: ` ${t("product.total")}` })),
    el("p", { class: "muted", "data-testid": "buy-box-breakdown" }, `${formatMoney(best.price)} + ${shippingText(best.shipping_fee)}`),
    el("dl", { class: "buy-facts" },
      fact(t("product.soldBy"), vendorLink(best, "buy-box-vendor")),
      fact(t("product.col.condition"), el("span", { class: `condition condition-${best.condition}`, "data-testid": "buy-box-condition", text: conditionLabel(best.condition) })),
      fact(t("product.col.delivery"), el("span", { "data-testid": "buy-box-delivery", text: deliveryText(best.delivery) })),
      fact(t("product.col.availability"), el("span", { class: `stock ${stock.className}`, text: stock.text }))),
    buySlot(best, "buy-box-buy", "div", {}, { prominent: true }),
    count > 1 ? el("a", { href: "#offers", class: "jump-link", "data-testid": "compare-offers", onclick: jumpToOffers }, t("product.compareAll", { count })) : null);
}

function fact(term, value) {
  return el("div", { class: "buy-fact" }, el("dt", { text: term }), el("dd", {}, value));
}

/** A vendor's name, linked to its public page (#/vendors/<id>). */
function vendorLink(offer, testid) {
  return el("a", { href: `#/vendors/${encodeURIComponent(offer.vendor_id)}`, "data-testid": testid,
    text: offer.vendor_name || t("product.col.vendor") });
}

/** Where an offer's buy controls go; rebuilt when the session changes. */
function buySlot(offer, testid, tag = "div", attrs = {}, options = {}) {
  const slot = el(tag, { ...attrs, class: `buy-slot ${attrs.class || ""}`.trim(), "data-testid": testid }, buyControls(offer, options));
  slot.offer = offer;
  slot.buyOptions = options;
  return slot;
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
  if (!rows.length) return el("p", { class: "muted", text: t("product.noDetails") });
  return el("dl", { class: "attributes", "data-testid": "product-attributes" },
    rows.map(([key, value]) => el("div", { class: "attribute" },
      el("dt", { text: key === "GTIN" ? key : humanize(key) }),
      el("dd", { text: attributeValue(value) }))));
}

function attributeValue(value) {
  if (Array.isArray(value)) return value.map(attributeValue).join(", ");
  if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
  if (value && typeof value === "object") {
    if ("amount" in value && "currency" in value) return formatMoney(value);
    return Object.entries(value).map(([k, v]) => `${humanize(k)}: ${attributeValue(v)}`).join(", ");
  }
  return String(value);
}

function offersSection(offers, best) {
  const heading = el("h2", { id: "offers-title" }, t("product.offers"), " ", el("span", { class: "count", text: `(${offers.length})` }));
  if (!offers.length) {
    return el("section", { id: "offers", class: "offers", tabindex: "-1", "aria-labelledby": "offers-title" },
      heading, el("p", { class: "muted", "data-testid": "no-offers", text: t("product.noOffers") }));
  }
  return el("section", { id: "offers", class: "offers", tabindex: "-1", "aria-labelledby": "offers-title" },
    heading,
    el("p", { class: "muted", text: t("product.sortedBy") }),
    el("table", { class: "offers-table", "data-testid": "offers-table" },
      el("caption", { class: "visually-hidden", text: t("product.caption") }),
      el("thead", {}, el("tr", {},
        [["vendor", false], ["condition", false], ["price", true], ["deliveryFee", true], ["total", true], ["delivery", false], ["availability", false]]
          .map(([key, num]) => el("th", { scope: "col", class: num ? "num" : null, text: t(`product.col.${key}`) })),
        el("th", { scope: "col", class: "offer-buy-head" }, el("span", { class: "visually-hidden", text: t("product.addToCart") })))),
      el("tbody", {}, offers.map((offer) => offerRow(offer, best && offer.offer_id === best.offer_id)))));
}

function offerRow(offer, isBest) {
  const stock = stockState(offer);
  const row = el("tr", {
    class: `offer-row${isBest ? " offer-best" : ""}${stock.out ? " offer-out" : ""}`,
    "data-testid": "offer-row", "data-offer-id": offer.offer_id, "data-best": isBest ? "true" : "false",
    "data-total": offer.total.amount, "data-price": offer.price.amount,
  },
    el("th", { scope: "row", class: "offer-vendor", "data-label": t("product.col.vendor") },
      vendorLink(offer, "offer-vendor"),
      isBest ? el("span", { class: "badge badge-best", "data-testid": "best-offer-badge", text: t("product.bestOffer") }) : null),
    el("td", { "data-label": t("product.col.condition"), "data-testid": "offer-condition", text: conditionLabel(offer.condition) }),
    el("td", { class: "num", "data-label": t("product.col.price") }, promotedPrice(offer.price, offer.list_price, "offer-price")),
    el("td", { class: "num", "data-label": t("product.col.deliveryFee"), "data-testid": "offer-shipping", text: feeText(offer.shipping_fee) }),
    el("td", { class: "num offer-total", "data-label": t("product.col.total"), "data-testid": "offer-total", text: formatMoney(offer.total) }),
    el("td", { "data-label": t("product.col.delivery"), "data-testid": "offer-delivery", text: deliveryText(offer.delivery) }),
    el("td", { "data-label": t("product.col.availability"), "data-testid": "offer-stock" },
      el("span", { class: `stock ${stock.className}`, text: stock.text })),
    buySlot(offer, "offer-buy", "td", { class: "offer-buy", "data-label": t("product.col.buy") }));
  return row;
}

/** Rebuild every offer's buy controls (buy box and rows) for the current session. */
function refreshBuyCells(main) {
  for (const slot of main.querySelectorAll(".buy-slot")) {
    if (slot.offer) mount(slot, buyControls(slot.offer, slot.buyOptions));
  }
}

/**
 * Quantity (1 .. min(stock, 10)) and "Add to cart" for a signed-in shopper; a sign-in link
 * otherwise. Adding puts the chosen quantity on top of what the cart already holds.
 */
function buyControls(offer, { prominent = false } = {}) {
  const session = getSession();
  if (!offer.in_stock || !offer.available) return el("span", { class: "muted", text: "—" });
  if (!session || !session.user) {
    return el("a", { class: prominent ? "button" : "button button-quiet button-small", href: signInHref(), "data-testid": "signin-to-buy" }, t("product.signInToBuy"));
  }
  if (!isShopper(session)) return el("span", { class: "muted", "data-testid": "shoppers-only", text: t("product.shoppersOnly") });

  const limit = Math.min(offer.available, MAX_PER_LINE);
  const id = uniqueId("qty");
  const quantity = el("select", { id, name: "quantity", class: "qty-select", "data-testid": "add-quantity" },
    Array.from({ length: limit }, (_, i) => el("option", { value: i + 1, text: String(i + 1) })));
  const button = el("button", { type: "submit", class: prominent ? "button button-buy" : "button button-small", "data-testid": "add-to-cart" }, t("product.addToCart"));
  const status = el("p", { class: "buy-status", "data-testid": "add-status", "aria-live": "polite" });
  const form = el("form", { class: "buy-form", novalidate: true, "aria-label": t("product.addOfferLabel", { vendor: offer.vendor_name }) },
    el("div", { class: "buy-row" },
      el("label", { for: id, class: prominent ? "qty-label" : "visually-hidden", text: t("common.quantity") }),
      quantity,
      button),
    status);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    status.className = "buy-status";
    status.textContent = t("product.adding");
    try {
      const cart = await api.cart();
      const existing = (cart.lines || []).find((line) => line.offer_id === offer.offer_id);
      const already = existing ? existing.quantity : 0;
      const wanted = already + Number(quantity.value);
      const target = Math.min(wanted, limit);
      if (target === already) {
        status.className = "buy-status buy-warn";
        mount(status, t("product.alreadyMax", { count: already }), " ", cartLink());
        return;
      }
      noteCart(await api.setCartLine(offer.offer_id, target));
      status.className = "buy-status buy-ok";
      mount(status, target < wanted ? t("product.nowHoldsMax", { count: target }) : (already ? t("product.nowHolds", { count: target }) : t("product.added")), " ", cartLink());
      announce(t("product.inCart", { vendor: offer.vendor_name, count: target }));
    } catch (err) {
      status.className = "buy-status buy-error";
      status.setAttribute("role", "alert");
      if (err instanceof ApiError && err.status === 401) mount(status, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else status.textContent = err instanceof ApiError ? err.message : t("errors.generic");
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function cartLink() {
  return el("a", { href: "#/cart", "data-testid": "add-status-cart", text: t("product.viewCart") });
}

/** The delivery fee column: "€4.90" or "Free". */
function feeText(fee) {
  return !fee || fee.amount === 0 ? t("common.free") : formatMoney(fee);
}

/** "€4.90 delivery" or "free delivery", after "price +". */
function shippingText(fee) {
  return !fee || fee.amount === 0 ? t("product.freeDelivery") : t("product.feeDelivery", { fee: formatMoney(fee) });
}

export function deliveryText(delivery) {
  if (!delivery) return t("product.deliveryUnknown");
  const { min_days: min, max_days: max } = delivery;
  if (min === max) return t("product.arrivesIn", { count: min });
  return t("product.arrivesBetween", { min, max });
}

function stockState(offer) {
  if (!offer.in_stock || offer.available === 0) return { out: true, className: "stock-out", text: t("common.outOfStock") };
  if (typeof offer.available === "number" && offer.available <= LOW_STOCK) {
    return { out: false, className: "stock-low", text: t("product.onlyLeft", { count: offer.available }) };
  }
  return { out: false, className: "stock-in", text: t("common.inStock") };
}
