// Vendor space: the vendor's offers. Lists price, stock on hand, units held by unpaid orders and sold;
// proposes a product with its offer (and an image); edits an offer's price, stock and delivery with
// If-Match (the version read), pauses, resumes or delists it; uploads images through a presigned POST.
// Every API error lands next to the field it names.

import { ApiError, request } from "../../api.js";
import { loadCategories } from "../../categories.js";
import { confirmDialog, el, mount, uniqueId } from "../../dom.js";
import { amountInputValue, formatMoney, parseAmount } from "../../money.js";
import { conditionLabel } from "../../labels.js";
import { signInHref } from "../guard.js";
import { imageUrl } from "../catalogue.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { productEditForm } from "./product-edit.js";
import { t } from "../../i18n.js";

const CURRENCY = "EUR";
const enc = encodeURIComponent;

// --- the vendor catalogue API (this section's own calls) ---
const vendorApi = {
  offers: (query, options) => request("GET", "/vendor/offers", { ...options, auth: true, query }),
  createProduct: (body) => request("POST", "/vendor/products", { auth: true, body }),
  putOffer: (productId, body, version) => request("PUT", `/vendor/products/${enc(productId)}/offer`,
    { auth: true, body, headers: version ? { "If-Match": `"${version}"` } : {} }),
  offerAction: (offerId, action, version) => request(action === "delist" ? "DELETE" : "POST",
    action === "delist" ? `/vendor/offers/${enc(offerId)}` : `/vendor/offers/${enc(offerId)}/${action}`,
    { auth: true, headers: version ? { "If-Match": `"${version}"` } : {} }),
  startUpload: (productId, contentType) => request("POST", `/vendor/products/${enc(productId)}/images/uploads`,
    { auth: true, body: { content_type: contentType } }),
  attachImage: (productId, key) => request("POST", `/vendor/products/${enc(productId)}/images`, { auth: true, body: { key } }),
};

const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"];
const STATUS_TEXT = { active: t("vendorOffers.listed"), paused: t("vendorOffers.paused"), delisted: t("vendorOffers.delisted") };

/** Upload `file` for the product (presigned POST straight to storage), then attach it: the product. */
export async function uploadImage(productId, file) {
  if (!IMAGE_TYPES.includes(file.type)) {
    throw new ApiError({ status: 400, code: "validation_error", message: t("vendorOffers.imageType"), fields: { image: "JPEG, PNG or WebP" } });
  }
  const form = await vendorApi.startUpload(productId, file.type);
  if (file.size > form.max_bytes) {
    throw new ApiError({ status: 400, code: "validation_error", message: t("vendorOffers.imageSize"), fields: { image: "at most 5 MB" } });
  }
  const body = new FormData();
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
  body.append("file", file);
  let response;
  try {
    response = await fetch(form.url, { method: "POST", body });
  } catch {
    throw new ApiError({ code: "network_error", message: t("vendorOffers.imageNotSent"), fields: { image: "not sent" } });
  }
  if (!response.ok) {
    throw new ApiError({ status: response.status, code: "upload_refused", message: t("vendorOffers.imageRefused"), fields: { image: "refused by the storage" } });
  }
  return vendorApi.attachImage(productId, form.key);
}

/** The API's field names as this section's inputs are named (`price.amount` -> `price`, `attributes.model` -> `attributes`). */
function inputFields(fields) {
  const out = {};
  for (const [key, text] of Object.entries(fields || {})) {
    const name = key.replace(/^body\./, "").replace(/\.amount$/, "").replace(/^delivery\./, "")
      .replace(/^attributes\..*/, "attributes").replace(/^images.*/, "image");
    out[name] = out[name] ? `${out[name]} ${text}` : (key.startsWith("attributes.") ? `${key.slice(11)}: ${text}` : text);
  }
  return out;
}

function input(name, attrs = {}) {
  return el("input", { name, id: uniqueId(`f-${name}`), "data-testid": `input-${name}`, ...attrs });
}

function moneyInput(name, minor) {
  return input(name, { inputmode: "decimal", value: minor === undefined ? "" : amountInputValue(minor, CURRENCY), autocomplete: "off" });
}

/** Offer terms from a form; {body} or {errors} (names as the form's inputs). */
function offerTerms(form, condition) {
  const errors = {};
  const money = (name, required) => {
    const parsed = parseAmount(form.elements[name].value, CURRENCY);
    if (parsed.error) errors[name] = parsed.error;
    else if (parsed.value === null && required) errors[name] = t("vendorOffers.required");
    return parsed.value || 0;
  };
  const count = (name) => {
    const value = form.elements[name].value.trim();
    if (!/^\d{1,7}$/.test(value)) errors[name] = "A whole number.";
    return Number(value);
  };
  const body = {
    price: { amount: money("price", true), currency: CURRENCY },
    shipping_fee: { amount: money("shipping_fee", false), currency: CURRENCY },
    condition, stock: count("stock"),
    delivery: { min_days: count("min_days"), max_days: count("max_days") },
  };
  return Object.keys(errors).length ? { errors } : { body };
}

function offerInputs(offer) {
  return [
    fieldWithError(moneyInput("price", offer && offer.price.amount), t("vendorOffers.priceLabel")),
    fieldWithError(moneyInput("shipping_fee", offer ? offer.shipping_fee.amount : 0), t("vendorOffers.feeLabel")),
    fieldWithError(input("stock", { inputmode: "numeric", value: offer ? String(offer.stock) : "" }), t("vendorOffers.unitsLabel")),
    fieldWithError(input("min_days", { inputmode: "numeric", value: offer ? String(offer.delivery.min_days) : "2" }), t("vendorOffers.fromDays")),
    fieldWithError(input("max_days", { inputmode: "numeric", value: offer ? String(offer.delivery.max_days) : "4" }), "to (days)"),
  ];
}

export const offersSection = {
  id: "offers",
  label: "Offers",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "data-testid": "vendor-offers-status", "aria-live": "polite", text: t("vendorOffers.loading") });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "vendor-offers-error" });
    const body = el("tbody");
    const more = el("button", { type: "button", class: "button button-quiet", hidden: true, "data-testid": "vendor-offers-more" }, t("vendorOffers.showMore"));
    const creator = el("div", { class: "offer-creator" });
    const addButton = el("button", { type: "button", class: "button", "data-testid": "new-product" }, t("vendorOffers.addProduct"));
    let cursor = null;
    mount(panel,
      el("div", { class: "offers-head" }, el("h2", { text: t("vendorOffers.yourOffers") }), addButton),
      creator,
      status, error,
      el("div", { class: "table-scroll" },
        el("table", { class: "data-table", "data-testid": "vendor-offers" },
          el("thead", {}, el("tr", {},
            ["product", "condition", "status", "price", "deliveryFee", "onHand", "held", "sold", "actions"]
              .map((h) => el("th", { scope: "col", text: t(`vendorOffers.col.${h}`) })))),
          body)),
      more);
    more.addEventListener("click", () => load());
    addButton.addEventListener("click", () => { addButton.hidden = true; mount(creator, productForm()); });
    load();
    return { cleanup: () => controller.abort() };

    function sessionOr(err, slot) {
      if (err instanceof ApiError && err.status === 401) mount(slot, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else slot.textContent = err.message;
    }

    async function load() {
      try {
        const page = await vendorApi.offers(cursor ? { cursor } : {}, { signal: controller.signal });
        body.append(...page.items.map(row));
        cursor = page.next_cursor;
        more.hidden = !cursor;
        count();
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        sessionOr(err, error);
      }
    }

    function count() {
      const n = body.querySelectorAll("tr[data-testid=vendor-offer]").length;
      status.textContent = n ? `${t("catalogue.offers", { count: n })}.` : t("vendorOffers.none");
    }

    function row(offer) {
      const tr = el("tr", { "data-testid": "vendor-offer", "data-offer-id": offer.offer_id, "data-status": offer.status });
      const formError = el("p", { class: "form-error", role: "alert", "data-testid": "offer-error" });
      const act = (label, action, testid, extra = {}) => el("button", {
        type: "button", class: `button button-small ${extra.danger ? "button-danger" : "button-quiet"}`, "data-testid": testid,
        onclick: () => lifecycle(action),
      }, label);
      const actions = offer.status === "delisted" ? [el("span", { class: "muted", text: t("vendorOffers.final") })] : [
        el("button", { type: "button", class: "button button-small button-quiet", "data-testid": "offer-edit", onclick: edit }, t("vendorOffers.edit")),
        offer.status === "paused" ? act(t("vendorOffers.resume"), "resume", "offer-resume") : act(t("vendorOffers.pause"), "pause", "offer-pause"),
        act(t("vendorOffers.delist"), "delist", "offer-delist", { danger: true }),
        imagePicker(offer.product_id, formError),
        offer.product_proposed_by_you ? el("button", { type: "button", class: "button button-small button-quiet", "data-testid": "product-edit", onclick: editProduct }, t("vendorOffers.editProduct")) : null,
      ];
      mount(tr,
        el("th", { scope: "row" }, el("a", { href: `#/product/${enc(offer.product_id)}`, text: offer.product_title })),
        el("td", { text: conditionLabel(offer.condition) }),
        el("td", {}, el("span", { class: `offer-status offer-status-${offer.status}`, "data-testid": "offer-status", text: STATUS_TEXT[offer.status] || offer.status })),
        el("td", { class: "num", "data-testid": "offer-price", text: formatMoney(offer.price) }),
        el("td", { class: "num", text: formatMoney(offer.shipping_fee) }),
        el("td", { class: "num", "data-testid": "offer-stock", text: String(offer.stock) }),
        el("td", { class: "num", text: String(offer.reserved) }),
        el("td", { class: "num", text: String(offer.sold) }),
        el("td", { class: "offer-actions" }, actions, formError));
      return tr;

      async function lifecycle(action) {
        if (action === "delist" && !(await confirmDialog({
          question: t("vendorOffers.confirmDelist", { title: offer.product_title }),
          confirm: t("vendorOffers.delist"), keep: t("vendorOffers.keepListed"), testid: "delist-dialog",
        }))) return;
        formError.textContent = "";
        try {
          tr.replaceWith(row(await vendorApi.offerAction(offer.offer_id, action, offer.version)));
        } catch (err) {
          sessionOr(err, formError);
        }
      }

      function editProduct() {
        const editor = el("tr", { class: "offer-editor" }, el("td", { colspan: 9 }, productEditForm(offer.product_id, {
          onClose: () => editor.replaceWith(),
          onSaved: (product) => { editor.replaceWith(); tr.replaceWith(row({ ...offer, product_title: product.title })); },
        })));
        tr.after(editor);
      }

      function edit() {
        const form = el("form", { class: "offer-edit-form", "data-testid": "offer-edit-form", novalidate: true }, offerInputs(offer),
          el("p", { class: "form-error", role: "alert", "data-testid": "offer-edit-error" }),
          el("div", { class: "form-actions" },
            el("button", { type: "submit", class: "button", "data-testid": "offer-save" }, t("vendorOffers.save")),
            el("button", { type: "button", class: "button button-quiet", onclick: () => editor.replaceWith() }, t("vendorOffers.cancel"))));
        const editor = el("tr", { class: "offer-editor" }, el("td", { colspan: 9 }, form));
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          clearFieldErrors(form);
          const formErr = form.querySelector(".form-error");
          const terms = offerTerms(form, offer.condition);
          if (terms.errors) return showFieldErrors(form, terms.errors, formErr, t("vendorOffers.correct"));
          try {
            const saved = await vendorApi.putOffer(offer.product_id, terms.body, offer.version);
            editor.replaceWith();
            tr.replaceWith(row(saved));
          } catch (err) {
            if (err.status === 412) formErr.textContent = t("vendorOffers.changed");
            else showFieldErrors(form, inputFields(err.fields), formErr, err.message);
          }
        });
        tr.after(editor);
        form.elements.price.focus();
      }
    }

    function imagePicker(productId, slot, onAttached) {
      const id = uniqueId("image");
      const file = el("input", { type: "file", id, accept: IMAGE_TYPES.join(","), class: "visually-hidden", "data-testid": "offer-image-input" });
      file.addEventListener("change", async () => {
        if (!file.files.length) return;
        slot.textContent = t("vendorOffers.uploading");
        try {
          const product = await uploadImage(productId, file.files[0]);
          slot.textContent = "";
          const path = product.images[product.images.length - 1];
          slot.append(el("img", { class: "offer-thumb", src: imageUrl(path), alt: t("vendorOffers.newImageOf", { title: product.title }), "data-testid": "image-preview" }));
          if (onAttached) onAttached(product);
        } catch (err) {
          if (err.status === 403) slot.textContent = t("vendorOffers.onlyProposer");
          else slot.textContent = err.message + (err.fields && err.fields.key ? ` (${err.fields.key})` : "");
        }
        file.value = "";
      });
      return el("label", { for: id, class: "button button-small button-quiet", text: t("vendorOffers.addImage") }, file);
    }

    function productForm() {
      const categorySelect = el("select", { name: "category", id: uniqueId("f-category"), "data-testid": "input-category" });
      loadCategories().then((items) => mount(categorySelect, items.map((c) => el("option", { value: c.slug, text: c.name })))).catch(() => {});
      const condition = el("select", { name: "condition", id: uniqueId("f-condition"), "data-testid": "input-condition" },
        ["new", "refurbished", "used"].map((c) => el("option", { value: c, text: conditionLabel(c) })));
      const image = input("image", { type: "file", accept: IMAGE_TYPES.join(",") });
      const formError = el("p", { class: "form-error", role: "alert", "data-testid": "product-form-error" });
      const form = el("form", { class: "panel product-form", "data-testid": "product-form", novalidate: true },
        el("h3", { text: t("vendorOffers.addTitle") }),
        el("fieldset", {}, el("legend", { text: t("vendorOffers.theProduct") }),
          fieldWithError(input("title", { autocomplete: "off" }), t("vendorOffers.title"), { hint: t("vendorOffers.titleHint") }),
          fieldWithError(input("brand", { autocomplete: "off" }), t("vendorOffers.brand")),
          fieldWithError(categorySelect, t("vendorOffers.category")),
          fieldWithError(input("gtin", { inputmode: "numeric", autocomplete: "off" }), "GTIN / EAN (optional)", { hint: "8, 12, 13 or 14 digits: a known GTIN adds your offer to the existing product." }),
          fieldWithError(el("textarea", { name: "attributes", id: uniqueId("f-attributes"), rows: 3, "data-testid": "input-attributes" }), t("vendorOffers.attributes"),
            { hint: t("vendorOffers.attributesHint") }),
          fieldWithError(el("textarea", { name: "description", id: uniqueId("f-description"), rows: 3, "data-testid": "input-description" }), t("vendorOffers.description")),
          fieldWithError(image, t("vendorOffers.image"), { hint: t("vendorOffers.imageHint") })),
        el("fieldset", {}, el("legend", { text: t("vendorOffers.yourOffer") }), fieldWithError(condition, t("vendorOffers.condition")), offerInputs(null)),
        formError,
        el("div", { class: "form-actions" },
          el("button", { type: "submit", class: "button", "data-testid": "product-save" }, t("vendorOffers.addBoth")),
          el("button", { type: "button", class: "button button-quiet", onclick: close }, t("vendorOffers.cancel"))));
      form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
      return form;

      function close() { mount(creator); addButton.hidden = false; }

      function attributes() {
        const out = {};
        for (const line of form.elements.attributes.value.split("\n")) {
          const at = line.indexOf(":");
          if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
        }
        return out;
      }

      async function submit() {
        clearFieldErrors(form);
        formError.textContent = "";
        const terms = offerTerms(form, condition.value);
        if (terms.errors) return showFieldErrors(form, terms.errors, formError, t("vendorOffers.correct"));
        const button = form.querySelector("[type=submit]");
        button.disabled = true;
        try {
          const product = await vendorApi.createProduct({
            title: form.elements.title.value, brand: form.elements.brand.value, category: categorySelect.value,
            description: form.elements.description.value, attributes: attributes(),
            ...(form.elements.gtin.value.trim() ? { gtin: form.elements.gtin.value.trim() } : {}),
          });
          const offer = await vendorApi.putOffer(product.product_id, terms.body);
          if (image.files.length) {
            try {
              await uploadImage(product.product_id, image.files[0]);
            } catch (err) {
              showFieldErrors(form, { image: err.message }, formError, t("vendorOffers.imageNotSaved"));
              body.prepend(row(offer));
              count();
              return;
            }
          }
          close();
          body.querySelector(`tr[data-offer-id="${CSS.escape(offer.offer_id)}"]`)?.remove();
          body.prepend(row(offer));
          count();
          status.textContent = `${status.textContent} ${t("vendorOffers.onSale", { title: product.title })}`;
        } catch (err) {
          sessionOr(err, formError);
          showFieldErrors(form, inputFields(err.fields), formError, err.message);
        } finally {
          button.disabled = false;
        }
      }
    }
  },
};
