// Return-cause analytics, drawn by hand: the vendor's "Returns analytics" and the admin's "Analytics"
// sections share these. Every chart is an inline SVG with a <title> and <desc> saying what it shows in
// words, followed by the same figures as a table (charts are pictures; tables are what screen readers
// and keyboard users navigate). The API call lives here too, through `request` (GET /vendor/analytics/returns,
// GET /admin/analytics/returns).

import { request } from "../api.js";
import { el, mount } from "../dom.js";
import { formatMoney } from "../money.js";
import { formatNumber, t } from "../i18n.js";

const ONE_DECIMAL = { minimumFractionDigits: 1, maximumFractionDigits: 1 };

export const REASON_LABELS = {
  damaged: t("returnCharts.damaged"),
  not_as_described: t("returnCharts.notAsDescribed"),
  wrong_item: t("returnCharts.wrongItem"),
  changed_mind: t("returnCharts.changedMind"),
  arrived_late: t("returnCharts.arrivedLate"),
  other: t("returnCharts.other_"),
};

export const WEEK_CHOICES = [4, 12, 26, 52];

const SVG = "http://www.w3.org/2000/svg";
let chartCount = 0; // unique ids for each chart's title/desc

export function fetchReturnAnalytics(scope, query, signal) {
  const path = scope === "admin" ? "/admin/analytics/returns" : "/vendor/analytics/returns";
  return request("GET", path, { auth: true, query, signal });
}

export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${formatNumber(rate * 100, ONE_DECIMAL)} %`;
}

function hours(value) {
  if (value === null || value === undefined) return "—";
  return value >= 48 ? t("returnCharts.days", { n: formatNumber(value / 24, ONE_DECIMAL) }) : `${formatNumber(value, ONE_DECIMAL)} h`;
}

function refunded(list) {
  return list.length ? list.map((m) => formatMoney(m)).join(" + ") : formatMoney({ amount: 0, currency: "EUR" });
}

export function svgNode(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function chart({ testid, title, description, width, height }) {
  chartCount += 1;
  const titleId = `${testid}-title-${chartCount}`;
  const descId = `${testid}-desc-${chartCount}`;
  const svg = svgNode("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${titleId} ${descId}`,
    class: "returns-chart", "data-testid": testid });
  svg.append(svgNode("title", { id: titleId }, title), svgNode("desc", { id: descId }, description));
  return svg;
}

export function asTable(testid, caption, headers, rows) {
  return el("details", { class: "returns-figures" },
    el("summary", { text: t("returnCharts.asTable") }),
    el("div", { class: "table-scroll" },
      el("table", { class: "data-table", "data-testid": testid },
        el("caption", { text: caption }),
        el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, rows.map(([head, ...cells]) => el("tr", {},
          el("th", { scope: "row", text: head }),
          cells.map((cell) => el("td", { class: "num", text: cell }))))))));
}

/** Units sold (pale) and returned (strong) per ISO week, empty weeks included, then the table. */
export function weeklyChart(trend) {
  const width = 600;
  const height = 200;
  const pad = 28;
  const max = Math.max(1, ...trend.map((w) => Math.max(w.units_sold, w.units_returned)));
  const slot = (width - pad) / Math.max(1, trend.length);
  const returned = trend.reduce((sum, w) => sum + w.units_returned, 0);
  const sold = trend.reduce((sum, w) => sum + w.units_sold, 0);
  const worst = trend.reduce((a, b) => ((b.return_rate ?? -1) > (a.return_rate ?? -1) ? b : a), trend[0]);
  const svg = chart({
    testid: "returns-weekly-chart", width, height: height + 20,
    title: t("returnCharts.weeklyTitle", { count: trend.length }),
    description: returned
      ? t("returnCharts.weeklyDesc", { sold, returned, week: worst.starts, rate: percent(worst.return_rate) })
      : `${sold} units sold and none returned in these weeks.`,
  });
  trend.forEach((w, i) => {
    const x = pad + i * slot;
    const bar = Math.max(2, (slot - 6) / 2);
    for (const [value, cls, offset, what] of [[w.units_sold, "returns-bar-sold", 0, t("returnCharts.soldWord")], [w.units_returned, "returns-bar-returned", bar, t("returnCharts.returnedWord")]]) {
      const h = Math.round((value / max) * (height - pad));
      const rect = svgNode("rect", { x: x + 3 + offset, y: height - h, width: bar, height: h, class: cls, "data-week": w.week });
      rect.append(svgNode("title", {}, t("returnCharts.weekBar", { week: w.starts, value, what })));
      svg.append(rect);
    }
    if (trend.length <= 13 || i % Math.ceil(trend.length / 13) === 0) {
      svg.append(svgNode("text", { x: x + slot / 2, y: height + 14, "text-anchor": "middle", class: "returns-label" }, w.week.slice(5)));
    }
  });
  svg.append(svgNode("text", { x: 0, y: 12, class: "returns-label" }, String(max)));
  const legend = el("p", { class: "returns-legend" },
    el("span", { class: "returns-key returns-key-sold", "aria-hidden": "true" }), " sold ",
    el("span", { class: "returns-key returns-key-returned", "aria-hidden": "true" }), " returned");
  return [svg, legend, asTable("returns-weekly-table", t("returnCharts.weeklyCaption"),
    [t("returnCharts.weekOf"), t("returnCharts.sold"), t("returnCharts.returned"), t("returnCharts.rate"), t("returnCharts.refunded")],
    trend.map((w) => [`${w.starts} (${w.week})`, String(w.units_sold), String(w.units_returned), percent(w.return_rate), refunded(w.refunded)]))];
}

/** Units returned per reason, as horizontal bars, then the table. */
export function reasonsChart(reasons) {
  const width = 600;
  const row = 26;
  const labelWidth = 150;
  const total = reasons.reduce((sum, r) => sum + r.units, 0);
  const max = Math.max(1, ...reasons.map((r) => r.units));
  const top = reasons.reduce((a, b) => (b.units > a.units ? b : a), reasons[0]);
  const svg = chart({
    testid: "returns-reasons-chart", width, height: reasons.length * row + 4,
    title: t("returnCharts.reasonsTitle"),
    description: total
      ? t("returnCharts.reasonsDesc", { total, reason: REASON_LABELS[top.reason] || top.reason, units: top.units })
      : t("returnCharts.nothing"),
  });
  reasons.forEach((r, i) => {
    const y = i * row + 2;
    const w = Math.round((r.units / max) * (width - labelWidth - 50));
    svg.append(svgNode("text", { x: labelWidth - 8, y: y + 16, "text-anchor": "end", class: "returns-label" }, REASON_LABELS[r.reason] || r.reason));
    const rect = svgNode("rect", { x: labelWidth, y: y + 3, width: Math.max(r.units ? 2 : 0, w), height: row - 8, class: "returns-bar-returned", "data-reason": r.reason });
    rect.append(svgNode("title", {}, `${REASON_LABELS[r.reason] || r.reason}: ${r.units}`));
    svg.append(rect, svgNode("text", { x: labelWidth + w + 6, y: y + 16, class: "returns-label" }, String(r.units)));
  });
  return [svg, asTable("returns-reasons-table", t("returnCharts.perReason"), [t("returnCharts.reason"), t("returnCharts.units"), t("returnCharts.share")],
    reasons.map((r) => [REASON_LABELS[r.reason] || r.reason, String(r.units), total ? `${Math.round((r.units / total) * 100)} %` : "—"]))];
}

/** The period's headline figures. */
export function totalsCards(totals) {
  const card = (id, label, value, hint) => el("div", { class: "money-card", "data-testid": `returns-${id}` },
    el("span", { class: "money-card-label", text: label }),
    el("strong", { class: "money-card-amount", text: value }),
    el("span", { class: "field-hint", text: hint }));
  return el("div", { class: "money-balance returns-totals" },
    card("rate", t("returnCharts.rate"), percent(totals.return_rate), t("returnCharts.ofSold", { returned: totals.units_returned, sold: totals.units_sold })),
    card("refunded", t("returnCharts.refunded"), refunded(totals.refunded), t("returnCharts.returnsRejected", { returns: totals.returns, rejected: totals.rejected })),
    card("median", t("returnCharts.timeToResolve"), hours(totals.median_hours_to_resolve), t("returnCharts.median")),
    card("p90", t("returnCharts.slowest"), hours(totals.p90_hours_to_resolve), t("returnCharts.p90Of", { resolved: totals.resolved })));
}

/** Products with returns, highest return rate first. */
export function productsTable(products, { withVendor = false } = {}) {
  if (!products.length) return el("p", { class: "result-status", "data-testid": "returns-products-empty", text: t("returnCharts.noProduct") });
  const headers = [t("returnCharts.product"), ...(withVendor ? [t("returnCharts.vendor")] : []), t("returnCharts.sold"), t("returnCharts.returned"), t("returnCharts.rate"), t("returnCharts.topReason"), t("returnCharts.refunded")];
  return el("div", { class: "table-scroll" },
    el("table", { class: "data-table", "data-testid": "returns-products-table" },
      el("caption", { text: t("returnCharts.byRate") }),
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, products.map((p) => {
        const top = p.reasons.reduce((a, b) => (b.units > a.units ? b : a), p.reasons[0]);
        return el("tr", { "data-product": p.product_id },
          el("th", { scope: "row", text: p.title || p.product_id }),
          withVendor ? el("td", { text: p.vendor_name || p.vendor_id }) : null,
          el("td", { class: "num", text: String(p.units_sold) }),
          el("td", { class: "num", text: String(p.units_returned) }),
          el("td", { class: "num", text: percent(p.return_rate) }),
          el("td", { text: top && top.units ? REASON_LABELS[top.reason] || top.reason : "—" }),
          el("td", { class: "num", text: refunded(p.refunded) }));
      }))));
}

/** Everything of one report into `box`. */
export function renderReport(box, report, { withVendor = false } = {}) {
  mount(box,
    totalsCards(report.totals),
    el("h3", { text: t("returnCharts.perWeek") }),
    el("div", { class: "returns-chart-box" }, weeklyChart(report.trend)),
    el("h3", { text: t("returnCharts.reasons") }),
    el("div", { class: "returns-chart-box" }, reasonsChart(report.totals.reasons)),
    el("h3", { text: t("returnCharts.products") }),
    productsTable(report.products, { withVendor }));
}

/** The period picker (weeks), shared by both sections. */
export function weeksPicker(id, value) {
  return el("select", { id, name: "weeks", "data-testid": "returns-weeks" },
    WEEK_CHOICES.map((n) => el("option", { value: String(n), selected: n === value, text: t("returnCharts.lastWeeks", { count: n }) })));
}
