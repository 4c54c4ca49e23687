// Admin space: t("satisfaction.title"). Survey answers across the marketplace, vendors least satisfying first, or
// one vendor (GET /admin/satisfaction?vendor_id=&weeks=). Charts and tables: ../satisfaction-charts.js.

import { ApiError } from "../../api.js";
import { el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";
import { fetchSatisfaction, renderSatisfaction, weeksPicker } from "../satisfaction-charts.js";
import { t } from "../../i18n.js";

export const satisfactionSection = {
  id: "satisfaction",
  label: t("satisfaction.title"),
  render(panel) {
    let controller = new AbortController();
    const weeks = weeksPicker("admin-satisfaction-weeks", 12);
    const vendor = el("select", { id: "admin-satisfaction-vendor", name: "vendor_id", "data-testid": "satisfaction-vendor" },
      el("option", { value: "", text: t("satisfaction.everyVendor") }));
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "satisfaction-status" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "satisfaction-error" });
    const report = el("div", { "data-testid": "satisfaction" });
    mount(panel,
      el("h2", { text: t("satisfaction.title") }),
      el("p", { class: "field-hint", text: t("satisfaction.adminHint") }),
      el("div", { class: "returns-period" },
        el("div", { class: "field" }, el("label", { for: "admin-satisfaction-weeks", text: t("satisfaction.period") }), weeks),
        el("div", { class: "field" }, el("label", { for: "admin-satisfaction-vendor", text: t("satisfaction.vendor") }), vendor)),
      status, error, report);
    weeks.addEventListener("change", () => load());
    vendor.addEventListener("change", () => load());
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      controller.abort();
      controller = new AbortController();
      error.textContent = "";
      status.textContent = t("satisfaction.loading");
      try {
        const answer = await fetchSatisfaction("admin", { weeks: weeks.value, vendor_id: vendor.value || undefined }, controller.signal);
        status.textContent = "";
        if (!vendor.value) {
          const known = new Set([...vendor.options].map((o) => o.value));
          for (const v of answer.vendors) if (!known.has(v.vendor_id)) vendor.append(el("option", { value: v.vendor_id, text: v.vendor_name || v.vendor_id }));
        }
        renderSatisfaction(report, answer, { withVendors: !vendor.value });
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else error.textContent = err.message;
      }
    }
  },
};
