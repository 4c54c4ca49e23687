// Sign in and sign up. Tokens go to sessionStorage (see session.js); every API
// error is shown next to the field it names, the rest in the form's alert.

import { ApiError, api } from "../api.js";
import { announce, el, mount, uniqueId } from "../dom.js";
import { getSession, saveSession } from "../session.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "./forms.js";
import { t } from "../i18n.js";

/** Where an account lands when nothing more precise was asked: vendors and admins have their own space. */
function homeHash(user) {
  const roles = (user && user.roles) || [];
  if (roles.includes("vendor")) return "#/vendor";
  if (roles.includes("admin")) return "#/admin";
  return "#/";
}

/** Only in-app destinations: a `next` parameter can never send the shopper elsewhere. */
function nextHash(params, user) {
  const next = params.get("next") || "";
  const inApp = next.startsWith("#/") && !next.startsWith("#/signin") && !next.startsWith("#/signup");
  return inApp && next !== "#/" ? next : homeHash(user);
}

function withNext(path, params) {
  const next = params.get("next");
  return next ? `${path}?next=${encodeURIComponent(next)}` : path;
}

function formError() {
  return el("p", { class: "form-error", role: "alert", "data-testid": "form-error" });
}

function submitButton(label) {
  return el("button", { type: "submit", class: "button button-wide", "data-testid": "auth-submit" }, label);
}

async function busy(button, busyLabel, work) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = busyLabel;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

function signedInNotice(session) {
  return el("p", { class: "notice-inline", "data-testid": "already-signed-in" },
    t("auth.signedInAs"), " ", el("strong", { text: session.user.email }), ". ",
    el("a", { href: "#/", text: t("auth.continueShopping") }), " ", t("auth.orAnotherAccount"));
}

/** Missing required values, as {field: message}. */
function requiredErrors(form, names) {
  const errors = {};
  for (const [name, message] of Object.entries(names)) {
    const input = form.elements[name];
    if (input && !input.disabled && !String(input.value || "").trim()) errors[name] = message;
  }
  return errors;
}

export function renderSignIn(main, params) {
  document.title = t("auth.pageSignIn");
  const email = el("input", { type: "email", name: "email", autocomplete: "username", required: true, "data-testid": "signin-email", value: params.get("email") || "" });
  const password = el("input", { type: "password", name: "password", autocomplete: "current-password", required: true, "data-testid": "signin-password" });
  const error = formError();
  const button = submitButton(t("auth.signIn"));
  const session = getSession();
  const form = el("form", { class: "auth-form", "data-testid": "signin-form", novalidate: true, "aria-labelledby": "signin-title" },
    el("h1", { id: "signin-title", text: t("auth.signIn") }),
    params.get("created") ? el("p", { class: "notice-inline success", role: "status", "data-testid": "signin-created", text: t("auth.created") }) : null,
    session && session.user ? signedInNotice(session) : null,
    fieldWithError(email, t("auth.email")),
    fieldWithError(password, t("auth.password")),
    error,
    button,
    el("p", { class: "auth-switch" }, t("auth.newToHalles"), " ", el("a", { href: withNext("#/signup", params), "data-testid": "to-signup", text: t("auth.createAccountLink") })));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    error.textContent = "";
    const missing = requiredErrors(form, { email: t("auth.enterEmail"), password: t("auth.enterPassword") });
    if (Object.keys(missing).length) {
      showFieldErrors(form, missing, error);
      return;
    }
    try {
      const tokens = await busy(button, t("auth.signingIn"), () => api.signIn(email.value.trim(), password.value));
      saveSession(tokens, tokens.user);
      announce(t("auth.announceSignedIn", { email: tokens.user ? tokens.user.email : email.value.trim() }));
      window.location.hash = nextHash(params, tokens.user);
    } catch (err) {
      reportError(form, error, err);
      password.value = "";
      if (!Object.keys(err.fields || {}).length) password.focus();
    }
  });

  mount(main, el("div", { class: "auth-page", "data-view": "signin" }, form));
  (email.value ? password : email).focus();
}

export function renderSignUp(main, params) {
  document.title = t("auth.pageSignUp");
  const name = el("input", { type: "text", name: "name", autocomplete: "name", required: true, "data-testid": "signup-name" });
  const email = el("input", { type: "email", name: "email", autocomplete: "email", required: true, "data-testid": "signup-email" });
  const password = el("input", { type: "password", name: "password", autocomplete: "new-password", required: true, "data-testid": "signup-password" });
  const shopName = el("input", { type: "text", name: "shop_name", autocomplete: "organization", "data-testid": "signup-shop-name" });
  const shopField = fieldWithError(shopName, t("auth.shopName"), { hint: t("auth.shopNameHint") });
  const roleError = el("p", { class: "field-error", id: uniqueId("role-error"), "data-field": "role", "data-testid": "field-error-role" });
  const roleRadio = (value, label, checked) => {
    const id = uniqueId(`role-${value}`);
    return el("div", { class: "choice" },
      el("input", { type: "radio", name: "role", id, value, checked, "data-testid": `signup-role-${value}`, onchange: syncRole }),
      el("label", { for: id, text: label }));
  };
  const roles = el("fieldset", { class: "field choices", "aria-describedby": roleError.id },
    el("legend", { text: t("auth.roleLegend") }),
    roleRadio("shopper", t("auth.roleShop"), true),
    roleRadio("vendor", t("auth.roleSell"), false),
    roleError);
  const error = formError();
  const button = submitButton(t("auth.createAccount"));
  const form = el("form", { class: "auth-form", "data-testid": "signup-form", novalidate: true, "aria-labelledby": "signup-title" },
    el("h1", { id: "signup-title", text: t("auth.createAccountLink") }),
    fieldWithError(name, t("auth.yourName")),
    fieldWithError(email, t("auth.email")),
    fieldWithError(password, t("auth.password"), { hint: t("auth.passwordHint") }),
    roles,
    shopField,
    error,
    button,
    el("p", { class: "auth-switch" }, t("auth.haveAccount"), " ", el("a", { href: withNext("#/signin", params), "data-testid": "to-signin", text: t("auth.signIn") })));

  function role() {
    return form.querySelector('input[name="role"]:checked')?.value || "shopper";
  }

  function syncRole() {
    const vendor = role() === "vendor";
    shopField.hidden = !vendor;
    shopName.disabled = !vendor;
    shopName.required = vendor;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    error.textContent = "";
    const missing = requiredErrors(form, {
      name: t("auth.enterName"),
      email: t("auth.enterEmail"),
      password: t("auth.choosePassword"),
      shop_name: t("auth.enterShopName"),
    });
    if (Object.keys(missing).length) {
      showFieldErrors(form, missing, error);
      return;
    }
    const body = { email: email.value.trim(), password: password.value, name: name.value.trim(), role: role() };
    if (body.role === "vendor") body.shop_name = shopName.value.trim();
    try {
      await busy(button, t("auth.creating"), async () => {
        const created = await api.signUp(body);
        if (created && created.confirmation_required) {
          // The pool mailed a code to the address: the account waits for it.
          renderConfirmStep(main, params, body.email, body.password);
          return;
        }
        await signInAfterSignUp(params, body.email, body.password);
      });
    } catch (err) {
      reportError(form, error, err);
    }
  });

  mount(main, el("div", { class: "auth-page", "data-view": "signup" }, form));
  syncRole();
  name.focus();
}

async function signInAfterSignUp(params, email, password) {
  try {
    const tokens = await api.signIn(email, password);
    saveSession(tokens, tokens.user);
    announce(t("auth.welcome", { email }));
    window.location.hash = nextHash(params, tokens.user);
  } catch {
    // The sign-up answer never says whether the address was new (no user enumeration):
    // an existing account's owner got an email instead. Sign in by hand.
    window.location.hash = `#/signin?created=1&email=${encodeURIComponent(email)}`;
  }
}

/** Second step of a sign-up outside the local stack: the code Cognito mailed to the address. */
function renderConfirmStep(main, params, email, password) {
  document.title = t("auth.pageConfirm");
  const code = el("input", { type: "text", name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true, "data-testid": "signup-code" });
  const error = formError();
  const status = el("p", { class: "notice-inline", role: "status", "data-testid": "confirm-status" });
  const button = submitButton(t("auth.confirm"));
  const resend = el("button", { type: "button", class: "button button-quiet", "data-testid": "confirm-resend", text: t("auth.sendNewCode") });
  const form = el("form", { class: "auth-form", "data-testid": "confirm-form", novalidate: true, "aria-labelledby": "confirm-title" },
    el("h1", { id: "confirm-title", text: t("auth.confirmTitle") }),
    el("p", {}, t("auth.codeSentTo"), " ", el("strong", { text: email }), ". ", t("auth.enterCode")),
    fieldWithError(code, t("auth.confirmationCode")),
    error,
    status,
    button,
    resend);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    error.textContent = "";
    const missing = requiredErrors(form, { code: t("auth.enterCodeFromEmail") });
    if (Object.keys(missing).length) {
      showFieldErrors(form, missing, error);
      return;
    }
    try {
      await busy(button, t("auth.confirming"), async () => {
        await api.confirmSignUp(email, code.value.trim());
        await signInAfterSignUp(params, email, password);
      });
    } catch (err) {
      reportError(form, error, err);
    }
  });

  resend.addEventListener("click", async () => {
    clearFieldErrors(form);
    error.textContent = "";
    try {
      await busy(resend, t("auth.sending"), () => api.resendConfirmation(email));
      status.textContent = t("auth.newCodeSent");
    } catch (err) {
      reportError(form, error, err);
    }
  });

  mount(main, el("div", { class: "auth-page", "data-view": "confirm" }, form));
  code.focus();
}

function reportError(form, error, err) {
  if (err instanceof ApiError) {
    showFieldErrors(form, err.fields, error, err.message);
  } else {
    error.textContent = t("auth.generic");
  }
}
