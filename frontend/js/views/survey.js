// #/survey?token=...: the satisfaction survey a shopper opens from the e-mail, without signing in (the
// signed token in the link is the proof). GET /surveys/{token} describes it; POST /surveys/{token}
// answers it, once: CSAT 1-5 for the order, the vendor and the delivery, NPS 0-10, an optional comment.

import { ApiError, request } from "../api.js";
import { el, mount } from "../dom.js";
import { t } from "../i18n.js";

const CSAT = [1, 2, 3, 4, 5];
const QUESTIONS = [
  { name: "order", legend: t("survey.qOrder"), low: t("survey.csatLow"), high: t("survey.csatHigh"), scores: CSAT },
  { name: "vendor", legend: t("survey.qVendor"), low: t("survey.csatLow"), high: t("survey.csatHigh"), scores: CSAT },
  { name: "delivery", legend: t("survey.qDelivery"), low: t("survey.csatLow"), high: t("survey.csatHigh"), scores: CSAT },
  { name: "nps", legend: t("survey.qNps"), low: t("survey.npsLow"), high: t("survey.npsHigh"), scores: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
];

function surveyPath(token) {
  return `/surveys/${encodeURIComponent(token)}`;
}

function scale(question) {
  const error = el("p", { class: "form-error", role: "alert", id: `survey-${question.name}-error`, "data-testid": `survey-${question.name}-error` });
  return el("fieldset", { class: "survey-question", "data-testid": `survey-${question.name}`, "aria-describedby": error.id },
    el("legend", { text: question.legend }),
    el("div", { class: "survey-scale" },
      el("span", { class: "field-hint", text: question.low }),
      question.scores.map((score) => el("label", { class: "survey-score" },
        el("input", { type: "radio", name: question.name, value: String(score), "data-testid": `survey-${question.name}-${score}` }),
        el("span", { text: String(score) }))),
      el("span", { class: "field-hint", text: question.high })),
    error);
}

export function renderSurvey(main, params) {
  const token = params.get("token") || "";
  const controller = new AbortController();
  const box = el("section", { class: "survey-page", "data-testid": "survey-page" });
  mount(main, box);
  document.title = `${t("survey.title")} · Halles`;
  if (!token) {
    mount(box, el("h1", { text: t("survey.heading") }), el("p", { class: "form-error", role: "alert", "data-testid": "survey-refused", text: t("survey.incomplete") }));
    return { cleanup: () => controller.abort() };
  }
  mount(box, el("h1", { text: t("survey.title") }), el("p", { class: "result-status", "aria-live": "polite", text: t("survey.loading") }));
  load();
  return { cleanup: () => controller.abort() };

  async function load() {
    try {
      const survey = await request("GET", surveyPath(token), { signal: controller.signal });
      if (survey.answered) thanks(survey, t("survey.alreadyAnswered"));
      else form(survey);
    } catch (err) {
      if (err.name === "AbortError") return;
      refused(err);
    }
  }

  function refused(err) {
    mount(box, el("h1", { text: t("survey.heading") }),
      el("p", { class: "form-error", role: "alert", "data-testid": "survey-refused", text: err.message }),
      el("p", {}, el("a", { href: "#/", text: t("survey.back") })));
  }

  function thanks(survey, message, followUp = false) {
    mount(box, el("h1", { text: t("survey.thanksHeading") }),
      el("p", { "data-testid": "survey-thanks", role: "status", text: message }),
      followUp ? el("p", { "data-testid": "survey-follow-up", text: t("survey.followUp", { vendor: survey.vendor_name }) }) : null,
      el("p", {}, el("a", { href: "#/", text: t("survey.back") })));
    box.querySelector("h1").focus?.();
  }

  function form(survey) {
    const comment = el("textarea", { id: "survey-comment", name: "comment", rows: "4", maxlength: "2000", "data-testid": "survey-comment" });
    const commentError = el("p", { class: "form-error", role: "alert", "data-testid": "survey-comment-error" });
    const formError = el("p", { class: "form-error", role: "alert", "data-testid": "survey-error" });
    const submit = el("button", { type: "submit", class: "button", "data-testid": "survey-submit", text: t("survey.send") });
    const node = el("form", { class: "survey-form", novalidate: true, "data-testid": "survey-form" },
      QUESTIONS.map(scale),
      el("div", { class: "field" }, el("label", { for: "survey-comment", text: t("survey.comment") }), comment, commentError),
      formError, submit);
    mount(box,
      el("h1", { text: t("survey.howDidItGo") }),
      el("p", { "data-testid": "survey-about" }, t("survey.aboutOrder"), " ", el("strong", { text: survey.order_number }), ` ${t("survey.aboutFrom")} `, el("strong", { text: survey.vendor_name }),
        survey.products.length ? `: ${survey.products.join(", ")}` : "", "."),
      node);
    node.addEventListener("submit", async (event) => {
      event.preventDefault();
      for (const error of node.querySelectorAll(".form-error")) error.textContent = "";
      const body = { comment: comment.value };
      let missing = false;
      for (const q of QUESTIONS) {
        const chosen = node.querySelector(`input[name="${q.name}"]:checked`);
        if (chosen) body[q.name] = Number(chosen.value);
        else {
          node.querySelector(`#survey-${q.name}-error`).textContent = t("survey.chooseScore");
          missing = true;
        }
      }
      if (missing) {
        formError.textContent = t("survey.answerEach");
        return;
      }
      submit.disabled = true;
      try {
        const answered = await request("POST", surveyPath(token), { body, signal: controller.signal });
        thanks(survey, t("survey.thanks"), answered.follow_up);
      } catch (err) {
        if (err.name === "AbortError") return;
        submit.disabled = false;
        if (err instanceof ApiError && err.status === 409) return thanks(survey, err.message);
        if (err instanceof ApiError && err.fields && err.fields.token) return refused(err);
        for (const [field, reason] of Object.entries((err instanceof ApiError && err.fields) || {})) {
          const slot = node.querySelector(`[data-testid="survey-${field}-error"]`);
          if (slot) slot.textContent = reason;
        }
        formError.textContent = err.message;
      }
    });
  }
}
