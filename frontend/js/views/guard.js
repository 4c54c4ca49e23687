// Carts, orders and saved cards are a signed-in shopper's: other visitors get a way in.

import { el, mount } from "../dom.js";
import { isShopper } from "../cart-state.js";
import { getSession } from "../session.js";
import { t } from "../i18n.js";

/** Hash of the sign-in page that comes back here afterwards. */
export function signInHref(next = window.location.hash || "#/") {
  return `#/signin?next=${encodeURIComponent(next)}`;
}

/**
 * True when a shopper is signed in. Otherwise shows why this page is not available
 * (`what`: "your cart", "your orders"...) with a sign-in link, and returns false.
 */
export function requireShopper(main, { view, title, what }) {
  const session = getSession();
  if (isShopper(session)) return true;
  document.title = `${title} · Halles`;
  const signedIn = Boolean(session && session.user);
  mount(main, el("section", { class: "notice", "data-view": view, "data-testid": "shopper-only" },
    el("h1", { text: title }),
    signedIn
      ? el("p", {}, t("guard.shoppersOnly", { what }), " ", el("strong", { text: session.user.email }), ".")
      : el("p", {}, t("guard.signInToSee", { what })),
    el("p", {},
      signedIn
        ? el("a", { class: "button", href: "#/", text: t("common.backToCatalogue") })
        : el("a", { class: "button", href: signInHref(), "data-testid": "shopper-signin", text: t("auth.signIn") }),
      signedIn ? null : " ",
      signedIn ? null : el("a", { class: "button button-quiet", href: `#/signup?next=${encodeURIComponent(window.location.hash || "#/")}`, text: t("auth.createAccountLink") }))));
  return false;
}
