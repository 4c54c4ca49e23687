// Halles shopper frontend: hash routes, no build step.
//   #/                      catalogue (filters live in the hash: #/?q=kettle&category=kitchen)
//   #/product/<product_id>  one product: the buy box (best offer) and every other offer
//   #/vendors/<vendor_id>   a shop's public page: profile, return policy, ratings, live offers
//   #/signin, #/signup      accounts
//   #/cart                  the cart, its quote and the Pay button
//   #/payment-return        where the payment page sends the shopper back
//   #/orders, #/orders/<id> the shopper's orders
//   #/account/cards         saved cards
//   #/messages[?thread=<id>] the shopper's conversations with vendors
//   #/vendor[/<section>]    the vendor space (js/views/vendor/sections.js)
//   #/admin[/<section>]     the admin space (js/views/admin/sections.js)
//   #/inbox, #/settings     notifications and their settings (js/views/inbox.js)
//   #/survey?token=<t>      a satisfaction survey from its e-mail, no sign-in (js/views/survey.js)

import { announce, el, mount } from "./js/dom.js";
import { cartCount, isShopper, onCartCountChange, refreshCartCount, setCartCount } from "./js/cart-state.js";
import { api, request } from "./js/api.js";
import { clearSession, getSession, onSessionChange, updateSessionUser } from "./js/session.js";
import { hasRole } from "./js/views/space.js";
import { applyToDocument, chooseLanguage, chosenLanguage, currentLanguage, languageChoices, t } from "./js/i18n.js";

// Every page's code is loaded when the page is first shown (one dynamic import per view module), so
// the catalogue never downloads the cart, orders, vendor or admin code (tests/unit/test_frontend_modules.py).
// The specifiers stay string literals: scripts/build_frontend.py rewrites them to the hashed names.
const VIEWS = {
  catalogue: () => import("./js/views/catalogue.js"),
  product: () => import("./js/views/product.js"),
  vendorPage: () => import("./js/views/vendor-page.js"),
  auth: () => import("./js/views/auth.js"),
  cart: () => import("./js/views/cart.js"),
  cards: () => import("./js/views/cards.js"),
  orders: () => import("./js/views/orders.js"),
  space: () => import("./js/views/space.js"),
  vendorSections: () => import("./js/views/vendor/sections.js"),
  adminSections: () => import("./js/views/admin/sections.js"),
  inbox: () => import("./js/views/inbox.js"),
  messages: () => import("./js/views/messages.js"),
  survey: () => import("./js/views/survey.js"),
};
// The header's inbox and messages links, for signed-in users only.
const HEADER_LINKS = () => Promise.all([import("./js/views/inbox.js"), import("./js/messages.js")]);

const main = document.getElementById("main");
const vendorSpace = (sections) => ({ role: "vendor", base: "#/vendor", title: t("app.vendorSpace"), label: "vendor", sections });
const adminSpace = (sections) => ({ role: "admin", base: "#/admin", title: t("app.administration"), label: "admin", sections });
let currentView = null; // {cleanup?: () => void}

/** "#/product/abc?x=1" -> {path: "/product/abc", params: URLSearchParams} */
export function parseHash(hash = window.location.hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { path: path || "/", params: new URLSearchParams(search) };
}

const id = (m) => decodeURIComponent(m[1]);
const section = (m) => m[1] && decodeURIComponent(m[1]);
const space = (sectionsModule, makeSpace, sectionsName) => () => Promise.all([VIEWS.space(), sectionsModule()])
  .then(([spaceView, sections]) => ({ renderSpace: spaceView.renderSpace, space: makeSpace(sections[sectionsName]) }));

// {pattern, load: () => Promise<module>, view: (module, match, params) => view}
const routes = [
  { pattern: /^\/$/, load: VIEWS.catalogue, view: (v, m, params) => v.renderCatalogue(main, params) },
  { pattern: /^\/product\/([^/]+)$/, load: VIEWS.product, view: (v, m) => v.renderProduct(main, id(m)) },
  { pattern: /^\/vendors\/([^/]+)$/, load: VIEWS.vendorPage, view: (v, m) => v.renderVendorPage(main, id(m)) },
  { pattern: /^\/signin$/, load: VIEWS.auth, view: (v, m, params) => v.renderSignIn(main, params) },
  { pattern: /^\/signup$/, load: VIEWS.auth, view: (v, m, params) => v.renderSignUp(main, params) },
  { pattern: /^\/cart$/, load: VIEWS.cart, view: (v) => v.renderCart(main) },
  { pattern: /^\/payment-return$/, load: VIEWS.orders, view: (v, m, params) => v.renderPaymentReturn(main, params) },
  { pattern: /^\/orders$/, load: VIEWS.orders, view: (v) => v.renderOrders(main) },
  { pattern: /^\/orders\/([^/]+)$/, load: VIEWS.orders, view: (v, m, params) => v.renderOrder(main, id(m), params) },
  { pattern: /^\/account\/cards$/, load: VIEWS.cards, view: (v) => v.renderCards(main) },
  { pattern: /^\/inbox$/, load: VIEWS.inbox, view: (v) => v.renderInbox(main) },
  { pattern: /^\/settings$/, load: VIEWS.inbox, view: (v) => v.renderSettings(main) },
  { pattern: /^\/messages$/, load: VIEWS.messages, view: (v, m, params) => v.renderMessages(main, params) },
  { pattern: /^\/survey$/, load: VIEWS.survey, view: (v, m, params) => v.renderSurvey(main, params) },
  { pattern: /^\/vendor(?:\/([^/]+))?$/, load: space(VIEWS.vendorSections, vendorSpace, "VENDOR_SECTIONS"),
    view: (v, m, params) => v.renderSpace(main, v.space, section(m), params) },
  { pattern: /^\/admin(?:\/([^/]+))?$/, load: space(VIEWS.adminSections, adminSpace, "ADMIN_SECTIONS"),
    view: (v, m, params) => v.renderSpace(main, v.space, section(m), params) },
];

let navigation = 0; // which route() call is the latest: a page whose code arrives late is not drawn

async function route() {
  // In-page anchors are not routes: keep the page, or show the catalogue on a fresh load.
  const inPage = window.location.hash && !window.location.hash.startsWith("#/");
  if (inPage && currentView) return;
  const { path, params } = inPage ? parseHash("#/") : parseHash();
  const match = routes.map((r) => ({ r, m: path.match(r.pattern) })).find((x) => x.m);
  // Same page, new parameters (a catalogue filter changed): update in place so
  // focus stays where the shopper is typing.
  if (match && currentView && currentView.route === match.r && typeof currentView.update === "function") {
    currentView.update(params);
    updateNav(path);
    return;
  }
  const ticket = ++navigation;
  if (currentView && typeof currentView.cleanup === "function") currentView.cleanup();
  currentView = null;
  if (!match) {
    document.title = t("app.notFoundTitle");
    mount(main, el("section", { class: "notice", "data-testid": "not-found" },
      el("h1", { text: t("app.notFound") }),
      el("p", {}, t("app.nowhere"), " ", el("a", { href: "#/", text: t("common.backToCatalogue") }))));
    focusPageHeading();
    return;
  }
  let module;
  try {
    module = await match.r.load();
  } catch {
    // The page's code did not arrive (offline, or a deployment replaced it): say so, offer a retry.
    if (ticket !== navigation) return;
    mount(main, el("section", { class: "notice", role: "alert", "data-testid": "page-load-failed" },
      el("p", { text: t("errors.network_error") }),
      el("button", { type: "button", class: "button", onclick: () => window.location.reload() }, t("common.tryAgain"))));
    return;
  }
  if (ticket !== navigation) return; // the user went elsewhere while this page's code loaded
  window.scrollTo(0, 0); // a new page starts at its top, not where the last one was scrolled
  currentView = match.r.view(module, match.m, params) || {};
  currentView.route = match.r;
  updateNav(path);
  focusPageHeading();
}

/**
 * After a navigation, focus goes to the new page's heading (its first h1), so that screen-reader and
 * keyboard users start on the page they asked for instead of the body. Pages draw their heading once
 * their data arrives: a watcher waits for it (and for a heading redrawn with fresh data, which would
 * drop focus to the body), and gives up for good as soon as the user moves focus themselves (typing in
 * a field, clicking, tabbing), so it never takes focus away from someone already working on the page.
 */
let stopHeadingWatch = () => {};
function focusPageHeading() {
  stopHeadingWatch();
  let focused = null;
  const place = () => {
    const heading = main.querySelector("h1");
    const active = document.activeElement;
    const adrift = !active || active === document.body || active === main || !active.isConnected;
    if (!heading || heading === active || !(adrift || active === focused || !focused)) return;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    focused = heading;
    heading.focus({ preventScroll: true });
  };
  const onFocusIn = (event) => { if (event.target !== focused) stop(); };
  const observer = new MutationObserver(place);
  const timer = window.setTimeout(() => stop(), 8000);
  function stop() {
    observer.disconnect();
    window.clearTimeout(timer);
    document.removeEventListener("focusin", onFocusIn, true);
    document.removeEventListener("pointerdown", stop, true);
    document.removeEventListener("keydown", stop, true);
    stopHeadingWatch = () => {};
  }
  stopHeadingWatch = stop;
  place();
  observer.observe(main, { childList: true, subtree: true });
  document.addEventListener("focusin", onFocusIn, true);
  document.addEventListener("pointerdown", stop, true);
  document.addEventListener("keydown", stop, true);
}

function updateNav(path) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    const active = link.dataset.nav === "catalogue" ? path === "/" || path.startsWith("/product/") : path === `/${link.dataset.nav}`;
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

let accountDrawing = 0; // the latest renderAccount() call: an older one whose links arrive late is dropped

async function renderAccount(session) {
  const box = document.getElementById("account");
  const ticket = ++accountDrawing;
  if (session && session.user) {
    let inboxLink, messagesLink;
    try {
      [{ inboxLink }, { messagesLink }] = await HEADER_LINKS();
    } catch {
      inboxLink = messagesLink = () => null; // the header works without its badges
    }
    if (ticket !== accountDrawing) return;
    const roles = session.user.roles && session.user.roles.length ? session.user.roles : ["shopper"];
    const role = roles.join(", ");
    mount(box,
      el("span", { class: "account-who" },
        el("span", { class: "visually-hidden", text: `${t("app.signedInAs")} ` }),
        // The name given at sign-up; the email only when there is none (older sessions).
        el("span", { class: session.user.name ? "account-name" : "account-email", "data-testid": "account-name",
          title: session.user.email || null, text: session.user.name || session.user.email }),
        el("span", { class: `role-badge role-${roles[0]}`, "data-testid": "account-role", text: role })),
      isShopper(session) || hasRole("vendor", session) ? inboxLink() : null,
      isShopper(session) ? el("a", { class: "button button-quiet", href: "#/orders", "data-testid": "orders-link" }, t("app.myOrders")) : null,
      messagesLink(session),
      hasRole("vendor", session) ? el("a", { class: "button button-quiet", href: "#/vendor", "data-testid": "vendor-space-link" }, t("app.vendorSpace")) : null,
      hasRole("admin", session) ? el("a", { class: "button button-quiet", href: "#/admin", "data-testid": "admin-space-link" }, t("app.administration")) : null,
      el("button", {
        type: "button", class: "button button-quiet", "data-testid": "signout",
        onclick: () => { clearSession(); announce(t("app.signedOut")); },
      }, t("app.signOut")));
  } else {
    const here = parseHash().path;
    const next = here === "/signin" || here === "/signup" ? "" : `?next=${encodeURIComponent(window.location.hash || "#/")}`;
    mount(box,
      el("a", { class: "button button-quiet", href: `#/signin${next}`, "data-testid": "signin-link" }, t("auth.signIn")),
      el("a", { class: "button", href: `#/signup${next}`, "data-testid": "signup-link" }, t("auth.createAccount")));
  }
}

/** The cart link, with the item count once known; not for vendors or admins. */
function renderCartLink() {
  const slot = document.querySelector('[data-testid="cart-slot"]');
  const session = getSession();
  if (session && session.user && !isShopper(session)) {
    mount(slot);
    return;
  }
  const count = cartCount();
  // Named by what it shows ("Cart 3"), the count's unit said to screen readers only: a speech-input
  // user says what they see.
  mount(slot, el("a", { class: "cart-link", href: "#/cart", "data-testid": "cart-link" },
    cartIcon(),
    el("span", { class: "cart-link-text", text: t("app.cart") }),
    count ? el("span", { class: "cart-count", "data-testid": "cart-count", text: String(count) }) : null,
    count ? el("span", { class: "visually-hidden", text: ` ${t("app.cartItems", { count })}` }) : null));
}

function cartIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({ class: "cart-icon", viewBox: "0 0 24 24", width: "20", height: "20", "aria-hidden": "true", focusable: "false" })) svg.setAttribute(k, v);
  const path = document.createElementNS(ns, "path");
  for (const [k, v] of Object.entries({
    fill: "none", stroke: "currentColor", "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round",
    d: "M3 4h2l2.4 11.2a1 1 0 0 0 1 .8h9.2a1 1 0 0 0 1-.8L20 8H6.2M9 20.5h.01M17 20.5h.01",
  })) path.setAttribute(k, v);
  svg.append(path);
  return svg;
}

let cartOwner = getSession()?.user?.user_id || null;

// The skip link moves focus without touching the hash, which belongs to the router.
document.querySelector(".skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

// The FR/EN switch in the header: remembered in this browser, saved as the account's language
// (PUT /me/preferences, so e-mails follow) when signed in, then the page is drawn again.
function renderLanguageSwitch() {
  const slot = document.getElementById("language-switch");
  if (!slot) return;
  mount(slot, el("div", { class: "language-switch", role: "group", "aria-label": t("app.language") },
    languageChoices().map((choice) => el("button", {
      type: "button", class: "language-option", lang: choice.code, "data-testid": `language-${choice.code}`,
      "aria-pressed": String(choice.code === currentLanguage()), title: choice.name,
      onclick: () => {
        if (choice.code === currentLanguage()) return;
        chooseLanguage(choice.code, (code) => (getSession()?.user
          ? request("PUT", "/me/preferences", { auth: true, body: { locale: code } }) : null));
      },
    }, choice.short, el("span", { class: "visually-hidden", text: ` – ${choice.name}` })))));
}

// The phone menu (below 640 px, styles.css): navigation, language and account behind one button that
// says whether it is open. A navigation or Escape closes it (Escape gives focus back to the button).
const menuToggle = document.getElementById("menu-toggle");
const siteMenu = document.getElementById("site-menu");
function setMenuOpen(open, { returnFocus = false } = {}) {
  if (!menuToggle || !siteMenu) return;
  menuToggle.setAttribute("aria-expanded", String(open));
  siteMenu.classList.toggle("open", open);
  if (!open && returnFocus) menuToggle.focus();
}
menuToggle?.addEventListener("click", () => setMenuOpen(menuToggle.getAttribute("aria-expanded") !== "true"));
for (const node of [menuToggle, siteMenu]) {
  node?.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menuToggle.getAttribute("aria-expanded") === "true") setMenuOpen(false, { returnFocus: true });
  });
}

applyToDocument();
renderLanguageSwitch();
onSessionChange(renderAccount);
// A session saved before sign-in answered with a name: ask GET /me once for it.
{
  const session = getSession();
  if (session && session.user && !session.user.name) {
    api.me().then((me) => {
      const current = getSession();
      if (me && me.name && current && current.user && current.user.user_id === me.user_id) {
        updateSessionUser({ ...current.user, name: me.name, email: current.user.email || me.email });
      }
    }).catch(() => { /* the email stays shown */ });
  }
}
onSessionChange((session) => {
  // A refreshed token keeps the count; another shopper (or none) starts from theirs.
  const owner = session?.user?.user_id || null;
  if (owner === cartOwner) return;
  cartOwner = owner;
  // A language chosen before signing in becomes the account's, so its e-mails follow the page.
  if (owner && chosenLanguage()) {
    request("PUT", "/me/preferences", { auth: true, body: { locale: chosenLanguage() } }).catch(() => { /* e-mails keep theirs */ });
  }
  setCartCount(null);
  renderCartLink();
  refreshCartCount();
});
onCartCountChange(renderCartLink);
window.addEventListener("hashchange", () => {
  setMenuOpen(false);
  route();
  renderAccount(getSession());
});
renderAccount(getSession());
renderCartLink();
refreshCartCount();
route();
