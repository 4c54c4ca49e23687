// Vendor space: the vendor's offers with price, stock on hand, units held by unpaid orders and sold.

import { ApiError, request } from "../../api.js";
import { el, mount } from "../../dom.js";
import { formatMoney } from "../../money.js";
import { conditionLabel } from "../../labels.js";
import { signInHref } from "../guard.js";

const fetchOffers = (query, options) => request("GET", "/vendor/offers", { ...options, auth: true, query });

export const offersSection = {
  id: "offers",
  label: "Offers",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "data-testid": "vendor-offers-status", "aria-live": "polite", text: "Loading your offers…" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "vendor-offers-error" });
    const body = el("tbody");
    const more = el("button", { type: "button", class: "button button-quiet", hidden: true, "data-testid": "vendor-offers-more" }, "Show more");
    let cursor = null;
    mount(panel,
      el("h2", { text: "Your offers" }),
      status, error,
      el("div", { class: "table-scroll" },
        el("table", { class: "data-table", "data-testid": "vendor-offers" },
          el("thead", {}, el("tr", {},
            ["Product", "Condition", "Price", "Delivery fee", "On hand", "Held by unpaid orders", "Sold"]
              .map((h) => el("th", { scope: "col", text: h })))),
          body)),
      more);
    more.addEventListener("click", () => load());
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      try {
        const page = await fetchOffers(cursor ? { cursor } : {}, { signal: controller.signal });
        body.append(...page.items.map(row));
        cursor = page.next_cursor;
        more.hidden = !cursor;
        const count = body.children.length;
        status.textContent = count ? `${count === 1 ? "1 offer" : `${count} offers`}.` : "You have no offers yet.";
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, "Your session ended. ", el("a", { href: signInHref(), text: "Sign in again" }));
        else error.textContent = err.message;
      }
    }

    function row(offer) {
      return el("tr", { "data-testid": "vendor-offer", "data-offer-id": offer.offer_id },
        el("th", { scope: "row" }, el("a", { href: `#/product/${encodeURIComponent(offer.product_id)}`, text: offer.product_title })),
        el("td", { text: conditionLabel(offer.condition) }),
        el("td", { class: "num", text: formatMoney(offer.price) }),
        el("td", { class: "num", text: formatMoney(offer.shipping_fee) }),
        el("td", { class: "num", "data-testid": "offer-stock", text: String(offer.stock) }),
        el("td", { class: "num", text: String(offer.reserved) }),
        el("td", { class: "num", text: String(offer.sold) }));
    }
  },
};
