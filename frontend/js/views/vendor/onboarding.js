// Vendor space, first tab: where onboarding stands in plain words, t("onboarding.continue") (mints a fresh
// Stripe Account Link and goes there), and the shop profile form (each wrong field named beside it).

import { ApiError, request } from "../../api.js";
import { announce, el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { t } from "../../i18n.js";

const getStatus = (signal) => request("GET", "/vendor/onboarding", { auth: true, signal });
const getProfile = (signal) => request("GET", "/vendor/profile", { auth: true, signal });
const putProfile = (body) => request("PUT", "/vendor/profile", { auth: true, body });
const mintLink = () => request("POST", "/vendor/onboarding/link", { auth: true });

const RETURN_CHECKS = 15;
const RECHECK_MS = 2000;
const WAITING_FOR_STRIPE = ["start_onboarding", "continue_onboarding", "wait_for_stripe"];
const STEP_CLASS = { ready: "onboarding-ready", suspended: "onboarding-blocked" };
const PROFILE_FIELDS = [
  ["legal_name", t("onboarding.legalName"), { autocomplete: "organization" }],
  ["country", t("onboarding.country"), { maxlength: "2", autocomplete: "country" }],
  ["support_email", t("onboarding.supportEmail"), { type: "email", autocomplete: "email" }],
  ["shipping_origin", t("onboarding.shipsFrom"), {}],
  ["logo_url", t("onboarding.logo"), { type: "url" }],
];

export const onboardingSection = {
  id: "onboarding",
  label: t("onboarding.title"),
  render(panel, params) {
    const controller = new AbortController();
    // Back from Stripe: its events reach Halles a moment later, so ask again for a little while.
    let checksLeft = params && params.get("return") ? RETURN_CHECKS : 0;
    let timer = null;
    const statusBox = el("div", { class: "onboarding-status", "data-testid": "onboarding-status", "aria-live": "polite" },
      el("p", { text: t("onboarding.loading") }));
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "onboarding-error" });
    const form = profileForm();
    mount(panel, el("h2", { text: t("onboarding.title") }), statusBox, error,
      el("h2", { text: t("onboarding.profile") }), form);
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
      if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else error.textContent = err.message;
    }

    function showStatus(status) {
      const button = el("button", { type: "button", class: "button", "data-testid": "continue-onboarding" },
        status.account.connected ? t("onboarding.continue") : t("onboarding.start"));
      button.addEventListener("click", () => go(button));
      const canContinue = ["start_onboarding", "continue_onboarding"].includes(status.step);
      mount(statusBox,
        el("p", { class: `onboarding-next ${STEP_CLASS[status.step] || ""}`, "data-testid": "onboarding-next-step",
          "data-step": status.step, text: status.next_step }),
        status.needs.length ? el("ul", { class: "onboarding-needs", "data-testid": "onboarding-needs" },
          status.needs.map((need) => el("li", { text: need }))) : null,
        el("dl", { class: "onboarding-facts" },
          fact(t("onboarding.approval"), { pending: t("onboarding.pending"), approved: t("onboarding.approved"), suspended: t("onboarding.suspended") }[status.approval] || status.approval),
          fact(t("onboarding.cardPayments"), status.account.charges_enabled ? t("onboarding.enabled") : t("onboarding.notYet")),
          fact(t("onboarding.payouts"), status.account.payouts_enabled ? t("onboarding.enabled") : t("onboarding.notYet")),
          fact(t("onboarding.offers"), status.can_sell ? t("onboarding.live") : t("onboarding.hidden"))),
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
          error.textContent = t("onboarding.profileFirst");
          form.querySelector("[name=legal_name]").focus();
        } else failed(err);
      }
    }

    function profileForm() {
      const inputs = PROFILE_FIELDS.map(([name, label, attrs]) =>
        fieldWithError(el("input", { name, type: "text", ...attrs, "data-testid": `profile-${name}` }), label));
      const policy = fieldWithError(el("textarea", { name: "return_policy", rows: "4", "data-testid": "profile-return_policy" }),
        t("onboarding.returnPolicy"), { hint: t("onboarding.policyHint") });
      const formError = el("p", { class: "form-error", role: "alert", "data-testid": "profile-error" });
      const saved = el("p", { class: "form-saved", "data-testid": "profile-saved", "aria-live": "polite" });
      const node = el("form", { class: "profile-form", "data-testid": "profile-form", novalidate: true },
        inputs.slice(0, 4), policy, inputs[4], formError,
        el("button", { type: "submit", class: "button", "data-testid": "profile-save" }, t("onboarding.saveProfile")), saved);
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
          saved.textContent = t("onboarding.profileSaved");
          announce(t("onboarding.profileSaved"));
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
