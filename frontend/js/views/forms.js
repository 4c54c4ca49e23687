// Form helpers: every input has a label and an error slot tied to it with
// aria-describedby, so an API error in `error.fields` lands next to its field.

import { el, uniqueId } from "../dom.js";
import { currentLanguage, t } from "../i18n.js";

/** Label + input + (optional hint) + error slot. */
export function fieldWithError(input, labelText, { hint } = {}) {
  if (!input.id) input.id = uniqueId(`f-${input.name || "field"}`);
  const errorId = `${input.id}-error`;
  const hintId = hint ? `${input.id}-hint` : null;
  input.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  return el("div", { class: "field" },
    el("label", { for: input.id, text: labelText }),
    input,
    hint ? el("p", { class: "field-hint", id: hintId, text: hint }) : null,
    el("p", { class: "field-error", id: errorId, "data-testid": `field-error-${input.name}`, "data-field": input.name }));
}

export function clearFieldErrors(form) {
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

/**
 * Show `fields` ({"email": "not a valid address"}) next to the matching inputs.
 * Messages for fields the form does not have go to `formError` with `message`.
 * Focuses the first invalid input so keyboard users land on the problem.
 */
export function showFieldErrors(form, fields, formError, message = "") {
  const leftovers = [];
  let first = null;
  for (const [name, text] of Object.entries(fields || {})) {
    const key = String(name).replace(/^body\./, "");
    const input = form.querySelector(`[name="${CSS.escape(key)}"]`);
    const slot = form.querySelector(`.field-error[data-field="${CSS.escape(key)}"]`);
    if (input && slot) {
      input.setAttribute("aria-invalid", "true");
      slot.textContent = sentence(text);
      first = first || input;
    } else if (currentLanguage() !== "en" && text === t("forms.invalidValue")) {
      // A French page has no words for this field's English sentence: the form's message says it.
    } else if (!String(message).toLowerCase().includes(String(text).toLowerCase())) {
      // Say what the API said about fields this form has no input for, unless the message already does.
      leftovers.push(key === "body" ? sentence(text) : `${humanKey(key)}: ${sentence(text)}`);
    }
  }
  // A generic "the body is invalid" adds nothing once each field shows its own message.
  const summary = first && (GENERIC.test(message) || currentLanguage() !== "en") ? t("forms.correctHighlighted") : message;
  if (formError) formError.textContent = [summary, ...leftovers].filter(Boolean).join(" ");
  if (first) first.focus();
  return first;
}

const GENERIC = /^The (request body|query string) is invalid\.?$/i;

function humanKey(key) {
  const words = String(key).replace(/[._]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function sentence(text) {
  // Pydantic prefixes custom validator messages with "Value error, ".
  const value = String(text || "").replace(/^Value error,\s*/i, "").trim();
  if (!value) return "";
  const capital = value.charAt(0).toUpperCase() + value.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
