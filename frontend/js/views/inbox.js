// The signed-in user's inbox (#/inbox), their notification settings (#/settings: language and
// consents) and the unread badge of the header. Titles and bodies come from the API as text and go
// through textContent only.

import { ApiError } from "../api.js";
import { announce, el, mount } from "../dom.js";
import { getSession } from "../session.js";
import { notificationsApi } from "../notifications-api.js";
import { signInHref } from "./guard.js";
import { formatDateTime, t } from "../i18n.js";

const POLL_MS = 30000;
const badgeListeners = new Set();

function signedIn() {
  const session = getSession();
  return Boolean(session && session.user);
}

function needsSignIn(main, { view, title, what }) {
  document.title = `${title} · Halles`;
  mount(main, el("section", { class: "notice", "data-view": view, "data-testid": "signin-required" },
    el("h1", { text: title }),
    el("p", {}, t("guard.signInToSee", { what })),
    el("p", {}, el("a", { class: "button", href: signInHref(), text: t("auth.signIn") }))));
  return {};
}

function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : formatDateTime(date);
}

function errorText(err) {
  return err instanceof ApiError && err.status === 401 ? t("inbox.sessionEnded") : err.message;
}

/** Tell the header badge the count changed (after reading some). */
function countChanged() {
  for (const listener of badgeListeners) listener();
}

export function renderInbox(main) {
  if (!signedIn()) return needsSignIn(main, { view: "inbox", title: t("inbox.title"), what: t("inbox.what") });
  document.title = t("inbox.pageTitle");
  const controller = new AbortController();
  const status = el("p", { class: "result-status", "data-testid": "inbox-status", "aria-live": "polite", text: t("inbox.loading") });
  const error = el("p", { class: "form-error", role: "alert", "data-testid": "inbox-error" });
  const list = el("ul", { class: "inbox-list", "data-testid": "inbox-list" });
  const more = el("button", { type: "button", class: "button button-quiet", "data-testid": "inbox-more", hidden: true, onclick: () => load(cursor) }, t("inbox.older"));
  const readAll = el("button", {
    type: "button", class: "button button-quiet", "data-testid": "inbox-read-all",
    onclick: async () => {
      readAll.disabled = true;
      try {
        const { marked } = await notificationsApi.markAllRead();
        for (const item of list.querySelectorAll(".inbox-item.unread")) markShownRead(item);
        announce(marked ? t("inbox.markedRead", { count: marked }) : t("inbox.allRead"));
        countChanged();
      } catch (err) {
        error.textContent = errorText(err);
      } finally {
        readAll.disabled = false;
      }
    },
  }, t("inbox.markAll"));
  let cursor = null;
  let shown = 0;
  mount(main, el("div", { class: "inbox-page", "data-view": "inbox" },
    el("div", { class: "inbox-head" }, el("h1", { text: t("inbox.title") }), readAll,
      el("a", { class: "button button-quiet", href: "#/settings", "data-testid": "inbox-settings-link" }, t("settings.title"))),
    status, error, list, more));

  load(null);

  async function load(from) {
    more.disabled = true;
    try {
      const page = await notificationsApi.list({ cursor: from, signal: controller.signal });
      cursor = page.next_cursor;
      shown += page.items.length;
      list.append(...page.items.map(item));
      status.textContent = shown ? "" : t("inbox.none");
      more.hidden = !cursor;
    } catch (err) {
      if (err.name === "AbortError") return;
      status.textContent = "";
      error.textContent = errorText(err);
    } finally {
      more.disabled = false;
    }
  }

  function markShownRead(node) {
    node.classList.remove("unread");
    node.querySelector(".inbox-mark")?.remove();
    node.querySelector(".inbox-unread-dot")?.remove();
  }

  function item(notification) {
    const node = el("li", {
      class: `inbox-item${notification.read ? "" : " unread"}`, "data-testid": "inbox-item",
      "data-notification-id": notification.notification_id, "data-event-type": notification.event_type || "",
    });
    const open = async () => {
      if (!node.classList.contains("unread")) return;
      try {
        await notificationsApi.markRead(notification.notification_id);
        markShownRead(node);
        countChanged();
      } catch (err) {
        error.textContent = errorText(err);
      }
    };
    mount(node,
      el("div", { class: "inbox-item-head" },
        notification.read ? null : el("span", { class: "inbox-unread-dot", "aria-label": t("app.unread", { count: 1 }), role: "img" }),
        el("a", { class: "inbox-title", href: notification.link || "#/inbox", "data-testid": "inbox-title", text: notification.title, onclick: open }),
        el("time", { class: "muted", datetime: notification.created_at || "", text: when(notification.created_at) })),
      el("p", { class: "inbox-body", text: (notification.body || "").split("\n").filter(Boolean).slice(1, 3).join(" ") }),
      notification.read ? null : el("button", {
        type: "button", class: "button button-quiet inbox-mark", "data-testid": "inbox-mark-read", onclick: open,
      }, t("inbox.markRead")));
    return node;
  }

  return { cleanup: () => controller.abort() };
}

const PURPOSES = [
  { key: "marketing", label: t("inbox.marketing"), hint: t("inbox.marketingHint") },
  { key: "surveys", label: t("inbox.surveys"), hint: t("inbox.surveysHint") },
];

export function renderSettings(main) {
  if (!signedIn()) return needsSignIn(main, { view: "settings", title: t("settings.title"), what: t("settings.what") });
  document.title = t("settings.pageTitle");
  const controller = new AbortController();
  const error = el("p", { class: "form-error", role: "alert", "data-testid": "settings-error" });
  const saved = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "settings-status" });
  const language = el("select", { id: "settings-locale", "data-testid": "settings-locale", disabled: true },
    el("option", { value: "en", text: "English" }), el("option", { value: "fr", text: "Français" }));
  const boxes = {};
  const history = el("ul", { class: "consent-history", "data-testid": "consent-history" });
  const consentFields = PURPOSES.map(({ key, label, hint }) => {
    boxes[key] = el("input", { type: "checkbox", id: `consent-${key}`, "data-testid": `consent-${key}`, disabled: true });
    return el("div", { class: "field field-check" }, boxes[key],
      el("label", { for: `consent-${key}`, text: label }), el("p", { class: "field-hint", text: hint }));
  });
  mount(main, el("div", { class: "settings-page", "data-view": "settings" },
    el("h1", { text: t("settings.title") }),
    el("section", { class: "panel", "aria-labelledby": "settings-language" },
      el("h2", { id: "settings-language", text: t("settings.language") }),
      el("div", { class: "field" }, el("label", { for: "settings-locale", text: t("settings.languageLabel") }), language)),
    el("section", { class: "panel", "aria-labelledby": "settings-consents" },
      el("h2", { id: "settings-consents", text: t("settings.consents") }),
      el("p", { class: "field-hint", text: t("settings.consentsHint") }),
      ...consentFields,
      el("details", {}, el("summary", { text: t("settings.history") }), history)),
    saved, error));

  language.addEventListener("change", async () => {
    language.disabled = true;
    error.textContent = "";
    try {
      await notificationsApi.setPreferences({ locale: language.value });
      saved.textContent = t("settings.languageSaved");
    } catch (err) {
      error.textContent = errorText(err);
    } finally {
      language.disabled = false;
    }
  });
  for (const [key, box] of Object.entries(boxes)) {
    box.addEventListener("change", async () => {
      box.disabled = true;
      error.textContent = "";
      try {
        showConsents(await notificationsApi.setConsents({ [key]: box.checked }));
        saved.textContent = box.checked ? t("settings.given") : t("settings.withdrawn");
      } catch (err) {
        box.checked = !box.checked;
        error.textContent = errorText(err);
      } finally {
        box.disabled = false;
      }
    });
  }

  load();

  async function load() {
    try {
      const [preferences, consents] = await Promise.all([
        notificationsApi.preferences({ signal: controller.signal }), notificationsApi.consents({ signal: controller.signal })]);
      language.value = preferences.locale;
      language.disabled = false;
      showConsents(consents);
    } catch (err) {
      if (err.name === "AbortError") return;
      error.textContent = errorText(err);
    }
  }

  function showConsents(view) {
    for (const [key, box] of Object.entries(boxes)) {
      box.checked = Boolean(view.consents[key] && view.consents[key].granted);
      box.disabled = false;
    }
    mount(history, view.history.length
      ? view.history.map((change) => el("li", {}, `${when(change.at)}: ${change.granted ? "gave" : "withdrew"} consent to ${change.purpose} (${(change.source || "").replace(/_/g, " ")})`))
      : el("li", { class: "muted", text: t("settings.noChoice") }));
  }

  return { cleanup: () => controller.abort() };
}

/** The header's inbox link with the unread count; refreshed on navigation and every 30 s. */
export function inboxLink() {
  const count = el("span", { class: "inbox-count", "data-testid": "inbox-count", hidden: true });
  // Named by its visible words ("Inbox 3"), "unread" said to screen readers only (WCAG 2.5.3).
  const unreadWord = el("span", { class: "visually-hidden", hidden: true });
  const link = el("a", { class: "button button-quiet inbox-link", href: "#/inbox", "data-testid": "inbox-link" },
    t("inbox.title"), count, unreadWord);
  let timer = null;
  const refresh = async () => {
    if (!link.isConnected || !signedIn()) { stop(); return; }
    try {
      const { unread } = await notificationsApi.unreadCount();
      count.textContent = unread > 99 ? "99+" : String(unread);
      count.hidden = !unread;
      unreadWord.hidden = !unread;
      unreadWord.textContent = ` ${t("app.unread", { count: unread })}`;
    } catch { /* the badge stays as it was */ }
  };
  const stop = () => {
    window.clearInterval(timer);
    badgeListeners.delete(refresh);
  };
  badgeListeners.add(refresh);
  timer = window.setInterval(refresh, POLL_MS);
  window.setTimeout(refresh, 0);
  return link;
}
