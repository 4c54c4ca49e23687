// The catalogue: search, filters and a grid of products, paged with the API's cursor.
// The filters live in the URL hash, so back/forward and shared links keep them.

import { API_BASE, ApiError, api, config } from "../api.js";
import { loadCategories } from "../categories.js";
import { announce, el, mount, uniqueId } from "../dom.js";
import { conditionLabel } from "../labels.js";
import { amountInputValue, currencySymbol, formatMoney, parseAmount } from "../money.js";
import { promotedPrice, totalBefore } from "./struck.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "./forms.js";
import { renderBreadcrumbs, renderFacets, renderSuggestion, sortControl } from "./catalogue-finding.js";
import { t } from "../i18n.js";
import { assetPath } from "../assets.js";

// How many products one "page" shows (the API allows 1..50); config.js may set `pageSize`.
const PAGE_SIZE = Math.min(50, Math.max(1, Number(config.pageSize) || 24));
const FILTER_KEYS = ["q", "category", "min_price", "max_price", "in_stock", "vendor", "vendor_name",
  "sort", "brand", "condition", "price_band"];
export const LAST_CATALOGUE_KEY = "halles.lastCatalogue";

/** The API query for the hash parameters (only the keys the API knows). */
export function filtersFrom(params) {
  const filters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value !== null && value !== "") filters[key] = value;
  }
  if (filters.in_stock && filters.in_stock !== "true") delete filters.in_stock;
  // Prices in the hash are minor units; anything else came from a hand-edited link.
  for (const key of ["min_price", "max_price"]) if (filters[key] && !/^\d{1,12}$/.test(filters[key])) delete filters[key];
  return filters;
}

function hashFor(filters) {
  const search = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filters[key]) search.set(key, filters[key]);
  const text = search.toString();
  return text ? `#/?${text}` : "#/";
}

export function renderCatalogue(main, initialParams) {
  let filters = filtersFrom(initialParams);
  let cursor = null;
  let controller = null; // aborts the previous request when filters change quickly
  let shown = 0;

  const symbol = currencySymbol("EUR");
  const searchInput = el("input", {
    id: "search-q", type: "search", name: "q", autocomplete: "off", "data-testid": "search-input",
    placeholder: t("catalogue.searchPlaceholder"), enterkeyhint: "search",
  });
  const searchForm = el("form", { class: "search-bar", role: "search", "aria-label": t("catalogue.products"), "data-testid": "search-form", novalidate: true },
    el("label", { for: "search-q", class: "visually-hidden", text: t("catalogue.searchLabel") }),
    searchInput,
    el("button", { type: "submit", class: "button", "data-testid": "search-submit" }, t("catalogue.search")));

  const categorySelect = el("select", { id: uniqueId("category"), name: "category", "data-testid": "category-filter" },
    el("option", { value: "", text: t("catalogue.allCategories") }));
  const minInput = el("input", { type: "text", name: "min_price", inputmode: "decimal", autocomplete: "off", "data-testid": "min-price", placeholder: "0" });
  const maxInput = el("input", { type: "text", name: "max_price", inputmode: "decimal", autocomplete: "off", "data-testid": "max-price", placeholder: t("catalogue.any") });
  const inStockInput = el("input", { type: "checkbox", id: uniqueId("in-stock"), name: "in_stock", value: "true", "data-testid": "in-stock-toggle" });
  const vendorSlot = el("div", { class: "vendor-slot" });
  const facetSlot = el("div", { class: "facet-slot", "data-testid": "facets" });
  const crumbSlot = el("div", { class: "crumb-slot" });
  const suggestionSlot = el("div", { class: "suggestion-slot", "aria-live": "polite" });
  const sortSlot = el("div", { class: "sort-slot" });
  const filterError = el("p", { class: "form-error", role: "alert", "data-testid": "filters-error" });

  const filterForm = el("form", { id: uniqueId("filters"), class: "filters collapsed", "aria-label": t("catalogue.filterProducts"), "data-testid": "filters", novalidate: true },
    el("h2", { class: "filters-title", text: t("catalogue.filters") }),
    el("div", { class: "field" },
      el("label", { for: categorySelect.id, text: t("catalogue.category") }),
      categorySelect),
    el("fieldset", { class: "field price-range" },
      el("legend", {}, t("catalogue.totalPrice", { symbol })),
      el("p", { class: "field-hint", text: t("catalogue.totalPriceHint") }),
      el("div", { class: "price-inputs" },
        fieldWithError(minInput, t("catalogue.min")),
        el("span", { class: "price-dash", "aria-hidden": "true", text: "–" }),
        fieldWithError(maxInput, t("catalogue.max")))),
    el("div", { class: "field field-check" },
      inStockInput,
      el("label", { for: inStockInput.id, text: t("catalogue.inStockOnly") })),
    vendorSlot,
    facetSlot,
    filterError,
    el("div", { class: "filter-actions" },
      el("button", { type: "submit", class: "button", "data-testid": "apply-filters" }, t("catalogue.apply")),
      el("button", { type: "button", class: "button button-quiet", "data-testid": "clear-filters", onclick: clearFilters }, t("catalogue.clear"))));

  // On small screens the filters fold away behind this button (CSS hides it on wide screens).
  const filtersToggle = el("button", {
    type: "button", class: "button button-quiet filters-toggle", "aria-expanded": "false",
    "aria-controls": filterForm.id, "data-testid": "filters-toggle",
    onclick: () => {
      const open = filtersToggle.getAttribute("aria-expanded") !== "true";
      filtersToggle.setAttribute("aria-expanded", String(open));
      filterForm.classList.toggle("collapsed", !open);
    },
  }, t("catalogue.filters"));

  const status = el("p", { class: "result-status", "data-testid": "result-status", "aria-live": "polite" });
  const grid = el("ul", { class: "product-grid", "data-testid": "product-grid", "aria-label": t("catalogue.products") });
  const loadMore = el("button", { type: "button", class: "button button-wide", "data-testid": "load-more", hidden: true, onclick: () => load(false) }, t("catalogue.loadMore"));
  const results = el("section", { class: "results", "aria-labelledby": "catalogue-title" },
    el("div", { class: "finding-bar" }, crumbSlot, sortSlot), suggestionSlot,
    status, grid, el("div", { class: "load-more-row" }, loadMore));

  mount(main, el("div", { class: "catalogue", "data-view": "catalogue" },
    el("div", { class: "catalogue-head" },
      el("h1", { id: "catalogue-title", text: t("catalogue.title") }),
      el("p", { class: "lede", text: t("catalogue.lede") }),
      searchForm),
    el("div", { class: "catalogue-body" }, filtersToggle, filterForm, results)));

  searchForm.addEventListener("submit", (event) => { event.preventDefault(); applyFromForms(); });
  filterForm.addEventListener("submit", (event) => { event.preventDefault(); applyFromForms(); });
  categorySelect.addEventListener("change", applyFromForms);
  inStockInput.addEventListener("change", applyFromForms);

  loadCategories().then((categories) => {
    for (const c of categories) categorySelect.append(el("option", { value: c.slug, text: c.name }));
    categorySelect.value = filters.category || "";
    for (const card of grid.querySelectorAll("[data-category]")) labelCategory(card, categories);
  }).catch(() => {
    categorySelect.append(el("option", { disabled: true, text: t("catalogue.categoriesUnavailable") }));
  });

  function fillForms() {
    searchInput.value = filters.q || "";
    categorySelect.value = filters.category || "";
    minInput.value = amountInputValue(filters.min_price);
    maxInput.value = amountInputValue(filters.max_price);
    inStockInput.checked = filters.in_stock === "true";
    if (filters.vendor) {
      mount(vendorSlot, el("div", { class: "chip", "data-testid": "vendor-filter" },
        el("span", {}, t("catalogue.soldBy"), " ", el("strong", { text: filters.vendor_name || t("catalogue.thisVendor") })),
        el("button", {
          type: "button", class: "chip-remove", "aria-label": t("catalogue.everyVendor"),
          onclick: () => navigate({ ...filters, vendor: null, vendor_name: null }),
        }, "×")));
    } else {
      vendorSlot.replaceChildren();
    }
    const active = ["category", "min_price", "max_price", "in_stock", "vendor"].filter((k) => filters[k]).length;
    filtersToggle.textContent = active ? t("catalogue.filtersActive", { count: active }) : t("catalogue.filters");
  }

  function applyFromForms() {
    clearFieldErrors(filterForm);
    filterError.textContent = "";
    const min = parseAmount(minInput.value);
    const max = parseAmount(maxInput.value);
    const errors = {};
    if (min.error) errors.min_price = min.error;
    if (max.error) errors.max_price = max.error;
    if (!errors.min_price && !errors.max_price && min.value !== null && max.value !== null && max.value < min.value) {
      errors.max_price = t("catalogue.maxBelowMin");
    }
    if (Object.keys(errors).length) {
      showFieldErrors(filterForm, errors, filterError);
      return;
    }
    navigate({
      ...filters,
      q: searchInput.value.trim(),
      category: categorySelect.value,
      min_price: min.value === null ? "" : String(min.value),
      max_price: max.value === null ? "" : String(max.value),
      in_stock: inStockInput.checked ? "true" : "",
    });
  }

  function navigate(next) {
    const hash = hashFor(next);
    if (hash === (window.location.hash || "#/")) load(true); // same filters: just refresh
    else window.location.hash = hash;
  }

  function clearFilters() {
    navigate({});
  }

  async function load(reset) {
    if (controller) controller.abort();
    controller = new AbortController();
    const { signal } = controller;
    if (reset) {
      cursor = null;
      shown = 0;
      grid.replaceChildren();
      loadMore.hidden = true;
    }
    results.setAttribute("aria-busy", "true");
    loadMore.disabled = true;
    status.textContent = reset ? t("catalogue.loading") : status.textContent;
    const { vendor_name: _ignored, ...query } = filters;
    try {
      const page = await api.products({ ...query, sort: query.sort || "relevance", limit: PAGE_SIZE, cursor: reset ? null : cursor }, { signal });
      const items = page.items || [];
      if (reset) showFinding(page);
      const categories = await loadCategories().catch(() => []);
      for (const product of items) grid.append(productCard(product, categories));
      shown += items.length;
      cursor = page.next_cursor || null;
      loadMore.hidden = !cursor;
      status.textContent = statusText(shown, Boolean(cursor));
      if (!reset) announce(t("catalogue.moreLoaded", { count: items.length }));
    } catch (err) {
      if (err.name === "AbortError") return;
      showLoadError(err);
    } finally {
      if (!signal.aborted) {
        results.removeAttribute("aria-busy");
        loadMore.disabled = false;
      }
    }
  }

  // Sort, facets, suggestion and breadcrumbs: drawn by catalogue-finding.js from the page's answer.
  function showFinding(page) {
    mount(sortSlot, sortControl(filters.sort, (sort) => navigate({ ...filters, sort })));
    renderFacets(facetSlot, page.facets, (facet, value) => navigate({ ...filters, [facet]: value }));
    renderSuggestion(suggestionSlot, page, (q) => navigate({ ...filters, q }));
    renderBreadcrumbs(crumbSlot, page.breadcrumbs, (crumb) => hashFor({ category: crumb.category, q: crumb.q }));
  }

  function showLoadError(err) {
    if (err instanceof ApiError && Object.keys(err.fields).length) {
      filtersToggle.setAttribute("aria-expanded", "true");
      filterForm.classList.remove("collapsed");
      showFieldErrors(filterForm, err.fields, filterError, err.message);
      status.textContent = t("catalogue.checkFilters");
      return;
    }
    mount(status,
      el("span", { class: "error-text", "data-testid": "load-error", text: err.message || t("catalogue.loadError") }), " ",
      el("button", { type: "button", class: "button button-quiet", onclick: () => load(grid.children.length === 0) }, t("common.tryAgain")));
  }

  function update(params) {
    filters = filtersFrom(params);
    clearFieldErrors(filterForm);
    filterError.textContent = "";
    fillForms();
    rememberCatalogue();
    load(true);
  }

  function rememberCatalogue() {
    try { window.sessionStorage.setItem(LAST_CATALOGUE_KEY, hashFor(filters)); } catch { /* private mode */ }
  }

  document.title = t("catalogue.pageTitle");
  fillForms();
  rememberCatalogue();
  load(true);
  return { update, cleanup: () => controller && controller.abort() };
}

function statusText(count, more) {
  if (count === 0) return t("catalogue.noMatch");
  return more ? t("catalogue.showingFirst", { count }) : t("catalogue.showing", { count });
}

/** Product images are site paths such as /img/kitchen.svg, served by the frontend itself (under their
 * hashed name in a built site: js/assets.js), or /media/... (uploaded images and the demo's drawings),
 * served by the API. */
export function imageUrl(path, category) {
  const fallback = assetPath(category ? `img/${category}.svg` : "img/generic.svg");
  if (typeof path === "string" && path.startsWith("/media/")) return `${API_BASE}${path}`;
  try {
    return new URL(path ? assetPath(path) : fallback, window.location.href).href;
  } catch {
    return fallback;
  }
}

/**
 * A product's picture, its size set (400 x 300, the cards' 4:3 box) so nothing moves when it arrives.
 * Lazy by default: the catalogue's cards below the fold load as they are scrolled to. `lazy: false`
 * for a picture always above the fold (the product page's), which the browser should fetch at once.
 */
export function productImage(path, category, alt = "", { lazy = true } = {}) {
  const img = el("img", {
    src: imageUrl(path, category), alt, loading: lazy ? "lazy" : "eager", fetchpriority: lazy ? null : "high",
    decoding: "async", width: 400, height: 300,
  });
  img.addEventListener("error", () => {
    const generic = new URL(assetPath("img/generic.svg"), window.location.href).href;
    if (img.src !== generic) img.src = generic;
  });
  return img;
}

function labelCategory(card, categories) {
  const found = categories.find((c) => c.slug === card.dataset.category);
  const label = card.querySelector(".card-category");
  if (found && label) label.textContent = found.name;
}

export function productCard(product, categories) {
  const best = product.best_offer;
  const href = `#/product/${encodeURIComponent(product.product_id)}`;
  const category = categories.find((c) => c.slug === product.category);
  let price;
  if (best) {
    const shippingFree = !best.shipping_fee || best.shipping_fee.amount === 0;
    price = el("div", { class: "card-price" },
      el("span", { class: "card-price-label", text: product.offer_count > 1 ? t("catalogue.bestTotal") : t("catalogue.total") }),
      promotedPrice(best.total, totalBefore(best), "card-price", { class: "price-total" }),
      el("span", { class: "card-price-detail", "data-testid": "card-price-detail" },
        shippingFree ? t("catalogue.priceFreeDelivery", { price: formatMoney(best.price) })
          : t("catalogue.pricePlusDelivery", { price: formatMoney(best.price), delivery: formatMoney(best.shipping_fee) })),
      best.condition ? el("span", { class: `condition condition-${best.condition}`, "data-testid": "card-condition", text: conditionLabel(best.condition) }) : null);
  } else {
    price = el("div", { class: "card-price" }, el("span", { class: "muted", "data-testid": "card-no-offer", text: t("catalogue.noOffers") }));
  }
  const offers = product.offer_count || 0;
  return el("li", { class: "product-card", "data-testid": "product-card", "data-product-id": product.product_id, "data-category": product.category },
    el("a", { class: "card-link", href },
      el("div", { class: "card-media" }, productImage(product.image, product.category)),
      el("div", { class: "card-body" },
        el("p", { class: "card-category", text: category ? category.name : product.category || "" }),
        el("h2", { class: "card-title", "data-testid": "card-title", text: product.title }),
        product.brand ? el("p", { class: "card-brand", text: product.brand }) : null,
        price,
        el("p", { class: "card-meta" },
          el("span", { text: offers ? t("catalogue.offers", { count: offers }) : "" }),
          offers ? el("span", {
            class: product.in_stock ? "stock stock-in" : "stock stock-out",
            "data-testid": "card-stock",
            text: product.in_stock ? t("common.inStock") : t("common.outOfStock"),
          }) : null))));
}
