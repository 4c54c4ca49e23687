// Vendor space, first tab: where onboarding stands in plain words, "Continue onboarding" (mints a fresh
// Stripe Account Link and goes there), and the shop profile form (each wrong field named beside it).

import { ApiError, request } from "../../api.js";
import { announce, el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";

const getStatus = (signal) => request("GET", "/vendor/onboarding", { auth: true, signal });
const getProfile = (signal) => request("GET", "/vendor/profile", { auth: true, signal });
const putProfile = (body) => request("PUT", "/vendor/profile", { auth: true, body });
const mintLink = () => request("POST", "/vendor/onboarding/link", { auth: true });

const RETURN_CHECKS = 15;
const RECHECK_MS = 2000;
const WAITING_FOR_STRIPE = ["start_onboarding", "continue_onboarding", "wait_for_stripe"];
const STEP_CLASS = { ready: "onboarding-ready", suspended: "onboarding-blocked" };
const PROFILE_FIELDS = [
  ["legal_name", "Legal name", { autocomplete: "organization" }],
  ["country", "Country (ISO code, e.g. FR)", { maxlength: "2", autocomplete: "country" }],
  ["support_email", "Support e-mail", { type: "email", autocomplete: "email" }],
  ["shipping_origin", "Ships from (city, country)", {}],
  ["logo_url", "Logo URL (https://, optional)", { type: "url" }],
];

export const onboardingSection = {
  id: "onboarding",
  label: "Onboarding",
  render(panel, params) {
    const controller = new AbortController();
    // Back from Stripe: its events reach Halles a moment later, so ask again for a little while.
    let checksLeft = params && params.get("return") ? RETURN_CHECKS : 0;
    let timer = null;
    const statusBox = el("div", { class: "onboarding-status", "data-testid": "onboarding-status", "aria-live": "polite" },
      el("p", { text: "Loading your onboarding status…" }));
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "onboarding-error" });
    const form = profileForm();
    mount(panel, el("h2", { text: "Onboarding" }), statusBox, error,
      el("h2", { text: "Shop profile" }), form);
    load();
    return { cleanup: () => { controller.abort(); window.clearTimeout(timer); } };

    async function load() {
      try {
        const [status, profile] = await Promise.all([getStatus(controller.signal), getProfile(controller.signal)]);
        showStatus(status);
        fillProfile(profile.profile);
        recheck(status);
      } catch (err) {
        failed(err);
      }
    }

    function recheck(status) {
      if (!checksLeft || !WAITING_FOR_STRIPE.includes(status.step)) return;
      checksLeft -= 1;
      timer = window.setTimeout(async () => {
        try {
          const next = await getStatus(controller.signal);
          showStatus(next);
          recheck(next);
        } catch (err) {
          failed(err);
        }
      }, RECHECK_MS);
    }

    function failed(err) {
      if (err.name === "AbortError") return;
      if (err instanceof ApiError && err.status === 401) mount(error, "Your session ended. ", el("a", { href: signInHref(), text: "Sign in again" }));
      else error.textContent = err.message;
    }

    function showStatus(status) {
      const button = el("button", { type: "button", class: "button", "data-testid": "continue-onboarding" },
        status.account.connected ? "Continue onboarding" : "Start onboarding with Stripe");
      button.addEventListener("click", () => go(button));
      const canContinue = ["start_onboarding", "continue_onboarding"].includes(status.step);
      mount(statusBox,
        el("p", { class: `onboarding-next ${STEP_CLASS[status.step] || ""}`, "data-testid": "onboarding-next-step",
          "data-step": status.step, text: status.next_step }),
        status.needs.length ? el("ul", { class: "onboarding-needs", "data-testid": "onboarding-needs" },
          status.needs.map((need) => el("li", { text: need }))) : null,
        el("dl", { class: "onboarding-facts" },
          fact("Approval", { pending: "Waiting for Halles", approved: "Approved", suspended: "Suspended" }[status.approval] || status.approval),
          fact("Card payments", status.account.charges_enabled ? "Enabled" : "Not yet"),
          fact("Payouts", status.account.payouts_enabled ? "Enabled" : "Not yet"),
          fact("Offers", status.can_sell ? "Live" : "Hidden from shoppers")),
        canContinue ? button : null);
    }

    async function go(button) {
      error.textContent = "";
      button.disabled = true;
      try {
        const link = await mintLink();
        window.location.assign(link.url);
      } catch (err) {
        button.disabled = false;
        if (err instanceof ApiError && err.code === "profile_required") {
          error.textContent = "Fill in and save your shop profile first: Stripe needs your country.";
          form.querySelector("[name=legal_name]").focus();
        } else failed(err);
      }
    }

    function profileForm() {
      const inputs = PROFILE_FIELDS.map(([name, label, attrs]) =>
        fieldWithError(el("input", { name, type: "text", ...attrs, "data-testid": `profile-${name}` }), label));
      const policy = fieldWithError(el("textarea", { name: "return_policy", rows: "4", "data-testid": "profile-return_policy" }),
        "Return policy", { hint: "20 to 2000 characters, shown to shoppers." });
      const formError = el("p", { class: "form-error", role: "alert", "data-testid": "profile-error" });
      const saved = el("p", { class: "form-saved", "data-testid": "profile-saved", "aria-live": "polite" });
      const node = el("form", { class: "profile-form", "data-testid": "profile-form", novalidate: true },
        inputs.slice(0, 4), policy, inputs[4], formError,
        el("button", { type: "submit", class: "button", "data-testid": "profile-save" }, "Save profile"), saved);
      node.addEventListener("submit", async (event) => {
        event.preventDefault();
        clearFieldErrors(node);
        formError.textContent = "";
        saved.textContent = "";
        const body = Object.fromEntries(new FormData(node).entries());
        if (!body.logo_url) body.logo_url = null;
        try {
          const answer = await putProfile(body);
          fillProfile(answer.profile);
          saved.textContent = "Profile saved.";
          announce("Profile saved.");
          showStatus(await getStatus(controller.signal));
        } catch (err) {
          if (err instanceof ApiError && err.fields && Object.keys(err.fields).length) {
            showFieldErrors(node, err.fields, formError, err.message);
          } else failed(err);
        }
      });
      return node;
    }

    function fillProfile(profile) {
      if (!profile) return;
      for (const [name, value] of Object.entries(profile)) {
        const input = form.querySelector(`[name="${name}"]`);
        if (input) input.value = value || "";
      }
    }
  },
};

function fact(label, value) {
  return [el("dt", { text: label }), el("dd", { text: value })];
}
