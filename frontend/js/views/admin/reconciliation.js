// Admin space: the vendor ledger reconciled with the payment provider's transfers, reversals and refunds.
// Every difference is listed for an operator to look at; nothing is fixed automatically.

import { ApiError, request } from "../../api.js";
import { el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";

const PROBLEMS = {
  missing_at_provider: "Missing at the provider",
  amount_differs: "Amount differs",
  currency_differs: "Currency differs",
  destination_differs: "Paid to another account",
  reversed_amount_differs: "Reversed amount differs",
  refund_not_made: "Refund failed or cancelled",
};

export const reconciliationSection = {
  id: "reconciliation",
  label: "Reconciliation",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "reconciliation-status" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "reconciliation-error" });
    const result = el("div", { "data-testid": "reconciliation-result" });
    const run = el("button", { type: "button", class: "button", "data-testid": "reconciliation-run" }, "Check again");
    mount(panel, el("h2", { text: "Ledger reconciliation" }),
      el("p", { class: "field-hint", text: "Every transfer, transfer reversal and refund in the vendors' ledgers, compared with the payment provider's own records." }),
      run, status, error, result);
    run.addEventListener("click", () => check());
    check();
    return { cleanup: () => controller.abort() };

    async function check() {
      run.disabled = true;
      error.textContent = "";
      status.textContent = "Checking…";
      try {
        const answer = await request("GET", "/admin/reconciliation", { auth: true, signal: controller.signal });
        const checked = answer.checked;
        status.textContent = answer.reconciled
          ? `Reconciled: ${checked.transfers} transfers and ${checked.refunds} refunds of ${checked.vendors} vendors match the provider.`
          : `${answer.mismatches.length} mismatch${answer.mismatches.length === 1 ? "" : "es"} found.`;
        mount(result, answer.mismatches.length ? el("div", { class: "table-scroll" }, el("table", { class: "data-table", "data-testid": "mismatches" },
          el("thead", {}, el("tr", {}, ["Problem", "Vendor", "Order", "Provider object", "Ledger", "Provider"].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, answer.mismatches.map((m) => el("tr", { "data-testid": "mismatch" },
            el("th", { scope: "row", text: PROBLEMS[m.problem] || m.problem }),
            el("td", { text: m.vendor_id }), el("td", { text: m.order_id }), el("td", { text: m.provider_object_id || "" }),
            el("td", { class: "num", text: m.ledger_amount === null ? "" : String(m.ledger_amount) }),
            el("td", { class: "num", text: m.provider_amount === null ? "" : String(m.provider_amount) })))))) : null);
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, "Your session ended. ", el("a", { href: signInHref(), text: "Sign in again" }));
        else error.textContent = err.message;
      } finally {
        run.disabled = false;
      }
    }
  },
};
