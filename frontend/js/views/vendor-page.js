// A shop's public page (#/vendors/<vendor_id>), linked from every vendor name of a product page:
// who it is, where it ships from, its return policy (window in days), shoppers' ratings once the
// API has enough answers to show them anonymously (GET /vendors/{id}), and its live offers
// (GET /catalog/products?vendor=<id>&in_stock=true, the catalogue's own cards).

import { api } from "../api.js";
import { loadCategories } from "../categories.js";
import { el, mount } from "../dom.js";
import { countryName, formatNumber, t } from "../i18n.js";
import { productCard } from "./catalogue.js";

const OFFERS_SHOWN = 24;

export function renderVendorPage(main, vendorId) {
  const controller = new AbortController();
  const { signal } = controller;
  document.title = t("vendorPage.pageTitle");
  mount(main, el("div", { class: "vendor-page", "data-view": "vendor-page", "aria-busy": "true" },
    el("p", { class: "result-status", "data-testid": "vendor-page-loading", text: t("vendorPage.loading") })));

  Promise.all([api.vendor(vendorId, { signal }), loadCategories().catch(() => [])])
    .then(([vendor, categories]) => {
      showVendor(main, vendor);
      loadOffers(main, vendor, categories, signal);
    })
    .catch((err) => {
      if (err.name === "AbortError") return;
      const missing = err.status === 404;
      document.title = `${missing ? t("vendorPage.notFound") : t("common.error")} · Halles`;
      mount(main, el("div", { class: "vendor-page notice", "data-view": "vendor-page" },
        el("h1", { text: missing ? t("vendorPage.notFound") : t("vendorPage.loadError") }),
        el("p", { role: "alert", "data-testid": "vendor-page-error" },
          missing ? t("vendorPage.gone") : err.message, " ",
          el("a", { href: "#/", text: t("common.backToCatalogue") }))));
    });
  return { cleanup: () => controller.abort() };
}

function showVendor(main, vendor) {
  document.title = `${vendor.name} · Halles`;
  const policy = vendor.return_policy || {};
  const facts = [
    vendor.country ? [t("vendorPage.country"), el("span", { "data-testid": "vendor-country", text: countryName(vendor.country) })] : null,
    vendor.shipping_origin ? [t("vendorPage.shipsFrom"), el("span", { "data-testid": "vendor-origin", text: vendor.shipping_origin })] : null,
    [t("vendorPage.returnWindow"), el("span", { "data-testid": "vendor-return-window", text: t("vendorPage.windowDays", { count: policy.window_days }) })],
    policy.restocking_percent ? [t("vendorPage.restocking"), el("span", { text: t("vendorPage.restockingPercent", { percent: policy.restocking_percent }) })] : null,
  ].filter(Boolean);

  mount(main, el("article", { class: "vendor-page", "data-view": "vendor-page", "data-testid": "vendor-page", "data-vendor-id": vendor.vendor_id },
    el("header", { class: "vendor-head panel" },
      vendor.logo_url ? el("img", { class: "vendor-logo", src: vendor.logo_url, alt: "", width: 72, height: 72, loading: "lazy", decoding: "async" }) : null,
      el("div", {},
        el("p", { class: "card-category", text: t("vendorPage.shop") }),
        el("h1", { class: "vendor-page-name", "data-testid": "vendor-name", text: vendor.name }),
        el("dl", { class: "buy-facts vendor-facts" },
          facts.map(([term, value]) => el("div", { class: "buy-fact" }, el("dt", { text: term }), el("dd", {}, value)))))),
    el("div", { class: "vendor-details" },
      el("section", { class: "panel", "aria-labelledby": "vendor-returns-title" },
        el("h2", { id: "vendor-returns-title", text: t("vendorPage.returnPolicy") }),
        el("p", { class: "description", "data-testid": "vendor-return-policy",
          text: policy.text || t("vendorPage.defaultPolicy", { count: policy.window_days }) })),
      ratingsSection(vendor.ratings)),
    el("section", { class: "panel vendor-offers", "aria-labelledby": "vendor-offers-title" },
      el("h2", { id: "vendor-offers-title", text: t("vendorPage.offers", { vendor: vendor.name }) }),
      el("p", { class: "result-status", "data-testid": "vendor-offers-status", "aria-live": "polite", text: t("catalogue.loading") }),
      el("ul", { class: "product-grid", "data-testid": "vendor-offers" }))));
}

function ratingsSection(ratings) {
  const heading = el("h2", { id: "vendor-ratings-title", text: t("vendorPage.ratings") });
  if (!ratings) {
    return el("section", { class: "panel", "aria-labelledby": "vendor-ratings-title", "data-testid": "vendor-ratings" },
      heading, el("p", { class: "muted", "data-testid": "vendor-no-ratings", text: t("vendorPage.noRatings") }));
  }
  const row = (key) => {
    const figure = ratings[key] || {};
    if (figure.average === null || figure.average === undefined) return null;
    const average = formatNumber(figure.average, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    const satisfied = figure.satisfied_rate === null || figure.satisfied_rate === undefined ? ""
      : t("vendorPage.satisfied", { percent: formatNumber(Math.round(figure.satisfied_rate * 100)) });
    return el("div", { class: "buy-fact", "data-testid": `vendor-rating-${key}` },
      el("dt", { text: t(`vendorPage.about.${key}`) }),
      el("dd", {}, el("strong", { text: t("vendorPage.outOfFive", { average }) }), satisfied ? ` · ${satisfied}` : ""));
  };
  return el("section", { class: "panel", "aria-labelledby": "vendor-ratings-title", "data-testid": "vendor-ratings" },
    heading,
    el("dl", { class: "buy-facts" }, ["vendor", "delivery", "order"].map(row)),
    el("p", { class: "muted", text: t("vendorPage.basedOn", { count: ratings.answers, weeks: ratings.weeks }) }));
}

async function loadOffers(main, vendor, categories, signal) {
  const grid = main.querySelector('[data-testid="vendor-offers"]');
  const status = main.querySelector('[data-testid="vendor-offers-status"]');
  if (!grid || !status) return;
  try {
    const page = await api.products({ vendor: vendor.vendor_id, in_stock: true, limit: OFFERS_SHOWN, sort: "relevance" }, { signal });
    const items = page.items || [];
    for (const product of items) grid.append(productCard(product, categories));
    if (!items.length) status.textContent = t("vendorPage.noOffers");
    else if (page.next_cursor) {
      mount(status, t("vendorPage.someOffers", { count: items.length }), " ",
        el("a", { href: `#/?vendor=${encodeURIComponent(vendor.vendor_id)}&vendor_name=${encodeURIComponent(vendor.name)}`,
          "data-testid": "vendor-all-offers", text: t("vendorPage.allOffers") }));
    } else status.textContent = t("vendorPage.offerCount", { count: items.length });
  } catch (err) {
    if (err.name === "AbortError") return;
    status.textContent = err.message || t("catalogue.loadError");
  }
}
