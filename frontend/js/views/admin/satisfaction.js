// Admin space: "Satisfaction". Survey answers across the marketplace, vendors least satisfying first, or
// one vendor (GET /admin/satisfaction?vendor_id=&weeks=). Charts and tables: ../satisfaction-charts.js.

import { ApiError } from "../../api.js";
import { el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";
import { fetchSatisfaction, renderSatisfaction, weeksPicker } from "../satisfaction-charts.js";

export const satisfactionSection = {
  id: "satisfaction",
  label: "Satisfaction",
  render(panel) {
    let controller = new AbortController();
    const weeks = weeksPicker("admin-satisfaction-weeks", 12);
    const vendor = el("select", { id: "admin-satisfaction-vendor", name: "vendor_id", "data-testid": "satisfaction-vendor" },
      el("option", { value: "", text: "Every vendor" }));
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "satisfaction-status" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "satisfaction-error" });
    const report = el("div", { "data-testid": "satisfaction" });
    mount(panel,
      el("h2", { text: "Satisfaction" }),
      el("p", { class: "field-hint", text: "Survey answers a few days after delivery: CSAT (1 to 5) for the order, the vendor and the delivery, and the platform's NPS (0 to 10)." }),
      el("div", { class: "returns-period" },
        el("div", { class: "field" }, el("label", { for: "admin-satisfaction-weeks", text: "Period" }), weeks),
        el("div", { class: "field" }, el("label", { for: "admin-satisfaction-vendor", text: "Vendor" }), vendor)),
      status, error, report);
    weeks.addEventListener("change", () => load());
    vendor.addEventListener("change", () => load());
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      controller.abort();
      controller = new AbortController();
      error.textContent = "";
      status.textContent = "Loading…";
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
        if (err instanceof ApiError && err.status === 401) mount(error, "Your session ended. ", el("a", { href: signInHref(), text: "Sign in again" }));
        else error.textContent = err.message;
      }
    }
  },
};
