// Admin space: the vendor ledger reconciled with the payment provider's transfers, reversals and refunds.
// Every difference is listed for an operator to look at; nothing is fixed automatically.

import { ApiError, request } from "../../api.js";
import { el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";
import { t } from "../../i18n.js";

const PROBLEMS = {
  missing_at_provider: t("reconciliation.missing"),
  amount_differs: t("reconciliation.amount"),
  currency_differs: t("reconciliation.currency"),
  destination_differs: t("reconciliation.destination"),
  reversed_amount_differs: t("reconciliation.reversed"),
  refund_not_made: t("reconciliation.refundNotMade"),
};

export const reconciliationSection = {
  id: "reconciliation",
  label: "Reconciliation",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "reconciliation-status" });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "reconciliation-error" });
    const result = el("div", { "data-testid": "reconciliation-result" });
    const run = el("button", { type: "button", class: "button", "data-testid": "reconciliation-run" }, t("reconciliation.checkAgain"));
    mount(panel, el("h2", { text: t("reconciliation.title") }),
      el("p", { class: "field-hint", text: t("reconciliation.hint") }),
      run, status, error, result);
    run.addEventListener("click", () => check());
    check();
    return { cleanup: () => controller.abort() };

    async function check() {
      run.disabled = true;
      error.textContent = "";
      status.textContent = t("reconciliation.checking");
      try {
        const answer = await request("GET", "/admin/reconciliation", { auth: true, signal: controller.signal });
        const checked = answer.checked;
        status.textContent = answer.reconciled
          ? t("reconciliation.ok", { transfers: checked.transfers, refunds: checked.refunds, vendors: checked.vendors })
          : `${answer.mismatches.length} mismatch${answer.mismatches.length === 1 ? "" : "es"} found.`;
        mount(result, answer.mismatches.length ? el("div", { class: "table-scroll" }, el("table", { class: "data-table", "data-testid": "mismatches" },
          el("thead", {}, el("tr", {}, [t("reconciliation.problem"), t("reconciliation.vendor"), t("reconciliation.order"), t("reconciliation.object"), t("reconciliation.ledger"), t("reconciliation.provider")].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, answer.mismatches.map((m) => el("tr", { "data-testid": "mismatch" },
            el("th", { scope: "row", text: PROBLEMS[m.problem] || m.problem }),
            el("td", { text: m.vendor_id }), el("td", { text: m.order_id }), el("td", { text: m.provider_object_id || "" }),
            el("td", { class: "num", text: m.ledger_amount === null ? "" : String(m.ledger_amount) }),
            el("td", { class: "num", text: m.provider_amount === null ? "" : String(m.provider_amount) })))))) : null);
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else error.textContent = err.message;
      } finally {
        run.disabled = false;
      }
    }
  },
};
