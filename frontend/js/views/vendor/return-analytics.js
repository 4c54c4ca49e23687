// Vendor space: t("returnAnalytics.title"). Why the vendor's goods come back: return rate, reasons, refunds and
// time to resolve over the last weeks, week by week and per product (GET /vendor/analytics/returns).
// Charts and tables come from ../return-analytics-charts.js, shared with the admin's "Analytics".

import { ApiError } from "../../api.js";
import { el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";
import { fetchReturnAnalytics, renderReport, weeksPicker } from "../return-analytics-charts.js";
import { t } from "../../i18n.js";

export const returnAnalyticsSection = {
  id: "return-analytics",
  label: t("returnAnalytics.title"),
  render(panel) {
    let controller = new AbortController();
    const weeks = weeksPicker("vendor-returns-weeks", 12);
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "returns-analytics-status" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "returns-analytics-error" });
    const report = el("div", { "data-testid": "returns-analytics" });
    mount(panel,
      el("h2", { text: t("returnAnalytics.title") }),
      el("p", { class: "field-hint", text: t("returnAnalytics.hint") }),
      el("div", { class: "field returns-period" }, el("label", { for: "vendor-returns-weeks", text: t("returnAnalytics.period") }), weeks),
      status, error, report);
    weeks.addEventListener("change", () => load());
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      controller.abort();
      controller = new AbortController();
      error.textContent = "";
      status.textContent = t("returnAnalytics.loading");
      try {
        const answer = await fetchReturnAnalytics("vendor", { weeks: weeks.value }, controller.signal);
        status.textContent = "";
        renderReport(report, answer);
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else error.textContent = err.message;
      }
    }
  },
};
