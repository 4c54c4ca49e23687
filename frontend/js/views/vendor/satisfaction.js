// Vendor space: t("satisfaction.title"). What shoppers said in the surveys sent after delivery: response rate,
// CSAT for the order, the vendor and the delivery, the platform's NPS, week by week and per product
// (GET /vendor/satisfaction). Charts and tables: ../satisfaction-charts.js, shared with the admin's.

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
    const weeks = weeksPicker("vendor-satisfaction-weeks", 12);
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "satisfaction-status" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "satisfaction-error" });
    const report = el("div", { "data-testid": "satisfaction" });
    mount(panel,
      el("h2", { text: t("satisfaction.title") }),
      el("p", { class: "field-hint", text: t("satisfaction.vendorHint") }),
      el("div", { class: "field returns-period" }, el("label", { for: "vendor-satisfaction-weeks", text: t("satisfaction.period") }), weeks),
      status, error, report);
    weeks.addEventListener("change", () => load());
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      controller.abort();
      controller = new AbortController();
      error.textContent = "";
      status.textContent = t("satisfaction.loading");
      try {
        const answer = await fetchSatisfaction("vendor", { weeks: weeks.value }, controller.signal);
        status.textContent = "";
        renderSatisfaction(report, answer);
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else error.textContent = err.message;
      }
    }
  },
};
