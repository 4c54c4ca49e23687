// The shopper's saved cards (saved by ticking "Save this card" at checkout): list and remove.
// Removing asks for a second press in place: a blocking confirm() dialog helps nobody.

import { ApiError, api } from "../api.js";
import { announce, el, mount } from "../dom.js";
import { humanize } from "../categories.js";
import { requireShopper, signInHref } from "./guard.js";
import { t } from "../i18n.js";

/** "Visa •••• 4242, expires 12/34" */
export function cardLabel(card) {
  return t("cards.label", { brand: humanize(card.brand || t("cards.card")), last4: card.last4, expiry: `${String(card.exp_month).padStart(2, "0")}/${String(card.exp_year).slice(-2)}` });
}

/** The tabs shared by the shopper's account pages. */
export function accountTabs(active) {
  const tab = (key, href, label) => el("a", {
    href, class: "account-tab", "data-testid": `account-tab-${key}`, "aria-current": key === active ? "page" : null, text: label,
  });
  return el("nav", { class: "account-tabs", "aria-label": t("order.account"), "data-testid": "account-tabs" },
    tab("orders", "#/orders", t("app.myOrders")),
    tab("cards", "#/account/cards", t("cards.title")));
}

export function renderCards(main) {
  if (!requireShopper(main, { view: "cards", title: t("cards.title"), what: t("cards.what") })) return {};
  document.title = t("cards.pageTitle");
  const controller = new AbortController();
  const status = el("p", { class: "result-status", "data-testid": "cards-status", "aria-live": "polite", text: t("cards.loading") });
  const list = el("ul", { class: "card-list", "data-testid": "card-list" });
  const error = el("p", { class: "form-error", role: "alert", "data-testid": "cards-error" });
  mount(main, el("div", { class: "account-page", "data-view": "cards" },
    el("h1", { text: t("order.account") }),
    accountTabs("cards"),
    el("section", { class: "panel", "aria-labelledby": "cards-title" },
      el("h2", { id: "cards-title", text: t("cards.title") }),
      status, error, list)));

  load();

  async function load() {
    try {
      show((await api.paymentMethods({ signal: controller.signal })).items || []);
    } catch (err) {
      if (err.name === "AbortError") return;
      status.textContent = "";
      if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else error.textContent = err.message;
    }
  }

  function show(cards) {
    status.textContent = cards.length
      ? `${cards.length === 1 ? "1 saved card" : `${cards.length} saved cards`}.`
      : t("cards.none");
    mount(list, cards.map(cardItem));
  }

  function cardItem(card) {
    const actions = el("div", { class: "card-actions" });
    const item = el("li", { class: "saved-card", "data-testid": "saved-card", "data-card-id": card.id },
      el("span", { class: "saved-card-label", "data-testid": "saved-card-label", text: cardLabel(card) }),
      actions);
    const askFirst = () => mount(actions, el("button", {
      type: "button", class: "button button-quiet button-small", "data-testid": "remove-card",
      onclick: () => {
        mount(actions,
          el("span", { class: "muted", text: t("cards.removeQuestion") }),
          el("button", { type: "button", class: "button button-danger button-small", "data-testid": "confirm-remove-card", onclick: remove }, t("cards.remove")),
          el("button", { type: "button", class: "button button-quiet button-small", "data-testid": "keep-card", onclick: askFirst }, t("cards.keep")));
        actions.querySelector('[data-testid="confirm-remove-card"]').focus();
      },
    }, t("cards.remove")));

    async function remove(event) {
      event.target.disabled = true;
      error.textContent = "";
      try {
        await api.removePaymentMethod(card.id);
        announce(t("cards.removed", { card: cardLabel(card) }));
        await load();
        (list.querySelector("button") || main.querySelector("h2"))?.focus?.();
      } catch (err) {
        error.textContent = err instanceof ApiError ? err.message : t("cards.generic");
        askFirst();
      }
    }

    askFirst();
    return item;
  }

  return { cleanup: () => controller.abort() };
}
