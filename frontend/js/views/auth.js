// Sign in and sign up. Tokens go to sessionStorage (see session.js); every API
// error is shown next to the field it names, the rest in the form's alert.

import { ApiError, api } from "../api.js";
import { announce, el, mount, uniqueId } from "../dom.js";
import { getSession, saveSession } from "../session.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "./forms.js";

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
    "You are signed in as ", el("strong", { text: session.user.email }), ". ",
    el("a", { href: "#/", text: "Continue shopping" }), " or sign in with another account below.");
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
  document.title = "Sign in · Halles";
  const email = el("input", { type: "email", name: "email", autocomplete: "username", required: true, "data-testid": "signin-email", value: params.get("email") || "" });
  const password = el("input", { type: "password", name: "password", autocomplete: "current-password", required: true, "data-testid": "signin-password" });
  const error = formError();
  const button = submitButton("Sign in");
  const session = getSession();
  const form = el("form", { class: "auth-form", "data-testid": "signin-form", novalidate: true, "aria-labelledby": "signin-title" },
    el("h1", { id: "signin-title", text: "Sign in" }),
    params.get("created") ? el("p", { class: "notice-inline success", role: "status", "data-testid": "signin-created", text: "Sign in to continue. If this address already had an account, we have sent it an email." }) : null,
    session && session.user ? signedInNotice(session) : null,
    fieldWithError(email, "Email"),
    fieldWithError(password, "Password"),
    error,
    button,
    el("p", { class: "auth-switch" }, "New to Halles? ", el("a", { href: withNext("#/signup", params), "data-testid": "to-signup", text: "Create an account" })));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    error.textContent = "";
    const missing = requiredErrors(form, { email: "Enter your email address.", password: "Enter your password." });
    if (Object.keys(missing).length) {
      showFieldErrors(form, missing, error);
      return;
    }
    try {
      const tokens = await busy(button, "Signing in…", () => api.signIn(email.value.trim(), password.value));
      saveSession(tokens, tokens.user);
      announce(`Signed in as ${tokens.user ? tokens.user.email : email.value.trim()}.`);
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
  document.title = "Create an account · Halles";
  const name = el("input", { type: "text", name: "name", autocomplete: "name", required: true, "data-testid": "signup-name" });
  const email = el("input", { type: "email", name: "email", autocomplete: "email", required: true, "data-testid": "signup-email" });
  const password = el("input", { type: "password", name: "password", autocomplete: "new-password", required: true, "data-testid": "signup-password" });
  const shopName = el("input", { type: "text", name: "shop_name", autocomplete: "organization", "data-testid": "signup-shop-name" });
  const shopField = fieldWithError(shopName, "Shop name", { hint: "Shown to shoppers next to your offers." });
  const roleError = el("p", { class: "field-error", id: uniqueId("role-error"), "data-field": "role", "data-testid": "field-error-role" });
  const roleRadio = (value, label, checked) => {
    const id = uniqueId(`role-${value}`);
    return el("div", { class: "choice" },
      el("input", { type: "radio", name: "role", id, value, checked, "data-testid": `signup-role-${value}`, onchange: syncRole }),
      el("label", { for: id, text: label }));
  };
  const roles = el("fieldset", { class: "field choices", "aria-describedby": roleError.id },
    el("legend", { text: "I want to" }),
    roleRadio("shopper", "Shop", true),
    roleRadio("vendor", "Sell on Halles", false),
    roleError);
  const error = formError();
  const button = submitButton("Create account");
  const form = el("form", { class: "auth-form", "data-testid": "signup-form", novalidate: true, "aria-labelledby": "signup-title" },
    el("h1", { id: "signup-title", text: "Create an account" }),
    fieldWithError(name, "Your name"),
    fieldWithError(email, "Email"),
    fieldWithError(password, "Password", { hint: "At least 8 characters, with a lowercase letter and a number." }),
    roles,
    shopField,
    error,
    button,
    el("p", { class: "auth-switch" }, "Already have an account? ", el("a", { href: withNext("#/signin", params), "data-testid": "to-signin", text: "Sign in" })));

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
      name: "Enter your name.",
      email: "Enter your email address.",
      password: "Choose a password.",
      shop_name: "Enter the name of your shop.",
    });
    if (Object.keys(missing).length) {
      showFieldErrors(form, missing, error);
      return;
    }
    const body = { email: email.value.trim(), password: password.value, name: name.value.trim(), role: role() };
    if (body.role === "vendor") body.shop_name = shopName.value.trim();
    try {
      await busy(button, "Creating your account…", async () => {
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
    announce(`Welcome to Halles. You are signed in as ${email}.`);
    window.location.hash = nextHash(params, tokens.user);
  } catch {
    // The sign-up answer never says whether the address was new (no user enumeration):
    // an existing account's owner got an email instead. Sign in by hand.
    window.location.hash = `#/signin?created=1&email=${encodeURIComponent(email)}`;
  }
}

/** Second step of a sign-up outside the local stack: the code Cognito mailed to the address. */
function renderConfirmStep(main, params, email, password) {
  document.title = "Confirm your email · Halles";
  const code = el("input", { type: "text", name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true, "data-testid": "signup-code" });
  const error = formError();
  const status = el("p", { class: "notice-inline", role: "status", "data-testid": "confirm-status" });
  const button = submitButton("Confirm");
  const resend = el("button", { type: "button", class: "button button-quiet", "data-testid": "confirm-resend", text: "Send a new code" });
  const form = el("form", { class: "auth-form", "data-testid": "confirm-form", novalidate: true, "aria-labelledby": "confirm-title" },
    el("h1", { id: "confirm-title", text: "Confirm your email" }),
    el("p", {}, "We have sent a code to ", el("strong", { text: email }), ". Enter it to finish creating your account."),
    fieldWithError(code, "Confirmation code"),
    error,
    status,
    button,
    resend);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    error.textContent = "";
    const missing = requiredErrors(form, { code: "Enter the code from the email." });
    if (Object.keys(missing).length) {
      showFieldErrors(form, missing, error);
      return;
    }
    try {
      await busy(button, "Confirming…", async () => {
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
      await busy(resend, "Sending…", () => api.resendConfirmation(email));
      status.textContent = "A new code is on its way.";
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
    error.textContent = "Something went wrong. Please try again.";
  }
}
