// #/survey?token=...: the satisfaction survey a shopper opens from the e-mail, without signing in (the
// signed token in the link is the proof). GET /surveys/{token} describes it; POST /surveys/{token}
// answers it, once: CSAT 1-5 for the order, the vendor and the delivery, NPS 0-10, an optional comment.

import { ApiError, request } from "../api.js";
import { el, mount } from "../dom.js";

const QUESTIONS = [
  { name: "order", legend: "How satisfied are you with your order?", low: "Very dissatisfied", high: "Very satisfied", scores: [1, 2, 3, 4, 5] },
  { name: "vendor", legend: "How satisfied are you with the shop?", low: "Very dissatisfied", high: "Very satisfied", scores: [1, 2, 3, 4, 5] },
  { name: "delivery", legend: "How satisfied are you with the delivery?", low: "Very dissatisfied", high: "Very satisfied", scores: [1, 2, 3, 4, 5] },
  { name: "nps", legend: "How likely are you to recommend Halles to a friend?", low: "Not at all likely", high: "Extremely likely", scores: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
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
  document.title = "Your opinion · Halles";
  if (!token) {
    mount(box, el("h1", { text: "Survey" }), el("p", { class: "form-error", role: "alert", "data-testid": "survey-refused", text: "This survey link is incomplete. Use the link of the e-mail." }));
    return { cleanup: () => controller.abort() };
  }
  mount(box, el("h1", { text: "Your opinion" }), el("p", { class: "result-status", "aria-live": "polite", text: "Loading…" }));
  load();
  return { cleanup: () => controller.abort() };

  async function load() {
    try {
      const survey = await request("GET", surveyPath(token), { signal: controller.signal });
      if (survey.answered) thanks(survey, "Thank you, this survey has already been answered: we have your opinion.");
      else form(survey);
    } catch (err) {
      if (err.name === "AbortError") return;
      refused(err);
    }
  }

  function refused(err) {
    mount(box, el("h1", { text: "Survey" }),
      el("p", { class: "form-error", role: "alert", "data-testid": "survey-refused", text: err.message }),
      el("p", {}, el("a", { href: "#/", text: "Back to the shop" })));
  }

  function thanks(survey, message, followUp = false) {
    mount(box, el("h1", { text: "Thank you" }),
      el("p", { "data-testid": "survey-thanks", role: "status", text: message }),
      followUp ? el("p", { "data-testid": "survey-follow-up", text: `We are sorry it did not go well. We asked ${survey.vendor_name} to get back to you: you will find the follow-up on your order's page.` }) : null,
      el("p", {}, el("a", { href: "#/", text: "Back to the shop" })));
    box.querySelector("h1").focus?.();
  }

  function form(survey) {
    const comment = el("textarea", { id: "survey-comment", name: "comment", rows: "4", maxlength: "2000", "data-testid": "survey-comment" });
    const commentError = el("p", { class: "form-error", role: "alert", "data-testid": "survey-comment-error" });
    const formError = el("p", { class: "form-error", role: "alert", "data-testid": "survey-error" });
    const submit = el("button", { type: "submit", class: "button", "data-testid": "survey-submit", text: "Send my answers" });
    const node = el("form", { class: "survey-form", novalidate: true, "data-testid": "survey-form" },
      QUESTIONS.map(scale),
      el("div", { class: "field" }, el("label", { for: "survey-comment", text: "Anything to add? (optional)" }), comment, commentError),
      formError, submit);
    mount(box,
      el("h1", { text: "How did it go?" }),
      el("p", { "data-testid": "survey-about" }, "Order ", el("strong", { text: survey.order_number }), " from ", el("strong", { text: survey.vendor_name }),
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
          node.querySelector(`#survey-${q.name}-error`).textContent = "Choose a score.";
          missing = true;
        }
      }
      if (missing) {
        formError.textContent = "Please answer each question.";
        return;
      }
      submit.disabled = true;
      try {
        const answered = await request("POST", surveyPath(token), { body, signal: controller.signal });
        thanks(survey, "Thank you for your answers: they help the shop and other shoppers.", answered.follow_up);
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
