// Vendor space: "Returns analytics". Why the vendor's goods come back: return rate, reasons, refunds and
// time to resolve over the last weeks, week by week and per product (GET /vendor/analytics/returns).
// Charts and tables come from ../return-analytics-charts.js, shared with the admin's "Analytics".

import { ApiError } from "../../api.js";
import { el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";
import { fetchReturnAnalytics, renderReport, weeksPicker } from "../return-analytics-charts.js";

export const returnAnalyticsSection = {
  id: "return-analytics",
  label: "Returns analytics",
  render(panel) {
    let controller = new AbortController();
    const weeks = weeksPicker("vendor-returns-weeks", 12);
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "returns-analytics-status" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "returns-analytics-error" });
    const report = el("div", { "data-testid": "returns-analytics" });
    mount(panel,
      el("h2", { text: "Returns analytics" }),
      el("p", { class: "field-hint", text: "Units returned out of units sold in the same weeks, why they came back, what was refunded and how long returns took to settle. A return counts in the week it was asked for; rejected ones are not counted as returned." }),
      el("div", { class: "field returns-period" }, el("label", { for: "vendor-returns-weeks", text: "Period" }), weeks),
      status, error, report);
    weeks.addEventListener("change", () => load());
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      controller.abort();
      controller = new AbortController();
      error.textContent = "";
      status.textContent = "Loading…";
      try {
        const answer = await fetchReturnAnalytics("vendor", { weeks: weeks.value }, controller.signal);
        status.textContent = "";
        renderReport(report, answer);
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, "Your session ended. ", el("a", { href: signInHref(), text: "Sign in again" }));
        else error.textContent = err.message;
      }
    }
  },
};
