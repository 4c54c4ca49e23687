// Vendor space: the vendor's money. Balance (pending, available, paid out), sales per week as a bar chart
// (inline SVG, with the same figures as a table for screen readers and keyboard users), the ledger with a
// period filter and a CSV download, and the payouts (transfers made, payouts due).

import { API_BASE, ApiError, queryString, request } from "../../api.js";
import { el, mount } from "../../dom.js";
import { formatMoney } from "../../money.js";
import { getSession } from "../../session.js";
import { signInHref } from "../guard.js";
import { t } from "../../i18n.js";

const KIND_LABELS = {
  sale: t("vendorMoney.sale"),
  commission: t("vendorMoney.commission"),
  transfer: t("vendorMoney.transfer"),
  refund: t("vendorMoney.refund"),
  transfer_reversal: t("vendorMoney.reversal"),
  dispute: t("vendorMoney.disputeLost"),
  adjustment: t("vendorMoney.adjustment"),
  payout_release: t("vendorMoney.released"),
};

const get = (path, query, signal) => request("GET", path, { auth: true, query, signal });

function money(amount, currency) {
  return formatMoney({ amount, currency });
}

function dateOf(iso) {
  return String(iso || "").slice(0, 10);
}

export const moneySection = {
  id: "money",
  label: "Money",
  render(panel) {
    const controller = new AbortController();
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "money-error" });
    const balanceBox = el("div", { class: "money-balance", "data-testid": "money-balance" }, t("vendorMoney.loadingBalance"));
    const chartBox = el("div", { class: "money-chart", "data-testid": "money-chart" });
    const payoutsBox = el("div", { "data-testid": "money-payouts" });
    const ledgerBody = el("tbody");
    const ledgerStatus = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "ledger-status" });
    const more = el("button", { type: "button", class: "button button-quiet", hidden: true, "data-testid": "ledger-more" }, t("vendorMoney.showMore"));
    const since = el("input", { type: "date", id: "ledger-since", name: "since", "data-testid": "ledger-since" });
    const until = el("input", { type: "date", id: "ledger-until", name: "until", "data-testid": "ledger-until" });
    const download = el("button", { type: "button", class: "button button-quiet", "data-testid": "ledger-csv" }, t("vendorMoney.csv"));
    const filter = el("form", { class: "ledger-filter", "aria-label": t("vendorMoney.period") },
      el("div", { class: "field" }, el("label", { for: "ledger-since", text: t("vendorMoney.from") }), since),
      el("div", { class: "field" }, el("label", { for: "ledger-until", text: t("vendorMoney.to") }), until),
      el("button", { type: "submit", class: "button" }, t("vendorMoney.show")),
      download);
    let cursor = null;

    mount(panel,
      el("h2", { text: t("vendorMoney.title") }),
      error,
      balanceBox,
      el("h3", { text: t("vendorMoney.salesPerWeek") }),
      chartBox,
      el("h3", { text: t("vendorMoney.payouts") }),
      payoutsBox,
      el("h3", { text: t("vendorMoney.ledger") }),
      el("p", { class: "field-hint", text: t("vendorMoney.ledgerHint") }),
      filter,
      ledgerStatus,
      el("div", { class: "table-scroll" },
        el("table", { class: "data-table", "data-testid": "ledger-table" },
          el("caption", { class: "visually-hidden", text: t("vendorMoney.entriesCaption") }),
          el("thead", {}, el("tr", {}, [t("vendorMoney.date"), t("vendorMoney.entry"), t("vendorMoney.order"), t("vendorMoney.reference"), t("vendorMoney.amount")].map((h) => el("th", { scope: "col", text: h })))),
          ledgerBody)),
      more);

    filter.addEventListener("submit", (event) => {
      event.preventDefault();
      ledgerBody.replaceChildren();
      cursor = null;
      loadLedger();
    });
    more.addEventListener("click", () => loadLedger());
    download.addEventListener("click", () => downloadCsv());

    loadOverview();
    loadLedger();
    return { cleanup: () => controller.abort() };

    function period() {
      return { since: since.value || undefined, until: until.value || undefined };
    }

    function fail(err) {
      if (err.name === "AbortError") return;
      if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else error.textContent = err.message;
    }

    async function loadOverview() {
      try {
        const [balance, payouts] = await Promise.all([
          get("/vendor/balance", undefined, controller.signal),
          get("/vendor/payouts", undefined, controller.signal)]);
        renderBalance(balance);
        renderChart(payouts.sales_per_week, payouts.currency);
        renderPayouts(payouts);
      } catch (err) {
        balanceBox.textContent = "";
        fail(err);
      }
    }

    async function loadLedger() {
      try {
        const page = await get("/vendor/ledger", { ...period(), cursor: cursor || undefined, limit: 50 }, controller.signal);
        ledgerBody.append(...page.items.map(ledgerRow));
        cursor = page.next_cursor;
        more.hidden = !cursor;
        const count = ledgerBody.children.length;
        ledgerStatus.textContent = count ? t("vendorMoney.entries", { count }) : t("vendorMoney.noEntries");
      } catch (err) {
        ledgerStatus.textContent = "";
        fail(err);
      }
    }

    function renderBalance(balance) {
      const card = (id, label, amount, hint) => el("div", { class: "money-card", "data-testid": `balance-${id}` },
        el("span", { class: "money-card-label", text: label }),
        el("strong", { class: "money-card-amount", text: money(amount, balance.currency) }),
        el("span", { class: "field-hint", text: hint }));
      mount(balanceBox,
        card("pending", t("vendorMoney.pending"), balance.pending, t("vendorMoney.waitingDelivery")),
        card("available", t("vendorMoney.available"), balance.available, t("vendorMoney.beingTransferred")),
        card("paid-out", t("vendorMoney.paidOut"), balance.paid_out, t("vendorMoney.transferred")),
        card("earned", t("vendorMoney.earned"), balance.earned, t("vendorMoney.earnedHint")));
    }

    function renderChart(weeks, currency) {
      const width = 560;
      const height = 180;
      const pad = 24;
      const max = Math.max(1, ...weeks.map((w) => w.sales));
      const slot = (width - pad) / Math.max(1, weeks.length);
      const ns = "http://www.w3.org/2000/svg";
      const svg = document.createElementNS(ns, "svg");
      const titleId = "sales-chart-title";
      const descId = "sales-chart-desc";
      svg.setAttribute("viewBox", `0 0 ${width} ${height + 20}`);
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-labelledby", `${titleId} ${descId}`);
      svg.setAttribute("class", "sales-chart");
      svg.setAttribute("data-testid", "sales-chart");
      const total = weeks.reduce((sum, w) => sum + w.sales, 0);
      const best = weeks.reduce((a, b) => (b.sales > a.sales ? b : a), weeks[0] || { week: "", sales: 0 });
      const title = document.createElementNS(ns, "title");
      title.id = titleId;
      title.textContent = t("vendorMoney.chartTitle", { count: weeks.length });
      const desc = document.createElementNS(ns, "desc");
      desc.id = descId;
      desc.textContent = total
        ? t("vendorMoney.chartDesc", { total: money(total, currency), week: best.week, best: money(best.sales, currency) })
        : t("vendorMoney.noSales");
      svg.append(title, desc);
      weeks.forEach((w, i) => {
        const barHeight = Math.round((w.sales / max) * (height - pad));
        const rect = document.createElementNS(ns, "rect");
        rect.setAttribute("x", String(pad + i * slot + 2));
        rect.setAttribute("y", String(height - barHeight));
        rect.setAttribute("width", String(Math.max(2, slot - 4)));
        rect.setAttribute("height", String(barHeight));
        rect.setAttribute("class", "sales-bar");
        rect.setAttribute("data-week", w.week);
        const tip = document.createElementNS(ns, "title");
        tip.textContent = t("vendorMoney.weekOfValue", { week: w.week, sales: money(w.sales, currency) });
        rect.append(tip);
        svg.append(rect);
        if (i % 2 === 0 || weeks.length <= 6) {
          const label = document.createElementNS(ns, "text");
          label.setAttribute("x", String(pad + i * slot + slot / 2));
          label.setAttribute("y", String(height + 14));
          label.setAttribute("text-anchor", "middle");
          label.setAttribute("class", "sales-label");
          label.textContent = w.week.slice(5);
          svg.append(label);
        }
      });
      const table = el("table", { class: "data-table", "data-testid": "sales-table" },
        el("caption", { text: t("vendorMoney.salesPerWeek") }),
        el("thead", {}, el("tr", {}, [t("vendorMoney.weekOf"), t("vendorMoney.sales"), t("vendorMoney.net")].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, weeks.map((w) => el("tr", {},
          el("th", { scope: "row", text: w.week }),
          el("td", { class: "num", text: money(w.sales, currency) }),
          el("td", { class: "num", text: money(w.net, currency) })))));
      mount(chartBox, svg, el("details", {}, el("summary", { text: t("vendorMoney.asTable") }), el("div", { class: "table-scroll" }, table)));
    }

    function renderPayouts(payouts) {
      const transfers = payouts.transfers.length
        ? el("table", { class: "data-table", "data-testid": "payouts-made" },
          el("caption", { text: t("vendorMoney.transfersMade") }),
          el("thead", {}, el("tr", {}, [t("vendorMoney.date"), t("vendorMoney.order"), t("vendorMoney.transferCol"), t("vendorMoney.amount"), t("vendorMoney.reversed")].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, payouts.transfers.map((t) => el("tr", { "data-testid": "payout-made" },
            el("td", { text: dateOf(t.at) }), el("td", { text: t.order_id }), el("td", { text: t.transfer_id || "" }),
            el("td", { class: "num", text: formatMoney(t.amount) }),
            el("td", { class: "num", text: t.reversed.amount ? formatMoney(t.reversed) : "—" })))))
        : el("p", { "data-testid": "payouts-none", text: t("vendorMoney.noTransfers") });
      const due = payouts.due.length
        ? el("table", { class: "data-table", "data-testid": "payouts-due" },
          el("caption", { text: t("vendorMoney.toCome") }),
          el("thead", {}, el("tr", {}, [t("vendorMoney.order"), t("vendorMoney.amount"), t("vendorMoney.status")].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, payouts.due.map((d) => el("tr", { "data-testid": "payout-due" },
            el("td", { text: d.order_id }), el("td", { class: "num", text: formatMoney(d.amount) }),
            el("td", { text: d.status === "due" ? t("vendorMoney.beingTransferred") : t("vendorMoney.waitingDelivery") })))))
        : null;
      mount(payoutsBox, el("div", { class: "table-scroll" }, transfers), due && el("div", { class: "table-scroll" }, due));
    }

    function ledgerRow(entry) {
      const negative = entry.amount.amount < 0;
      return el("tr", { "data-testid": "ledger-entry", "data-kind": entry.kind },
        el("td", { text: dateOf(entry.at) }),
        el("th", { scope: "row", text: KIND_LABELS[entry.kind] || entry.kind }),
        el("td", { text: entry.order_id }),
        el("td", { text: entry.provider_object_id || "" }),
        el("td", { class: `num ${negative ? "amount-negative" : ""}`, text: formatMoney(entry.amount) }));
    }

    async function downloadCsv() {
      error.textContent = "";
      try {
        await get("/vendor/balance", undefined, controller.signal); // refreshes an expired session first
        const session = getSession();
        const response = await fetch(`${API_BASE}/vendor/ledger.csv${queryString(period())}`, {
          headers: { Authorization: `Bearer ${session.access_token}`, Accept: "text/csv" }, signal: controller.signal });
        if (!response.ok) {
          const payload = await response.json().catch(() => null);
          throw new ApiError({ status: response.status, code: payload?.error?.code, message: payload?.error?.message || "" });
        }
        const url = URL.createObjectURL(await response.blob());
        const link = el("a", { href: url, download: "halles-ledger.csv", hidden: true });
        document.body.append(link);
        link.click();
        link.remove();
        window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      } catch (err) {
        fail(err);
      }
    }
  },
};
