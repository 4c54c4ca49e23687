// Vendor space: the vendor's promotions (percent or amount off its own offers for a time window),
// a form to create one, t("promotions.edit") (name, value, window, minimum quantity, at the version read) and
// t("promotions.endNow") on those still running or scheduled. Shoppers then see the struck price on the
// catalogue, the product page and in their cart.

import { ApiError, request } from "../../api.js";
import { el, mount, uniqueId } from "../../dom.js";
import { amountInputValue, formatMoney, parseAmount } from "../../money.js";
import { conditionLabel } from "../../labels.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { signInHref } from "../guard.js";
import { formatDateTime, t } from "../../i18n.js";

const listPromotions = (options) => request("GET", "/vendor/promotions", { ...options, auth: true });
const listOffers = (cursor, options) => request("GET", "/vendor/offers", { ...options, auth: true, query: { limit: 100, cursor } });
const MAX_OFFER_PAGES = 10; // the form lists up to 1,000 offers to choose from
const createPromotion = (body, key) => request("POST", "/vendor/promotions", { body, auth: true, headers: { "Idempotency-Key": key } });
const endPromotion = (id) => request("POST", `/vendor/promotions/${encodeURIComponent(id)}/end`, { auth: true });
const editPromotion = (id, body) => request("PATCH", `/vendor/promotions/${encodeURIComponent(id)}`, { body, auth: true });

const STATUS_LABELS = { active: t("promotions.running"), scheduled: t("promotions.scheduled"), ended: t("promotions.ended") };

/** A <input type="datetime-local"> value (the vendor's local time) for a Date. */
function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatDateTime(date);
}

function discountText(promo) {
  const off = promo.kind === "percent" ? t("promotions.percentOffValue", { value: promo.value }) : t("promotions.amountOffEach", { amount: formatMoney({ amount: promo.value, currency: promo.currency }) });
  return promo.min_quantity > 1 ? `${off} from ${promo.min_quantity} units` : off;
}

export const promotionsSection = {
  id: "promotions",
  label: "Promotions",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "data-testid": "vendor-promotions-status", "aria-live": "polite", text: t("promotions.loading") });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "vendor-promotions-error" });
    const body = el("tbody");
    const offerChoices = el("div", { class: "promotion-offers", "data-testid": "promotion-offers" });
    let offers = [];
    let key = crypto.randomUUID(); // one per promotion being created: a retried submit creates it once

    const name = el("input", { type: "text", name: "name", required: true, maxlength: 80, autocomplete: "off", "data-testid": "promotion-name" });
    const kind = el("select", { name: "kind", "data-testid": "promotion-kind" },
      el("option", { value: "percent", text: t("promotions.percentOff") }), el("option", { value: "amount", text: t("promotions.amountOff") }));
    const value = el("input", { type: "text", name: "value", required: true, inputmode: "decimal", autocomplete: "off", "data-testid": "promotion-value" });
    const now = new Date();
    const starts = el("input", { name: "starts_at", type: "datetime-local", required: true, value: localInputValue(now), "data-testid": "promotion-starts" });
    const ends = el("input", { name: "ends_at", type: "datetime-local", required: true, value: localInputValue(new Date(now.getTime() + 7 * 86400000)), "data-testid": "promotion-ends" });
    const minQuantity = el("input", { name: "min_quantity", type: "number", min: 1, max: 10, value: 1, "data-testid": "promotion-min-quantity" });
    const formError = el("p", { class: "form-error", role: "alert", "data-testid": "promotion-form-error" });
    const submit = el("button", { type: "submit", class: "button", "data-testid": "promotion-create" }, t("promotions.create"));
    const offersId = uniqueId("promotion-offers");
    const form = el("form", { class: "promotion-form", novalidate: true, "data-testid": "promotion-form", onsubmit: create },
      el("h3", { text: t("promotions.new") }),
      fieldWithError(name, t("promotions.name")),
      fieldWithError(kind, t("promotions.discount")),
      fieldWithError(value, t("promotions.value"), { hint: t("promotions.valueHint") }),
      fieldWithError(starts, t("promotions.starts")),
      fieldWithError(ends, t("promotions.ends")),
      fieldWithError(minQuantity, t("promotions.minQty")),
      el("fieldset", { class: "field", "aria-describedby": `${offersId}-error` },
        el("legend", { text: t("promotions.onOffers") }),
        offerChoices,
        el("p", { class: "field-error", id: `${offersId}-error`, "data-field": "offer_ids", "data-testid": "field-error-offer_ids" })),
      el("input", { type: "hidden", name: "offer_ids" }),
      formError, submit);

    const editSlot = el("div", { class: "promotion-edit-slot" });
    mount(panel,
      el("h2", { text: t("promotions.yours") }),
      status, error,
      el("div", { class: "table-scroll" },
        el("table", { class: "data-table", "data-testid": "vendor-promotions" },
          el("thead", {}, el("tr", {},
            [t("promotions.colName"), t("promotions.discount"), t("promotions.colOffers"), t("promotions.starts"), t("promotions.ends"), t("promotions.status"), ""].map((h) => el("th", { scope: "col", text: h })))),
          body)),
      editSlot,
      form);
    load();
    loadOffers();
    return { cleanup: () => controller.abort() };

    function failed(err, slot) {
      if (err.name === "AbortError") return;
      if (err instanceof ApiError && err.status === 401) mount(slot, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else slot.textContent = err.message;
    }

    async function load() {
      try {
        const page = await listPromotions({ signal: controller.signal });
        mount(body, page.items.map(row));
        const count = page.items.length;
        status.textContent = count ? t("promotions.count", { count }) : t("promotions.none");
        error.textContent = "";
      } catch (err) {
        status.textContent = "";
        failed(err, error);
      }
    }

    async function loadOffers() {
      try {
        let cursor = null;
        offers = [];
        for (let pages = 0; pages < MAX_OFFER_PAGES; pages += 1) {
          const page = await listOffers(cursor, { signal: controller.signal });
          offers.push(...page.items);
          cursor = page.next_cursor;
          if (!cursor) break;
        }
        mount(offerChoices, offers.length ? offers.map((offer) => el("label", { class: "checkbox" },
          el("input", { type: "checkbox", value: offer.offer_id, "data-testid": "promotion-offer" }),
          ` ${offer.product_title} (${conditionLabel(offer.condition)}, ${formatMoney(offer.price)})`))
          : el("p", { class: "muted", text: t("promotions.noOffers") }));
      } catch (err) {
        failed(err, formError);
      }
    }

    function offerNames(ids) {
      if (!ids.length) return t("promotions.allOffers");
      return ids.map((id) => (offers.find((o) => o.offer_id === id) || {}).product_title || id).join(", ");
    }

    function row(promo) {
      const endButton = promo.status === "ended" ? null : el("button", {
        type: "button", class: "button button-quiet button-small", "data-testid": "promotion-end",
        onclick: () => end(promo, endButton),
      }, t("promotions.endNow"));
      const editButton = promo.status === "ended" ? null : el("button", {
        type: "button", class: "button button-quiet button-small", "data-testid": "promotion-edit",
        onclick: () => openEditor(promo),
      }, t("promotions.edit"));
      return el("tr", { "data-testid": "vendor-promotion", "data-promotion-id": promo.promotion_id, "data-status": promo.status },
        el("th", { scope: "row", text: promo.name }),
        el("td", { "data-testid": "promotion-discount", text: discountText(promo) }),
        el("td", { text: offerNames(promo.offer_ids) }),
        el("td", { "data-testid": "promotion-starts-at", text: when(promo.starts_at) }),
        el("td", { "data-testid": "promotion-ends-at", text: when(promo.ends_at) }),
        el("td", { "data-testid": "promotion-status", text: STATUS_LABELS[promo.status] || promo.status }),
        el("td", { class: "row-actions" }, editButton, endButton));
    }

    /** The edit form of one promotion, under the table: only what changed is sent, with the version read. */
    function openEditor(promo) {
      const startsValue = localInputValue(new Date(promo.starts_at));
      const editName = el("input", { type: "text", name: "name", required: true, maxlength: 80, value: promo.name, "data-testid": "promotion-edit-name" });
      const editValue = el("input", {
        type: "text", name: "value", required: true, inputmode: "decimal", "data-testid": "promotion-edit-value",
        value: promo.kind === "percent" ? String(promo.value) : amountInputValue(promo.value, promo.currency),
      });
      const editStarts = el("input", { type: "datetime-local", name: "starts_at", value: startsValue, "data-testid": "promotion-edit-starts" });
      const editEnds = el("input", { type: "datetime-local", name: "ends_at", value: localInputValue(new Date(promo.ends_at)), "data-testid": "promotion-edit-ends" });
      const editMin = el("input", { type: "number", name: "min_quantity", min: 1, max: 10, value: promo.min_quantity, "data-testid": "promotion-edit-min-quantity" });
      const editError = el("p", { class: "form-error", role: "alert", "data-testid": "promotion-edit-error" });
      const save = el("button", { type: "submit", class: "button", "data-testid": "promotion-save" }, t("promotions.saveChanges"));
      const cancel = el("button", { type: "button", class: "button button-quiet", "data-testid": "promotion-edit-cancel", onclick: () => mount(editSlot) }, t("promotions.cancel"));
      const started = promo.status === "active";
      const editForm = el("form", { class: "promotion-form", novalidate: true, "data-testid": "promotion-edit-form", onsubmit: submitEdit },
        el("h3", { text: t("promotions.editName", { name: promo.name }) }),
        el("p", { class: "muted", text: t("promotions.editNote", { kind: promo.kind === "percent" ? t("promotions.percentOff") : t("promotions.amountOff"), offers: offerNames(promo.offer_ids) }) }),
        fieldWithError(editName, t("promotions.name")),
        fieldWithError(editValue, promo.kind === "percent" ? t("promotions.percentOff") : t("promotions.amountOff")),
        fieldWithError(editStarts, t("promotions.starts"), started ? { hint: t("promotions.startedHint") } : {}),
        fieldWithError(editEnds, t("promotions.ends")),
        fieldWithError(editMin, t("promotions.minQty")),
        editError, el("div", { class: "form-actions" }, save, cancel));
      mount(editSlot, editForm);
      editName.focus();

      async function submitEdit(event) {
        event.preventDefault();
        clearFieldErrors(editForm);
        editError.textContent = "";
        const errors = {};
        let amount = null;
        if (promo.kind === "percent") {
          amount = /^\d{1,2}$/.test(editValue.value.trim()) ? Number(editValue.value.trim()) : null;
          if (amount === null) errors.value = t("promotions.wholePercent");
        } else {
          const parsed = parseAmount(editValue.value, promo.currency);
          if (parsed.error || parsed.value === null) errors.value = parsed.error || t("promotions.enterAmount");
          else amount = parsed.value;
        }
        const startDate = new Date(editStarts.value);
        const endDate = new Date(editEnds.value);
        if (Number.isNaN(startDate.getTime())) errors.starts_at = t("promotions.chooseStart");
        if (Number.isNaN(endDate.getTime())) errors.ends_at = t("promotions.chooseEnd");
        if (Object.keys(errors).length) {
          showFieldErrors(editForm, errors, editError, t("promotions.correct"));
          return;
        }
        const changes = { version: promo.version, name: editName.value.trim(), value: amount,
          ends_at: endDate.toISOString(), min_quantity: Number(editMin.value || 1) };
        if (editStarts.value !== startsValue) changes.starts_at = startDate.toISOString(); // unchanged: not sent
        save.disabled = true;
        try {
          await editPromotion(promo.promotion_id, changes);
          mount(editSlot);
          status.textContent = t("promotions.updated");
          await load();
        } catch (err) {
          if (err instanceof ApiError && err.status === 409) {
            editError.textContent = err.message;
            await load(); // the latest version is in the table: edit it again from there
          } else if (err instanceof ApiError && Object.keys(err.fields).length) {
            showFieldErrors(editForm, err.fields, editError, err.message);
          } else {
            failed(err, editError);
          }
        } finally {
          save.disabled = false;
        }
      }
    }

    async function end(promo, button) {
      button.disabled = true;
      try {
        await endPromotion(promo.promotion_id);
        await load();
      } catch (err) {
        button.disabled = false;
        failed(err, error);
      }
    }

    async function create(event) {
      event.preventDefault();
      clearFieldErrors(form);
      formError.textContent = "";
      const errors = {};
      let amount = null;
      if (kind.value === "percent") {
        amount = /^\d{1,2}$/.test(value.value.trim()) ? Number(value.value.trim()) : null;
        if (amount === null) errors.value = t("promotions.wholePercent");
      } else {
        const parsed = parseAmount(value.value);
        if (parsed.error || parsed.value === null) errors.value = parsed.error || t("promotions.enterAmount");
        else amount = parsed.value;
      }
      const startDate = new Date(starts.value);
      const endDate = new Date(ends.value);
      if (Number.isNaN(startDate.getTime())) errors.starts_at = t("promotions.chooseStart");
      if (Number.isNaN(endDate.getTime())) errors.ends_at = t("promotions.chooseEnd");
      if (Object.keys(errors).length) {
        showFieldErrors(form, errors, formError, t("promotions.correct"));
        return;
      }
      const body = {
        name: name.value.trim(), kind: kind.value, value: amount,
        starts_at: startDate.toISOString(), ends_at: endDate.toISOString(),
        min_quantity: Number(minQuantity.value || 1),
        offer_ids: [...offerChoices.querySelectorAll("input:checked")].map((box) => box.value),
      };
      submit.disabled = true;
      try {
        await createPromotion(body, key);
        key = crypto.randomUUID();
        name.value = "";
        value.value = kind.value === "amount" ? amountInputValue(null) : "";
        for (const box of offerChoices.querySelectorAll("input:checked")) box.checked = false;
        status.textContent = t("promotions.created");
        await load();
      } catch (err) {
        if (err instanceof ApiError && err.status === 422 && err.code === "idempotency_key_reused") key = crypto.randomUUID();
        if (err instanceof ApiError && Object.keys(err.fields).length) showFieldErrors(form, err.fields, formError, err.message);
        else failed(err, formError);
      } finally {
        submit.disabled = false;
      }
    }
  },
};
