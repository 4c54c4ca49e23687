// Admin space: the commission rules. A platform default, a rate per category and per-vendor overrides
// (the most specific wins), entered as percentages and sent as basis points. Orders already placed keep the
// rate frozen at their checkout; the page says so.

import { ApiError, request } from "../../api.js";
import { el, mount } from "../../dom.js";
import { loadCategories } from "../../categories.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { signInHref } from "../guard.js";
import { formatDateTime, t } from "../../i18n.js";

const MAX_BPS = 5000; // the API refuses more (chalicelib/domain/commissions.py)
const fetchRules = (signal) => request("GET", "/admin/commissions", { auth: true, signal });
const saveRules = (body) => request("PUT", "/admin/commissions", { auth: true, body });

/** "12.5" -> 1250 basis points; "" -> null; anything else -> NaN. */
export function percentToBps(text) {
  const value = String(text || "").trim().replace(",", ".").replace(/%$/, "").trim();
  if (value === "") return null;
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(value)) return Number.NaN;
  const [whole, fraction = ""] = value.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

function bpsToPercent(bps) {
  if (bps === null || bps === undefined) return "";
  return (bps / 100).toFixed(2).replace(/\.?0+$/, "");
}

export const commissionsSection = {
  id: "commissions",
  label: "Commissions",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "commissions-status", text: t("commissions.loading") });
    const formError = el("p", { class: "form-error", role: "alert", "data-testid": "commissions-error" });
    mount(panel, el("h2", { text: t("commissions.title") }),
      el("p", { class: "field-hint", text: t("commissions.hint") }),
      status, formError);
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      try {
        const [rules, categories] = await Promise.all([fetchRules(controller.signal), loadCategories().catch(() => [])]);
        status.textContent = rules.version ? t("commissions.lastSaved", { date: formatDateTime(rules.updated_at) }) : t("commissions.default");
        renderForm(rules, categories);
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(formError, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else formError.textContent = err.message;
      }
    }

    function renderForm(rules, categories) {
      let version = rules.version;
      const slugs = [...new Set([...categories.map((c) => c.slug), ...Object.keys(rules.categories)])];
      const nameOf = Object.fromEntries(categories.map((c) => [c.slug, c.name]));
      const percentInput = (name, bps, label) => el("input", {
        name, type: "text", inputmode: "decimal", autocomplete: "off", value: bpsToPercent(bps), "aria-label": label, class: "percent-input",
        "data-testid": `rate-${name}` });
      const defaultInput = percentInput("default_bps", rules.default_bps, t("commissions.defaultLabel"));
      defaultInput.required = true;
      const categoryRows = slugs.map((slug) => el("tr", {},
        el("th", { scope: "row", text: nameOf[slug] || slug }),
        el("td", {}, percentInput(`categories.${slug}`, rules.categories[slug], `${nameOf[slug] || slug} commission (%)`),
          el("p", { class: "field-error", "data-field": `categories.${slug}` }))));
      const vendorBody = el("tbody", { "data-testid": "vendor-overrides" });
      const addVendorRow = (vendorId = "", bps = null) => {
        const row = el("tr", { "data-testid": "vendor-override" });
        const idInput = el("input", { name: "vendor_id", type: "text", autocomplete: "off", value: vendorId, "aria-label": t("commissions.vendorId"), "data-testid": "override-vendor" });
        const rateInput = el("input", { name: "vendor_rate", type: "text", inputmode: "decimal", value: bpsToPercent(bps), "aria-label": t("commissions.vendorRate"), class: "percent-input", "data-testid": "override-rate" });
        const remove = el("button", { type: "button", class: "button button-quiet", text: t("commissions.remove") });
        remove.addEventListener("click", () => row.remove());
        row.append(el("td", {}, idInput), el("td", {}, rateInput), el("td", {}, remove));
        vendorBody.append(row);
        return idInput;
      };
      Object.entries(rules.vendors).forEach(([id, bps]) => addVendorRow(id, bps));
      const addVendor = el("button", { type: "button", class: "button button-quiet", "data-testid": "add-override" }, t("commissions.addOverride"));
      addVendor.addEventListener("click", () => addVendorRow().focus());
      const submit = el("button", { type: "submit", class: "button", "data-testid": "commissions-save" }, t("commissions.save"));
      const form = el("form", { novalidate: true, "data-testid": "commissions-form" },
        fieldWithError(defaultInput, t("commissions.defaultLabel"), { hint: t("commissions.defaultHint") }),
        el("h3", { text: t("commissions.perCategory") }),
        el("div", { class: "table-scroll" }, el("table", { class: "data-table" },
          el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("commissions.category") }), el("th", { scope: "col", text: t("commissions.emptyDefault") }))),
          el("tbody", {}, categoryRows))),
        el("h3", { text: t("commissions.perVendor") }),
        el("div", { class: "table-scroll" }, el("table", { class: "data-table" },
          el("thead", {}, el("tr", {}, [t("commissions.vendorId"), t("commissions.commission"), ""].map((h) => el("th", { scope: "col", text: h })))),
          vendorBody)),
        addVendor,
        el("p", {}, submit));
      panel.append(form);

      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        clearFieldErrors(form);
        formError.textContent = "";
        const fields = {};
        const body = { default_bps: percentToBps(defaultInput.value), categories: {}, vendors: {}, version };
        if (body.default_bps === null || Number.isNaN(body.default_bps)) fields.default_bps = t("commissions.enterPercent");
        else if (body.default_bps > MAX_BPS) fields.default_bps = t("commissions.atMost");
        for (const input of form.querySelectorAll('input[name^="categories."]')) {
          const bps = percentToBps(input.value);
          if (Number.isNaN(bps)) fields[input.name] = t("commissions.enterPercentOrEmpty");
          else if (bps > MAX_BPS) fields[input.name] = t("commissions.atMost");
          else if (bps !== null) body.categories[input.name.slice("categories.".length)] = bps;
        }
        for (const row of vendorBody.querySelectorAll("tr")) {
          const id = row.querySelector('[name="vendor_id"]').value.trim();
          const bps = percentToBps(row.querySelector('[name="vendor_rate"]').value);
          if (!id && bps === null) continue;
          if (!id || bps === null || Number.isNaN(bps)) {
            formError.textContent = t("commissions.overrideNeeds");
            return;
          }
          body.vendors[id] = bps;
        }
        if (Object.keys(fields).length) {
          showFieldErrors(form, fields, formError);
          return;
        }
        submit.disabled = true;
        try {
          const saved = await saveRules(body);
          version = saved.version;
          status.textContent = t("commissions.saved");
        } catch (err) {
          if (err instanceof ApiError && err.code === "version_conflict") formError.textContent = `${err.message}`;
          else showFieldErrors(form, err.fields || {}, formError, err.message);
        } finally {
          submit.disabled = false;
        }
      });
    }
  },
};
