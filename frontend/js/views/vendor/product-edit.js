// Vendor space, Offers section: the edit form of a product the vendor proposed (title, brand,
// category, attributes, description; its id and GTIN never change). The API is
// PUT /vendor/products/{id}: the same presentation rules as proposing it, every wrong field named,
// 409 `product_changed` when another request edited it since it was read (reload and edit again).

import { ApiError, request } from "../../api.js";
import { loadCategories } from "../../categories.js";
import { el, uniqueId } from "../../dom.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { t } from "../../i18n.js";

const enc = encodeURIComponent;
const readProduct = (productId) => request("GET", `/catalog/products/${enc(productId)}`);
const saveProduct = (productId, body) => request("PUT", `/vendor/products/${enc(productId)}`, { auth: true, body });

function attributesText(attributes) {
  return Object.entries(attributes || {}).map(([name, value]) => `${name}: ${value}`).join("\n");
}

function parseAttributes(text) {
  const out = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

/** The API's field names as the form's inputs are named (`attributes.model` -> `attributes`). */
function formFields(fields) {
  const out = {};
  for (const [key, text] of Object.entries(fields || {})) {
    const name = key.replace(/^body\./, "").replace(/^attributes\..*/, "attributes");
    const message = key.startsWith("attributes.") ? `${key.slice(11)}: ${text}` : text;
    out[name] = out[name] ? `${out[name]} ${message}` : message;
  }
  return out;
}

/**
 * A form editing product `productId`, loaded from the catalogue; `onSaved(product)` after a save,
 * `onClose()` on Cancel. Returns the form element.
 */
export function productEditForm(productId, { onSaved, onClose }) {
  const field = (name, attrs = {}) => el("input", { name, id: uniqueId(`pe-${name}`), "data-testid": `product-edit-${name}`, autocomplete: "off", ...attrs });
  const title = field("title");
  const brand = field("brand");
  const category = el("select", { name: "category", id: uniqueId("pe-category"), "data-testid": "product-edit-category" });
  const attributes = el("textarea", { name: "attributes", id: uniqueId("pe-attributes"), rows: 3, "data-testid": "product-edit-attributes" });
  const description = el("textarea", { name: "description", id: uniqueId("pe-description"), rows: 4, "data-testid": "product-edit-description" });
  const formError = el("p", { class: "form-error", role: "alert", "data-testid": "product-edit-error" });
  const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "product-edit-status", text: t("productEdit.loading") });
  const save = el("button", { type: "submit", class: "button", disabled: true, "data-testid": "product-edit-save" }, t("productEdit.save"));
  const form = el("form", { class: "panel product-form", novalidate: true, "data-testid": "product-edit-form" },
    el("h3", { text: t("productEdit.title") }),
    status,
    fieldWithError(title, t("vendorOffers.title"), { hint: t("vendorOffers.titleHint") }),
    fieldWithError(brand, t("vendorOffers.brand")),
    fieldWithError(category, t("vendorOffers.category")),
    fieldWithError(attributes, t("vendorOffers.attributes"), { hint: t("vendorOffers.attributesHint") }),
    fieldWithError(description, t("vendorOffers.description")),
    formError,
    el("div", { class: "form-actions" }, save,
      el("button", { type: "button", class: "button button-quiet", "data-testid": "product-edit-cancel", onclick: () => onClose() }, t("productEdit.cancel"))));
  let images = [];
  form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  fill();
  return form;

  async function fill() {
    try {
      const [categories, page] = await Promise.all([loadCategories(), readProduct(productId)]);
      const product = page.product;
      category.replaceChildren(...categories.map((c) => el("option", { value: c.slug, text: c.name })));
      title.value = product.title;
      brand.value = product.brand;
      category.value = product.category;
      attributes.value = attributesText(product.attributes);
      description.value = product.description || "";
      images = product.images || []; // kept as they are: images are added from the offer row
      status.textContent = product.gtin ? `GTIN ${product.gtin} (it cannot change).` : "";
      save.disabled = false;
      title.focus();
    } catch (err) {
      status.textContent = "";
      formError.textContent = err.message;
    }
  }

  async function submit() {
    clearFieldErrors(form);
    formError.textContent = "";
    save.disabled = true;
    try {
      const product = await saveProduct(productId, {
        title: title.value, brand: brand.value, category: category.value, description: description.value,
        attributes: parseAttributes(attributes.value), images,
      });
      onSaved(product);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        formError.textContent = `${err.message} ${t("productEdit.reloaded")}`;
        await fill();
      } else if (err instanceof ApiError && Object.keys(err.fields || {}).length) {
        showFieldErrors(form, formFields(err.fields), formError, err.message);
      } else {
        formError.textContent = err.message;
      }
    } finally {
      save.disabled = false;
    }
  }
}
