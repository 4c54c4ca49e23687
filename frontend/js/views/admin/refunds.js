// Admin space: refunds that could not complete. A case refund (a return, a claim) the provider refused or
// that failed after it was made, a transfer reversal the provider refused, and a top-up (the vendor's money
// given back after a refund failed) the provider refused, oldest first. Retry one (a new attempt, so the
// provider does not just replay its refusal) or record that it was settled outside the platform with a
// note. Nothing here is ever left half-done silently.

import { ApiError, queryString, request } from "../../api.js";
import { announce, el, mount } from "../../dom.js";
import { formatMoney } from "../../money.js";
import { signInHref } from "../guard.js";
import { t } from "../../i18n.js";

const listFailed = (cursor, signal) =>
  request("GET", `/admin/refunds${queryString({ status: "failed", limit: 50, cursor })}`, { auth: true, signal });
const retryRefund = (item) =>
  request("POST", `/admin/refunds/${encodeURIComponent(item.order_id)}/${encodeURIComponent(item.case_id)}/retry`, { auth: true });
const resolveRefund = (item, note, borne_by) =>
  request("POST", `/admin/refunds/${encodeURIComponent(item.order_id)}/${encodeURIComponent(item.case_id)}/resolve`, { auth: true, body: { note, borne_by } });
const resolveReversal = (item, note, borne_by) =>
  request("POST", `/admin/reversals/${encodeURIComponent(item.order_id)}/${encodeURIComponent(item.vendor_id)}/resolve`, { auth: true, body: { note, borne_by } });
const retryReversal = (item) =>
  request("POST", `/admin/reversals/${encodeURIComponent(item.order_id)}/${encodeURIComponent(item.vendor_id)}/retry`, { auth: true });
const retryTopUp = (item) =>
  request("POST", `/admin/top-ups/${encodeURIComponent(item.order_id)}/${encodeURIComponent(item.vendor_id)}/retry`, { auth: true });
const resolveTopUp = (item, note) =>
  request("POST", `/admin/top-ups/${encodeURIComponent(item.order_id)}/${encodeURIComponent(item.vendor_id)}/resolve`, { auth: true, body: { note } });

const KINDS = { refund: t("refunds.toShopper"), reversal: t("refunds.fromVendor"), top_up: t("refunds.toVendor") };
const RETRY = { refund: retryRefund, reversal: retryReversal, top_up: retryTopUp };
const RESOLVE = { refund: resolveRefund, reversal: resolveReversal, top_up: resolveTopUp };

/** Whether the answer to a retry or a resolve leaves nothing waiting, and what to announce. */
function outcome(item, answer) {
  if (item.kind === "refund") {
    return { settled: answer.status !== "failed", words: answer.status === "resolved" ? t("refunds.settledElsewhere") : t("refunds.made") };
  }
  if (item.kind === "top_up") {
    return { settled: answer.still_owed.amount === 0, words: answer.settled_outside ? t("refunds.topUpSettledElsewhere") : t("refunds.topUpMade") };
  }
  return { settled: answer.still_due.amount === 0, words: answer.settled_outside ? t("refunds.reversalSettledElsewhere") : t("refunds.reversalMade") };
}

/** "expired_or_canceled_card" -> "Expired or canceled card". */
function reasonWords(code) {
  const words = String(code || "unknown").replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const refundsSection = {
  id: "refunds",
  label: "Refunds",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "refunds-status", text: t("refunds.loading") });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "refunds-error" });
    const body = el("tbody", { "data-testid": "refunds-rows" });
    const table = el("div", { class: "table-scroll" }, el("table", { class: "data-table", "data-testid": "refunds-table" },
      el("thead", {}, el("tr", {}, [t("refunds.what"), t("refunds.order"), t("refunds.vendor"), t("refunds.case"), t("refunds.amount"), t("refunds.why"), t("refunds.since"), ""].map((h) => el("th", { scope: "col", text: h })))),
      body));
    const more = el("button", { type: "button", class: "button button-quiet", "data-testid": "refunds-more", hidden: true }, t("refunds.showMore"));
    let cursor = null;
    mount(panel, el("h2", { text: t("refunds.title") }),
      el("p", { class: "field-hint", text: t("refunds.hint") }),
      status, error, table, more);
    more.addEventListener("click", () => load());
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      more.disabled = true;
      try {
        const page = await listFailed(cursor, controller.signal);
        cursor = page.next_cursor;
        body.append(...page.items.map(row));
        more.hidden = !cursor;
        summarise();
      } catch (err) {
        if (err.name === "AbortError") return;
        failed(err);
      } finally {
        more.disabled = false;
      }
    }

    function summarise() {
      const count = body.querySelectorAll("tr").length;
      table.hidden = count === 0;
      status.textContent = count ? t("refunds.waiting", { count }) : t("refunds.nothing");
    }

    function failed(err) {
      status.textContent = "";
      if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else error.textContent = err.message;
    }

    function row(item) {
      const actions = el("td", { class: "refund-actions" });
      const tr = el("tr", { "data-testid": "refund-row", "data-kind": item.kind, "data-case-id": item.case_id || "" },
        el("th", { scope: "row", text: KINDS[item.kind] || item.kind }),
        el("td", { text: item.order_number || item.order_id }),
        el("td", { text: item.vendor_name || item.vendor_id }),
        el("td", { text: item.case_id || "—" }),
        el("td", { class: "num", "data-testid": "refund-amount", text: formatMoney(item.amount) }),
        el("td", { "data-testid": "refund-reason", text: reasonWords(item.failure_code) + (item.attempts > 1 ? ` (${item.attempts} attempts)` : "") }),
        el("td", { text: String(item.failed_at || "").replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC") }),
        actions);
      fillActions(tr, item, actions);
      return tr;
    }

    function fillActions(tr, item, actions) {
      if (item.actions.includes("retry")) {
        mount(actions, button(t("refunds.retry"), "refund-retry", () => act(tr, actions, () => RETRY[item.kind](item), item)));
      } else {
        mount(actions);
      }
      if (item.actions.includes("resolve")) actions.append(button(t("refunds.elsewhere"), "refund-resolve", () => askNote(tr, item, actions)));
    }

    function askNote(tr, item, actions) {
      const input = el("input", { name: "note", required: true, minlength: "3", maxlength: "1000",
        "aria-label": t("refunds.how"), placeholder: t("refunds.howPlaceholder"), "data-testid": "refund-resolve-note" });
      // Who pays for it: a refund borne by the vendor is charged to its ledger; a reversal it paid back
      // another way, or one the platform writes off, is no longer asked of the provider. A top-up settled
      // elsewhere was paid to the vendor by Halles: nobody else to name.
      const bearer = item.kind === "top_up" ? null : el("select", { name: "borne_by", "aria-label": t("refunds.whoBears"), "data-testid": "refund-resolve-borne-by" },
        el("option", { value: "platform", text: t("refunds.borneByHalles") }),
        el("option", { value: "vendor", text: item.kind === "refund" ? t("refunds.chargedToVendor") : t("refunds.paidBackByVendor") }));
      const confirm = button(t("refunds.markResolved"), "refund-resolve-confirm", () => {
        if (input.value.trim().length < 3) { error.textContent = t("refunds.sayHow"); input.focus(); return; }
        act(tr, actions, () => RESOLVE[item.kind](item, input.value.trim(), bearer?.value), item);
      });
      const cancel = button(t("refunds.cancel"), "refund-resolve-cancel", () => fillActions(tr, item, actions));
      mount(actions, input, bearer, confirm, cancel);
      input.focus();
    }

    async function act(tr, actions, call, item) {
      error.textContent = "";
      for (const b of actions.querySelectorAll("button, input")) b.disabled = true;
      try {
        const answer = await call();
        const { settled, words } = outcome(item, answer);
        if (settled) {
          tr.remove();
          announce(words);
          summarise();
        } else {
          for (const b of actions.querySelectorAll("button, input")) b.disabled = false;
          error.textContent = t("refunds.stillRefused", { reason: reasonWords(answer.failure_code) });
        }
      } catch (err) {
        for (const b of actions.querySelectorAll("button, input")) b.disabled = false;
        if (err instanceof ApiError && err.status === 401) failed(err);
        else error.textContent = err.message;
      }
    }

    function button(label, testid, onClick) {
      const node = el("button", { type: "button", class: "button button-small", "data-testid": testid }, label);
      node.addEventListener("click", onClick);
      return node;
    }
  },
};
