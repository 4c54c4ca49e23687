// The shopper's returns on the order page: t("returns.returnItems") (pick delivered lines and quantities, a
// reason, a text, photos), then each return's tracking: its state, the label reference to write on
// the parcel once approved, the form to say how it was sent back, and its timeline.

import { ApiError } from "../api.js";
import { announce, el, mount } from "../dom.js";
import { formatMoney } from "../money.js";
import { RETURN_REASONS, RETURN_STATES, askReturn, orderReturns, reasonLabel, shipBack, uploadReturnPhoto } from "../returns-api.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "./forms.js";
import { formatDate } from "./orders.js";
import { t } from "../i18n.js";
import { caseThreadLink } from "./case-links.js";

export function returnBadge(state) {
  const known = RETURN_STATES[state] || { label: state, tone: "neutral" };
  return el("span", { class: `status-badge status-${known.tone}`, "data-testid": "return-state", "data-state": state, text: known.label });
}

export function returnTimeline(ret) {
  return el("ol", { class: "timeline return-timeline", "data-testid": "return-timeline" },
    ret.timeline.map((step) => el("li", { "data-state": step.state },
      el("time", { datetime: step.at, text: formatDate(step.at) }), " ", step.label)));
}

/** The returns panel of a paid order (null for any other): loads its own data. */
export function orderReturnsPanel(order) {
  if (order.status !== "paid") return null;
  const panel = el("section", { class: "panel order-returns", "data-testid": "order-returns", "aria-labelledby": "returns-title" },
    el("h2", { id: "returns-title", text: t("returns.title") }));
  const titles = new Map(order.lines.map((line) => [line.offer_id, line]));
  load();
  return panel;

  async function load() {
    try {
      show(await orderReturns(order.order_id));
    } catch (err) {
      mount(panel, el("h2", { id: "returns-title", text: t("returns.title") }),
        el("p", { class: "form-error", role: "alert", text: err.message }));
    }
  }

  function show(data) {
    const ask = data.returnable.length
      ? el("button", { type: "button", class: "button", "data-testid": "return-items" }, t("returns.returnItems")) : null;
    const slot = el("div");
    if (ask) ask.addEventListener("click", () => { ask.hidden = true; mount(slot, requestForm(data.returnable)); });
    mount(panel, el("h2", { id: "returns-title", text: t("returns.title") }),
      data.items.length ? null : el("p", { class: "muted", text: data.returnable.length
        ? t("returns.canReturn") : t("returns.nothingYet") }),
      ask, slot, data.items.map(returnCard));
  }

  function requestForm(returnable) {
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "return-form-error" });
    const rows = returnable.map((item) => {
      const line = titles.get(item.offer_id) || { title: item.offer_id };
      const pick = el("input", { type: "checkbox", name: "pick", value: item.offer_id, "data-testid": "return-pick", "data-offer-id": item.offer_id });
      const quantity = el("select", { name: "quantity", "data-testid": "return-quantity", "data-offer-id": item.offer_id },
        Array.from({ length: item.quantity }, (_, i) => el("option", { value: String(i + 1), text: String(i + 1) })));
      return { item, pick, quantity, node: el("li", { class: "return-pick" },
        el("label", {}, pick, ` ${line.title} (${line.vendor_name || ""})`), " ",
        el("span", { class: "muted", text: t("returns.until", { date: formatDate(item.until) }) }), " ",
        // A visible name for the quantity (axe: select-name), read with the item it belongs to.
        el("label", { class: "return-quantity" }, `${t("common.quantity")} `, quantity)) };
    });
    const reason = el("select", { name: "reason", required: true, "data-testid": "return-reason" },
      RETURN_REASONS.map(([value, text]) => el("option", { value, text })));
    const text = el("textarea", { name: "text", maxlength: 1000, rows: 3, "data-testid": "return-text" });
    const photos = el("input", { type: "file", name: "photos", multiple: true, accept: "image/jpeg,image/png,image/webp", "data-testid": "return-photos" });
    const submit = el("button", { type: "submit", class: "button", "data-testid": "return-submit" }, t("returns.askReturn"));
    const key = crypto.randomUUID();
    const form = el("form", { class: "return-form", novalidate: true, "data-testid": "return-form" },
      el("fieldset", {}, el("legend", { text: t("returns.whatReturn") }), el("ul", { class: "plain-list" }, rows.map((r) => r.node)),
        el("p", { class: "field-error", "data-field": "lines" })),
      fieldWithError(reason, t("returns.whyQ")),
      fieldWithError(text, t("returns.tellMore"), { hint: t("returns.requiredOther") }),
      fieldWithError(photos, t("returns.photos"), { hint: t("returns.photosHint") }),
      error, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      error.textContent = "";
      const lines = rows.filter((r) => r.pick.checked).map((r) => ({ line_id: r.item.offer_id, quantity: Number(r.quantity.value) }));
      if (!lines.length) { error.textContent = t("returns.pickOne"); return; }
      submit.disabled = true;
      try {
        const keys = [];
        for (const file of Array.from(photos.files || []).slice(0, 5)) keys.push(await uploadReturnPhoto(file));
        const created = await askReturn(order.order_id, { lines, reason: reason.value, text: text.value, photos: keys }, key);
        announce(t("returns.asked", { state: (RETURN_STATES[created.state] || {}).label || created.state }));
        await load();
      } catch (err) {
        submit.disabled = false;
        if (err instanceof ApiError && err.fields) showFieldErrors(form, err.fields, error, err.message);
        else error.textContent = err.message;
      }
    });
    return form;
  }

  function returnCard(ret) {
    const node = el("article", { class: "return-card", "data-testid": "return", "data-return-id": ret.return_id, "data-state": ret.state });
    const error = el("p", { class: "form-error", role: "alert" });
    const refund = ret.refund || ret.refund_estimate;
    mount(node,
      el("header", { class: "return-head" },
        el("h3", { text: t("returns.returnRef", { reference: ret.label_reference || "" }).trim() }), returnBadge(ret.state)),
      el("p", {}, ret.lines.map((line) => `${line.quantity} × ${line.title}`).join(", "), ` · ${reasonLabel(ret.reason)}`),
      ret.label_reference ? el("p", { "data-testid": "return-label" }, `${t("returns.labelReference")} `,
        el("strong", { "data-testid": "return-label-reference", text: ret.label_reference })) : null,
      ret.rejection_reason ? el("p", { "data-testid": "return-rejection", text: t("returns.why", { reason: ret.rejection_reason }) }) : null,
      refund ? el("p", { "data-testid": "return-refund" }, ret.refund ? `${t("returns.refunded")} ` : `${t("returns.expected")} `,
        el("strong", { text: formatMoney(refund) })) : null,
      ret.allowed_actions.includes("ship_back") ? shipBackForm(ret, error) : null,
      error,
      caseThreadLink("shopper", { orderId: ret.order_id, vendorId: ret.vendor_id, caseId: ret.return_id, text: t("caseLinks.shopAboutReturn") }),
      returnTimeline(ret));
    return node;
  }

  function shipBackForm(ret, error) {
    const input = (name) => el("input", { name, required: true, autocomplete: "off", "data-testid": `return-${name}` });
    const submit = el("button", { type: "submit", class: "button", "data-testid": "return-ship-back" }, "I sent it back");
    const form = el("form", { class: "ship-form", novalidate: true, "data-testid": "return-ship-form" },
      el("h4", { text: t("returns.sendBack") }),
      fieldWithError(input("carrier"), t("returns.carrier")), fieldWithError(input("tracking_number"), t("returns.tracking")), submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      submit.disabled = true;
      try {
        await shipBack(ret.return_id, Object.fromEntries(new FormData(form).entries()));
        announce(t("returns.onItsWay"));
        await load();
      } catch (err) {
        submit.disabled = false;
        if (err instanceof ApiError && err.fields) showFieldErrors(form, err.fields, error, err.message);
        else error.textContent = err.message;
      }
    });
    return form;
  }
}
