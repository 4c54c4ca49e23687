// Admin space: "Analytics". Returns across the marketplace: every vendor ranked by return rate, the
// products returned most, reasons, refunds and time to resolve; narrowed to one vendor on demand
// (GET /admin/analytics/returns?vendor_id=&weeks=). Charts and tables: ../return-analytics-charts.js.

import { ApiError } from "../../api.js";
import { el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";
import { fetchReturnAnalytics, percent, renderReport, weeksPicker } from "../return-analytics-charts.js";
import { t } from "../../i18n.js";

export const analyticsSection = {
  id: "analytics",
  label: "Analytics",
  render(panel) {
    let controller = new AbortController();
    const weeks = weeksPicker("admin-returns-weeks", 12);
    const vendor = el("select", { id: "admin-returns-vendor", name: "vendor_id", "data-testid": "returns-vendor" },
      el("option", { value: "", text: t("adminAnalytics.everyVendor") }));
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "returns-analytics-status" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "returns-analytics-error" });
    const vendorsBox = el("div", { "data-testid": "returns-vendors" });
    const report = el("div", { "data-testid": "returns-analytics" });
    mount(panel,
      el("h2", { text: t("adminAnalytics.title") }),
      el("p", { class: "field-hint", text: t("adminAnalytics.hint") }),
      el("div", { class: "returns-period" },
        el("div", { class: "field" }, el("label", { for: "admin-returns-weeks", text: t("adminAnalytics.period") }), weeks),
        el("div", { class: "field" }, el("label", { for: "admin-returns-vendor", text: t("adminAnalytics.vendor") }), vendor)),
      status, error,
      el("h3", { text: t("adminAnalytics.byRate") }), vendorsBox,
      report);
    weeks.addEventListener("change", () => load());
    vendor.addEventListener("change", () => load());
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      controller.abort();
      controller = new AbortController();
      error.textContent = "";
      status.textContent = t("adminAnalytics.loading");
      try {
        const answer = await fetchReturnAnalytics("admin", { weeks: weeks.value, vendor_id: vendor.value || undefined }, controller.signal);
        status.textContent = "";
        if (!vendor.value) offerVendors(answer.vendors);
        renderVendors(answer.vendors);
        renderReport(report, answer, { withVendor: !vendor.value });
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else error.textContent = err.message;
      }
    }

    function offerVendors(vendors) {
      const known = new Set([...vendor.options].map((o) => o.value));
      for (const v of vendors) if (!known.has(v.vendor_id)) vendor.append(el("option", { value: v.vendor_id, text: v.vendor_name || v.vendor_id }));
    }

    function renderVendors(vendors) {
      mount(vendorsBox, vendors.length
        ? el("div", { class: "table-scroll" }, el("table", { class: "data-table", "data-testid": "returns-vendors-table" },
          el("caption", { class: "visually-hidden", text: t("adminAnalytics.byRate") }),
          el("thead", {}, el("tr", {}, [t("adminAnalytics.vendor"), t("adminAnalytics.sold"), t("adminAnalytics.returned"), t("adminAnalytics.rate"), t("adminAnalytics.rejected")].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, vendors.map((v) => el("tr", { "data-vendor": v.vendor_id },
            el("th", { scope: "row", text: v.vendor_name || v.vendor_id }),
            el("td", { class: "num", text: String(v.units_sold) }),
            el("td", { class: "num", text: String(v.units_returned) }),
            el("td", { class: "num", text: percent(v.return_rate) }),
            el("td", { class: "num", text: String(v.rejected) }))))))
        : el("p", { class: "result-status", text: t("adminAnalytics.noSales") }));
    }
  },
};
