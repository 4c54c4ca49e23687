// The vendor space (#/vendor/<section>) and the admin space (#/admin/<section>): one page with a tab per
// section. Each section is a module of its own (js/views/vendor/*.js, js/views/admin/*.js) listed in that
// space's sections.js; it renders into the panel it is given and may return {cleanup}.

import { el, mount } from "../dom.js";
import { getSession } from "../session.js";
import { signInHref } from "./guard.js";
import { has, t } from "../i18n.js";

/** A section's tab name in the page's language (space.<role>.<id>); a section the catalogue does not know yet keeps its own label. */
function sectionLabel(space, section) {
  const key = `space.${space.role}.${section.id.replace(/-/g, "_")}`;
  return has(key) ? t(key) : section.label;
}

export function hasRole(role, session = getSession()) {
  return Boolean(session && session.user && (session.user.roles || []).includes(role));
}

/**
 * space: {role, base: "#/vendor", title, label, sections: [{id, label, render(panel, params)}]}
 * Returns the view ({cleanup}).
 */
export function renderSpace(main, space, sectionId, params) {
  const session = getSession();
  if (!hasRole(space.role, session)) {
    document.title = `${space.title} · Halles`;
    const signedIn = Boolean(session && session.user);
    mount(main, el("section", { class: "notice", "data-view": space.role, "data-testid": `${space.role}-only` },
      el("h1", { text: space.title }),
      signedIn
        ? el("p", {}, t(`space.${space.role}.onlyFor`), " ",
          el("strong", { text: session.user.email }), ".")
        : el("p", {}, t(`space.${space.role}.signInTo`)),
      el("p", {}, signedIn
        ? el("a", { class: "button", href: "#/", text: t("common.backToCatalogue") })
        : el("a", { class: "button", href: signInHref(), "data-testid": `${space.role}-signin`, text: t("auth.signIn") }))));
    return {};
  }
  const section = space.sections.find((s) => s.id === sectionId) || (sectionId ? null : space.sections[0]);
  const tabs = el("nav", { class: "account-tabs", "aria-label": space.title, "data-testid": `${space.role}-tabs` },
    space.sections.map((s) => el("a", {
      href: `${space.base}/${s.id}`, class: "account-tab", "data-testid": `${space.role}-tab-${s.id}`,
      "aria-current": section && s.id === section.id ? "page" : null, text: sectionLabel(space, s),
    })));
  const panel = el("section", { class: "space-panel", "data-testid": `${space.role}-panel` });
  mount(main, el("div", { class: "account-page", "data-view": space.role },
    el("h1", { text: space.title }), tabs, panel));
  if (!section) {
    document.title = `${t("app.notFound")} · ${space.title} · Halles`;
    mount(panel, el("p", { class: "notice", "data-testid": "not-found" },
      t("space.noSection"), " ", el("a", { href: space.base, text: t(`space.${space.role}.back`) })));
    return {};
  }
  document.title = `${sectionLabel(space, section)} · ${space.title} · Halles`;
  const view = section.render(panel, params) || {};
  return { cleanup: () => view.cleanup && view.cleanup() };
}
