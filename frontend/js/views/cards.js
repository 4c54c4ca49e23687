// The shopper's saved cards (saved by ticking "Save this card" at checkout): list and remove.
// Removing asks for a second press in place: a blocking confirm() dialog helps nobody.

import { ApiError, api } from "../api.js";
import { announce, el, mount } from "../dom.js";
import { humanize } from "../categories.js";
import { requireShopper, signInHref } from "./guard.js";

/** "Visa •••• 4242, expires 12/34" */
export function cardLabel(card) {
  return `${humanize(card.brand || "card")} •••• ${card.last4}, expires ${String(card.exp_month).padStart(2, "0")}/${String(card.exp_year).slice(-2)}`;
}

/** The tabs shared by the shopper's account pages. */
export function accountTabs(active) {
  const tab = (key, href, label) => el("a", {
    href, class: "account-tab", "data-testid": `account-tab-${key}`, "aria-current": key === active ? "page" : null, text: label,
  });
  return el("nav", { class: "account-tabs", "aria-label": "Your account", "data-testid": "account-tabs" },
    tab("orders", "#/orders", "My orders"),
    tab("cards", "#/account/cards", "Saved cards"));
}

export function renderCards(main) {
  if (!requireShopper(main, { view: "cards", title: "Saved cards", what: "saved cards" })) return {};
  document.title = "Saved cards · Halles";
  const controller = new AbortController();
  const status = el("p", { class: "result-status", "data-testid": "cards-status", "aria-live": "polite", text: "Loading your cards…" });
  const list = el("ul", { class: "card-list", "data-testid": "card-list" });
  const error = el("p", { class: "form-error", role: "alert", "data-testid": "cards-error" });
  mount(main, el("div", { class: "account-page", "data-view": "cards" },
    el("h1", { text: "Your account" }),
    accountTabs("cards"),
    el("section", { class: "panel", "aria-labelledby": "cards-title" },
      el("h2", { id: "cards-title", text: "Saved cards" }),
      status, error, list)));

  load();

  async function load() {
    try {
      show((await api.paymentMethods({ signal: controller.signal })).items || []);
    } catch (err) {
      if (err.name === "AbortError") return;
      status.textContent = "";
      if (err instanceof ApiError && err.status === 401) mount(error, "Your session ended. ", el("a", { href: signInHref(), text: "Sign in again" }));
      else error.textContent = err.message;
    }
  }

  function show(cards) {
    status.textContent = cards.length
      ? `${cards.length === 1 ? "1 saved card" : `${cards.length} saved cards`}.`
      : "No saved cards. Tick “Save this card” when you pay to check out faster next time.";
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
          el("span", { class: "muted", text: "Remove this card?" }),
          el("button", { type: "button", class: "button button-danger button-small", "data-testid": "confirm-remove-card", onclick: remove }, "Remove"),
          el("button", { type: "button", class: "button button-quiet button-small", "data-testid": "keep-card", onclick: askFirst }, "Keep"));
        actions.querySelector('[data-testid="confirm-remove-card"]').focus();
      },
    }, "Remove"));

    async function remove(event) {
      event.target.disabled = true;
      error.textContent = "";
      try {
        await api.removePaymentMethod(card.id);
        announce(`${cardLabel(card)} removed.`);
        await load();
        (list.querySelector("button") || main.querySelector("h2"))?.focus?.();
      } catch (err) {
        error.textContent = err instanceof ApiError ? err.message : "Something went wrong. Please try again.";
        askFirst();
      }
    }

    askFirst();
    return item;
  }

  return { cleanup: () => controller.abort() };
}
