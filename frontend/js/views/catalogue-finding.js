// Finding things on the catalogue page: the sort control, facets with counts, the "did you mean"
// suggestion and breadcrumbs, all drawn from one answer of GET /catalog/products (the ranked
// listing: sort, facets, did_you_mean, relaxed, breadcrumbs). catalogue.js owns the page and the
// URL hash; this module only draws these parts and asks it to navigate.

import { el, mount } from "../dom.js";
import { formatNumber, t } from "../i18n.js";
import { conditionLabel } from "../labels.js";

// Every word this module shows, in one place (the "finding" section of js/locales/*.js).
export const TEXT = {
  sortLabel: t("finding.sortLabel"),
  sorts: { relevance: t("finding.sortRelevance"), price: t("finding.sortPrice"), newest: t("finding.sortNewest") },
  facetTitles: { category: t("finding.facetCategory"), brand: t("finding.facetBrand"),
    condition: t("finding.facetCondition"), price_band: t("finding.facetPrice") },
  priceBands: { "0-20": t("finding.band0to20"), "20-50": t("finding.band20to50"), "50-100": t("finding.band50to100"),
    "100-200": t("finding.band100to200"), "200+": t("finding.band200plus") },
  didYouMean: t("finding.didYouMean"),
  relaxed: (q) => t("finding.relaxed", { q }),
  breadcrumbs: t("finding.breadcrumbs"),
  facetsLabel: t("finding.facetsLabel"),
  clearFacet: t("finding.clearFacet"),
  count: (n) => `(${formatNumber(n)})`,
};

export const SORT_KEY = "sort";
export const FACET_KEYS = ["brand", "condition", "price_band"]; // category is the page's own filter

/** The sort select; `onChange(value)` when the shopper picks another order. */
export function sortControl(current, onChange) {
  const select = el("select", { id: "catalogue-sort", name: "sort", "data-testid": "sort-select" },
    Object.entries(TEXT.sorts).map(([value, label]) => el("option", { value, text: label })));
  select.value = TEXT.sorts[current] ? current : "relevance";
  select.addEventListener("change", () => onChange(select.value));
  return el("div", { class: "field sort-field" },
    el("label", { for: select.id, text: TEXT.sortLabel }), select);
}

function facetValueLabel(facet, entry) {
  if (facet === "category") return entry.label || entry.value;
  if (facet === "condition") return conditionLabel(entry.value);
  if (facet === "price_band") return TEXT.priceBands[entry.value] || entry.value;
  return entry.value;
}

/** One list of toggle buttons per facet; `onPick(facet, value | "")` narrows or widens. */
export function renderFacets(slot, facets, onPick) {
  if (!facets) {
    slot.replaceChildren();
    return;
  }
  const groups = [];
  for (const facet of ["category", ...FACET_KEYS]) {
    const entries = facets[facet] || [];
    if (!entries.length) continue;
    const selected = entries.find((e) => e.selected);
    const buttons = entries.map((entry) => el("li", {},
      el("button", {
        type: "button", class: "facet-value", "aria-pressed": String(Boolean(entry.selected)),
        "data-testid": `facet-${facet}`, "data-value": entry.value,
        onclick: () => onPick(facet, entry.selected ? "" : entry.value),
      }, facetValueLabel(facet, entry), " ", el("span", { class: "facet-count", text: TEXT.count(entry.count) }))));
    if (selected) {
      buttons.push(el("li", {}, el("button", {
        type: "button", class: "facet-value facet-clear", "data-testid": `facet-${facet}-clear`,
        onclick: () => onPick(facet, ""),
      }, TEXT.clearFacet)));
    }
    groups.push(el("fieldset", { class: "facet", "data-testid": `facet-group-${facet}` },
      el("legend", { text: TEXT.facetTitles[facet] }),
      el("ul", { class: "facet-values" }, buttons)));
  }
  mount(slot, el("div", { class: "facets", role: "group", "aria-label": TEXT.facetsLabel }, groups));
}

/** "Did you mean …?" (a link that searches it), or the note that the results are for a shorter query. */
export function renderSuggestion(slot, page, onSearch) {
  const suggestion = page && page.did_you_mean;
  if (!suggestion) {
    slot.replaceChildren();
    return;
  }
  const link = el("a", {
    href: "#", class: "suggestion-link", "data-testid": "did-you-mean",
    onclick: (event) => { event.preventDefault(); onSearch(suggestion); },
  }, suggestion);
  if (page.relaxed) mount(slot, el("p", { class: "suggestion", "data-testid": "suggestion" }, TEXT.relaxed(suggestion)));
  else mount(slot, el("p", { class: "suggestion", "data-testid": "suggestion" }, `${TEXT.didYouMean} `, link, " ?"));
}

/** Catalogue › Category › “query”: every crumb but the last is a link. */
export function renderBreadcrumbs(slot, crumbs, hrefFor) {
  if (!crumbs || crumbs.length < 2) {
    slot.replaceChildren();
    return;
  }
  const items = crumbs.map((crumb, index) => {
    const last = index === crumbs.length - 1;
    return el("li", {}, last
      ? el("span", { "aria-current": "page", text: crumb.label })
      : el("a", { href: hrefFor(crumb), text: crumb.label }));
  });
  mount(slot, el("nav", { class: "breadcrumbs", "aria-label": TEXT.breadcrumbs, "data-testid": "breadcrumbs" },
    el("ol", {}, items)));
}
