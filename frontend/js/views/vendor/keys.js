// Vendor space: API keys for the vendor's own systems (stock, orders). Create one (its secret is shown
// once, with a copy button), see the list (never a secret), rotate or revoke with a confirmation in place.

import { ApiError, request } from "../../api.js";
import { el, mount, announce } from "../../dom.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { signInHref } from "../guard.js";
import { formatDateTime, t } from "../../i18n.js";

const KEYS = "/vendor/api-keys";
const keysApi = {
  list: (options) => request("GET", KEYS, { ...options, auth: true }),
  create: (body, idempotencyKey) => request("POST", KEYS, { auth: true, body, headers: { "Idempotency-Key": idempotencyKey } }),
  rotate: (keyId, graceSeconds) => request("POST", `${KEYS}/${encodeURIComponent(keyId)}/rotate`,
    { auth: true, body: { grace_seconds: graceSeconds } }),
  revoke: (keyId) => request("DELETE", `${KEYS}/${encodeURIComponent(keyId)}`, { auth: true }),
};

const SCOPES = { read: t("keys.readOnly"), write: t("keys.readWrite") };
const GRACES = [[0, t("keys.atOnce")], [3600, t("keys.in1h")], [86400, t("keys.in24h")]];
const when = (iso) => (iso ? formatDateTime(iso) : "");
const randomKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

export const keysSection = {
  id: "api-keys",
  label: "API keys",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "data-testid": "api-keys-status", "aria-live": "polite", text: t("keys.loading") });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "api-keys-error" });
    const secretBox = el("div", { "data-testid": "api-key-secret-box", hidden: true });
    const body = el("tbody");

    const name = el("input", { name: "name", type: "text", maxlength: "60", required: true, autocomplete: "off", "data-testid": "api-key-name" });
    const scope = el("select", { name: "scope", "data-testid": "api-key-scope" },
      Object.entries(SCOPES).map(([value, label]) => el("option", { value, text: label })));
    const formError = el("p", { class: "form-error", role: "alert", "data-testid": "api-key-form-error" });
    const submit = el("button", { type: "submit", class: "button", "data-testid": "api-key-create" }, t("keys.create"));
    const form = el("form", { class: "api-key-form", novalidate: true },
      fieldWithError(name, t("keys.name"), { hint: t("keys.nameHint") }),
      fieldWithError(scope, t("keys.access")),
      formError, submit);
    form.addEventListener("submit", create);
    // One Idempotency-Key per key to create: a retry after a lost answer (same name and access)
    // creates nothing more; changing the form starts a new request.
    let attempt = null;
    form.addEventListener("input", () => { attempt = null; });

    mount(panel,
      el("h2", { text: t("space.vendor.api_keys") }),
      el("p", { class: "field-hint" },
        t("keys.intro"),
        el("code", { text: "Authorization: Bearer hk_…" }),
        t("keys.intro2")),
      secretBox,
      el("h3", { text: t("keys.newKey") }), form,
      el("h3", { text: t("keys.yourKeys") }),
      status, error,
      el("div", { class: "table-scroll" },
        el("table", { class: "data-table", "data-testid": "api-keys" },
          el("thead", {}, el("tr", {},
            [t("keys.name"), t("keys.colKey"), t("keys.access"), t("keys.created"), t("keys.lastUsed"), t("keys.status"), ""].map((h) => el("th", { scope: "col", text: h })))),
          body)));
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      try {
        const page = await keysApi.list({ signal: controller.signal });
        mount(body, page.items.map(row));
        const active = page.items.filter((k) => k.status === "active").length;
        status.textContent = page.items.length
          ? `${active === 1 ? "1 active key" : `${active} active keys`}.`
          : t("keys.none");
      } catch (err) {
        if (err.name !== "AbortError") fail(err);
      }
    }

    function fail(err, where = error) {
      if (err instanceof ApiError && err.status === 401) mount(where, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else where.textContent = err.message;
    }

    async function create(event) {
      event.preventDefault();
      clearFieldErrors(form);
      formError.textContent = "";
      submit.disabled = true;
      attempt = attempt || randomKey();
      try {
        const created = await keysApi.create({ name: name.value, scope: scope.value }, attempt);
        attempt = null;
        form.reset();
        showSecret(created, t("keys.created_"));
        await load();
      } catch (err) {
        if (err instanceof ApiError && err.code === "api_key_already_created") {
          attempt = null;
          formError.textContent = err.message;
          await load();
        } else if (err instanceof ApiError && err.status !== 401) showFieldErrors(form, err.fields, formError, err.message);
        else fail(err, formError);
      } finally {
        submit.disabled = false;
      }
    }

    // The secret exists in this page only until the vendor dismisses it: the API never shows it again.
    function showSecret(key, what) {
      const value = el("input", { type: "text", readonly: true, value: key.secret, class: "api-key-secret", "aria-label": t("keys.newSecretOf", { name: key.name }), "data-testid": "api-key-secret" });
      const copied = el("span", { class: "field-hint", "aria-live": "polite", "data-testid": "api-key-copied" });
      const copy = el("button", { type: "button", class: "button", "data-testid": "api-key-copy" }, t("keys.copy"));
      copy.addEventListener("click", async () => {
        value.select();
        try {
          await navigator.clipboard.writeText(key.secret);
          copied.textContent = t("keys.copied");
        } catch {
          copied.textContent = t("keys.pressCopy");
        }
      });
      const done = el("button", { type: "button", class: "button button-quiet", "data-testid": "api-key-secret-done" }, "I have stored it");
      done.addEventListener("click", () => { mount(secretBox); secretBox.hidden = true; });
      mount(secretBox, el("div", { class: "notice api-key-once", role: "status" },
        el("p", {}, el("strong", { text: `${t("keys.keyWhat", { name: key.name, what })} ` }),
          t("keys.copyNow")),
        el("div", { class: "api-key-copy-row" }, value, copy, copied),
        done));
      secretBox.hidden = false;
      value.focus();
      value.select();
      announce(t("keys.announce", { what }));
    }

    function row(key) {
      const actions = el("td", { class: "api-key-actions" });
      const tr = el("tr", { "data-testid": "api-key", "data-key-id": key.key_id, "data-status": key.status },
        el("th", { scope: "row", text: key.name }),
        el("td", {}, el("code", { text: `${key.prefix}_…` })),
        el("td", { text: SCOPES[key.scope] || key.scope }),
        el("td", { text: when(key.created_at) }),
        el("td", { "data-testid": "api-key-last-used", text: key.last_used_at ? when(key.last_used_at) : t("keys.never") }),
        el("td", { "data-testid": "api-key-status" },
          key.status === "active" ? t("keys.active") : t("keys.revokedOn", { date: when(key.revoked_at) }),
          key.previous_secret_valid_until
            ? el("div", { class: "field-hint", text: t("keys.previousUntil", { date: when(key.previous_secret_valid_until) }) })
            : null),
        actions);
      if (key.status === "active") idle();
      return tr;

      function idle() {
        const rotate = el("button", { type: "button", class: "button button-quiet", "data-testid": "api-key-rotate" }, t("keys.rotate"));
        const revoke = el("button", { type: "button", class: "button button-quiet", "data-testid": "api-key-revoke" }, t("keys.revoke"));
        rotate.addEventListener("click", confirmRotate);
        revoke.addEventListener("click", confirmRevoke);
        mount(actions, rotate, " ", revoke);
      }

      function confirmRevoke() {
        const yes = el("button", { type: "button", class: "button button-danger", "data-testid": "api-key-revoke-confirm" }, t("keys.yesRevoke"));
        const no = el("button", { type: "button", class: "button button-quiet", "data-testid": "api-key-cancel" }, t("keys.cancel"));
        const problem = el("p", { class: "form-error", role: "alert" });
        no.addEventListener("click", idle);
        yes.addEventListener("click", async () => {
          yes.disabled = no.disabled = true;
          try {
            await keysApi.revoke(key.key_id);
            announce(`API key ${key.name} revoked.`);
            await load();
          } catch (err) {
            yes.disabled = no.disabled = false;
            fail(err, problem);
          }
        });
        mount(actions, el("p", { class: "api-key-confirm", text: t("keys.refusedAtOnce") }), yes, " ", no, problem);
        no.focus();
      }

      function confirmRotate() {
        const grace = el("select", { "data-testid": "api-key-grace", "aria-label": t("keys.whenStops") },
          GRACES.map(([seconds, label]) => el("option", { value: String(seconds), text: label })));
        const yes = el("button", { type: "button", class: "button", "data-testid": "api-key-rotate-confirm" }, t("keys.rotate"));
        const no = el("button", { type: "button", class: "button button-quiet", "data-testid": "api-key-cancel" }, t("keys.cancel"));
        const problem = el("p", { class: "form-error", role: "alert" });
        no.addEventListener("click", idle);
        yes.addEventListener("click", async () => {
          yes.disabled = no.disabled = true;
          try {
            const rotated = await keysApi.rotate(key.key_id, Number(grace.value));
            showSecret(rotated, t("keys.rotated_"));
            await load();
          } catch (err) {
            yes.disabled = no.disabled = false;
            fail(err, problem);
          }
        });
        mount(actions, el("p", { class: "api-key-confirm" }, "A new secret. The current one stops working:"), grace, " ", yes, " ", no, problem);
        grace.focus();
      }
    }
  },
};
