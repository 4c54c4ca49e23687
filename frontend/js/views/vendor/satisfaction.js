// Vendor space: "Satisfaction". What shoppers said in the surveys sent after delivery: response rate,
// CSAT for the order, the vendor and the delivery, the platform's NPS, week by week and per product
// (GET /vendor/satisfaction). Charts and tables: ../satisfaction-charts.js, shared with the admin's.

import { ApiError } from "../../api.js";
import { el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";
import { fetchSatisfaction, renderSatisfaction, weeksPicker } from "../satisfaction-charts.js";

export const satisfactionSection = {
  id: "satisfaction",
  label: "Satisfaction",
  render(panel) {
    let controller = new AbortController();
    const weeks = weeksPicker("vendor-satisfaction-weeks", 12);
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "satisfaction-status" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "satisfaction-error" });
    const report = el("div", { "data-testid": "satisfaction" });
    mount(panel,
      el("h2", { text: "Satisfaction" }),
      el("p", { class: "field-hint", text: "Shoppers who agreed to surveys are asked a few days after delivery how the order, your shop and the delivery went (1 to 5). A score of 2 or less opens a claim for you to follow up." }),
      el("div", { class: "field returns-period" }, el("label", { for: "vendor-satisfaction-weeks", text: "Period" }), weeks),
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
        const answer = await fetchSatisfaction("vendor", { weeks: weeks.value }, controller.signal);
        status.textContent = "";
        renderSatisfaction(report, answer);
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, "Your session ended. ", el("a", { href: signInHref(), text: "Sign in again" }));
        else error.textContent = err.message;
      }
    }
  },
};
