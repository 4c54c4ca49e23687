// Pieces the claim pages share: the decision form (a vendor's answer, an admin's resolution: refund of
// chosen lines, replacement, or rejection with a reason) and a claim's history as a timeline.

import { ApiError } from "../api.js";
import { el } from "../dom.js";
import { RESOLUTIONS, claimStateLabel } from "../claims.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "./forms.js";
import { formatDate } from "./orders.js";
import { t } from "../i18n.js";

/** A form deciding a claim; `send(body)` posts it, `done(answer)` runs on success. */
export function decisionForm(claim, { send, done, submitText, testid }) {
  const resolution = el("select", { name: "resolution", "data-testid": `${testid}-resolution` },
    Object.entries(RESOLUTIONS).map(([value, text]) => el("option", { value, text })));
  const quantities = (claim.lines || []).map((line) => ({
    line,
    input: el("input", { type: "number", name: `qty-${line.offer_id}`, min: "0", max: String(line.quantity), value: "0",
      inputmode: "numeric", "data-testid": `${testid}-quantity`, "data-offer-id": line.offer_id }),
  }));
  const lines = el("fieldset", { class: "claim-lines", "data-testid": `${testid}-lines` },
    el("legend", { text: t("claims.unitsLegend") }),
    quantities.map(({ line, input }) => fieldWithError(input, t("claims.lineBought", { title: line.title || line.offer_id, quantity: line.quantity }))),
    el("p", { class: "field-error", "data-field": "lines" }));
  const reason = el("textarea", { name: "reason", rows: "2", maxlength: "1000", "data-testid": `${testid}-reason` });
  const error = el("p", { class: "form-error", role: "alert", "data-testid": `${testid}-error` });
  const submit = el("button", { type: "submit", class: "button", "data-testid": `${testid}-submit` }, submitText);
  const form = el("form", { class: "claim-decision", "data-testid": testid, novalidate: true },
    fieldWithError(resolution, t("claims.decisionLabel")), lines,
    fieldWithError(reason, t("claims.reasonNote"), { hint: t("claims.reasonHint") }),
    error, submit);
  const sync = () => { lines.hidden = resolution.value !== "refund"; };
  resolution.addEventListener("change", sync);
  sync();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    error.textContent = "";
    const body = { resolution: resolution.value, reason: reason.value.trim() };
    if (body.resolution === "refund") {
      body.lines = quantities.map(({ line, input }) => ({ offer_id: line.offer_id, quantity: Number(input.value) }))
        .filter((l) => l.quantity > 0);
    }
    submit.disabled = true;
    try {
      done(await send(body));
    } catch (err) {
      if (err instanceof ApiError) showFieldErrors(form, err.fields, error, err.message);
      else error.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

const BY = { shopper: t("claims.byYou"), vendor: t("claims.byVendor"), admin: "Halles", auto: t("claims.byAuto"), provider: t("claims.byBank") };
// What the bank's dispute events mean, for the admin's dispute history.
const DISPUTE_STAGES = new Set(["created", "updated", "closed", "funds_withdrawn", "funds_reinstated"]);

/** A case's steps, oldest first. */
export function caseHistory(history, { audience = "shopper" } = {}) {
  return el("ol", { class: "timeline claim-history", "data-testid": "claim-history" },
    (history || []).map((step) => el("li", { class: "timeline-entry timeline-neutral", "data-testid": "claim-step", "data-state": step.state },
      el("span", { class: "timeline-label", text: stepLabel(step, audience) }),
      el("time", { class: "timeline-time muted", datetime: step.at, text: formatDate(step.at) }))));
}

function stepLabel(step, audience) {
  const by = audience === "shopper" ? BY[step.by] : (step.by === "shopper" ? t("claims.byShopper") : BY[step.by]) || step.by;
  const state = String(step.state || "").replaceAll("_", " ");
  if (step.note === "replacement_shipped") return t("claims.replacementShipped");
  if (step.note === "evidence_staged") return t("claims.evidenceStaged");
  if (step.note === "evidence_submitted") return t("claims.evidenceSubmitted", { state });
  if (step.by === "provider") {
    return DISPUTE_STAGES.has(step.note) ? t("claims.stageState", { stage: t(`claims.stage_${step.note}`), state })
      : t("claims.dispute", { state });
  }
  return `${claimStateLabel(step.state)}${by ? ` (${by})` : ""}`;
}
