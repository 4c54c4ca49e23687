// Satisfaction figures, drawn by hand: the vendor's "Satisfaction" and the admin's "Satisfaction" sections
// share these. The SVG plumbing (chart with <title>/<desc>, bars, the figures as a table) is the return
// analytics' (./return-analytics-charts.js), reused. API calls: GET /vendor/satisfaction, GET /admin/satisfaction.
// Every word comes from the catalogues (t("satisfaction.*")); numbers, shares and dates from Intl for the
// page's language.

import { request } from "../api.js";
import { el, mount } from "../dom.js";
import { formatDate, formatNumber, t } from "../i18n.js";
import { asTable, chart, svgNode, weeksPicker } from "./return-analytics-charts.js";

export { weeksPicker };

export const QUESTION_LABELS = {
  order: t("satisfaction.questionOrder"),
  vendor: t("satisfaction.questionVendor"),
  delivery: t("satisfaction.questionDelivery"),
};

const TWO_DECIMALS = { minimumFractionDigits: 2, maximumFractionDigits: 2 };

export function fetchSatisfaction(scope, query, signal) {
  const path = scope === "admin" ? "/admin/satisfaction" : "/vendor/satisfaction";
  return request("GET", path, { auth: true, query, signal });
}

const count = (n) => formatNumber(n);

// A share (0 to 1) as the page's language writes a percentage: "66.7%", "66,7 %".
function percent(rate) {
  return rate === null || rate === undefined ? "—" : formatNumber(rate, { style: "percent", maximumFractionDigits: 1 });
}

function average(value) {
  return value === null || value === undefined ? "—" : t("satisfaction.outOf5", { value: formatNumber(value, TWO_DECIMALS) });
}

function nps(value) {
  return value === null || value === undefined ? "—" : formatNumber(value, { signDisplay: "exceptZero", maximumFractionDigits: 1 });
}

// An ISO week's Monday (YYYY-MM-DD) as a date of the page's language; the week's own label stays ("2026-W48").
function weekOf(week) {
  return t("satisfaction.weekCell", { date: formatDate(week.starts, { dateStyle: "medium", timeZone: "UTC" }), week: week.week });
}

/** The period's headline figures. */
export function satisfactionCards(totals) {
  const card = (id, label, value, hint) => el("div", { class: "money-card", "data-testid": `satisfaction-${id}` },
    el("span", { class: "money-card-label", text: label }),
    el("strong", { class: "money-card-amount", text: value }),
    el("span", { class: "field-hint", text: hint }));
  return el("div", { class: "money-balance returns-totals" },
    card("response-rate", t("satisfaction.responseRate"), percent(totals.response_rate),
      t("satisfaction.answeredOfSent", { answered: count(totals.answered), sent: count(totals.sent) })),
    ...Object.entries(QUESTION_LABELS).map(([q, label]) => card(`csat-${q}`, t("satisfaction.csatCard", { question: label }),
      average(totals.csat[q].average), t("satisfaction.satisfiedShare", { rate: percent(totals.csat[q].satisfied_rate) }))),
    card("nps", t("satisfaction.npsCard"), nps(totals.nps.score),
      t("satisfaction.npsBreakdown", { promoters: count(totals.nps.promoters), passives: count(totals.nps.passives),
        detractors: count(totals.nps.detractors) })));
}

/** Average CSAT per week for the three questions (grouped bars), empty weeks included, then the table. */
export function csatTrendChart(trend) {
  const width = 600;
  const height = 180;
  const pad = 28;
  const slot = (width - pad) / Math.max(1, trend.length);
  const answered = trend.reduce((sum, w) => sum + w.answered, 0);
  const svg = chart({
    testid: "satisfaction-weekly-chart", width, height: height + 20,
    title: t("satisfaction.weeklyTitle", { count: trend.length }),
    description: answered ? t("satisfaction.weeklyDesc", { count: answered }) : t("satisfaction.weeklyNone"),
  });
  trend.forEach((w, i) => {
    const x = pad + i * slot;
    const bar = Math.max(2, (slot - 6) / 3);
    Object.keys(QUESTION_LABELS).forEach((q, k) => {
      const value = w.csat[q].average;
      if (value === null) return;
      const h = Math.round((value / 5) * (height - pad));
      const rect = svgNode("rect", { x: x + 3 + k * bar, y: height - h, width: bar, height: h, class: `satisfaction-bar-${q}`, "data-week": w.week });
      rect.append(svgNode("title", {}, t("satisfaction.weekBar", { week: weekOf(w), question: QUESTION_LABELS[q],
        value: formatNumber(value, TWO_DECIMALS) })));
      svg.append(rect);
    });
    if (trend.length <= 13 || i % Math.ceil(trend.length / 13) === 0) {
      svg.append(svgNode("text", { x: x + slot / 2, y: height + 14, "text-anchor": "middle", class: "returns-label" }, w.week.slice(5)));
    }
  });
  svg.append(svgNode("text", { x: 0, y: 12, class: "returns-label" }, formatNumber(5)));
  const legend = el("p", { class: "returns-legend" }, Object.entries(QUESTION_LABELS).map(([q, label]) => [
    el("span", { class: `returns-key satisfaction-key-${q}`, "aria-hidden": "true" }), ` ${label} `]));
  return [svg, legend, asTable("satisfaction-weekly-table", t("satisfaction.weeklyCaption"),
    [t("satisfaction.weekOf"), t("satisfaction.sent"), t("satisfaction.answered"), t("satisfaction.responseRate"),
      QUESTION_LABELS.order, QUESTION_LABELS.vendor, QUESTION_LABELS.delivery, t("satisfaction.nps")],
    trend.map((w) => [weekOf(w), count(w.sent), count(w.answered), percent(w.response_rate),
      average(w.csat.order.average), average(w.csat.vendor.average), average(w.csat.delivery.average), nps(w.nps.score)]))];
}

/** How many answers gave each score, one question (1-5) or the NPS (0-10). */
export function distributionChart(testid, title, distribution) {
  const width = 600;
  const row = 22;
  const labelWidth = 60;
  const total = distribution.reduce((sum, d) => sum + d.count, 0);
  const max = Math.max(1, ...distribution.map((d) => d.count));
  const svg = chart({
    testid, width, height: distribution.length * row + 4, title,
    description: total ? t("satisfaction.scoresDesc", { count: total }) : t("satisfaction.noAnswer"),
  });
  distribution.forEach((d, i) => {
    const y = i * row + 2;
    const w = Math.round((d.count / max) * (width - labelWidth - 50));
    svg.append(svgNode("text", { x: labelWidth - 8, y: y + 14, "text-anchor": "end", class: "returns-label" }, formatNumber(d.score)));
    const rect = svgNode("rect", { x: labelWidth, y: y + 3, width: Math.max(d.count ? 2 : 0, w), height: row - 8, class: "satisfaction-bar-order", "data-score": d.score });
    rect.append(svgNode("title", {}, t("satisfaction.scoreBar", { score: formatNumber(d.score), count: count(d.count) })));
    svg.append(rect, svgNode("text", { x: labelWidth + w + 6, y: y + 14, class: "returns-label" }, count(d.count)));
  });
  return [svg, asTable(`${testid}-table`, title, [t("satisfaction.score"), t("satisfaction.answers"), t("satisfaction.share")],
    distribution.map((d) => [formatNumber(d.score), count(d.count), total ? formatNumber(d.count / total, { style: "percent" }) : "—"]))];
}

function figuresTable(testid, caption, rows, headCol) {
  if (!rows.length) return el("p", { class: "result-status", "data-testid": `${testid}-empty`, text: t("satisfaction.noSurvey") });
  const headers = [headCol, t("satisfaction.sent"), t("satisfaction.answered"), QUESTION_LABELS.order, QUESTION_LABELS.vendor,
    QUESTION_LABELS.delivery, t("satisfaction.nps")];
  return el("div", { class: "table-scroll" },
    el("table", { class: "data-table", "data-testid": testid },
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows.map(([name, f]) => el("tr", {},
        el("th", { scope: "row", text: name }),
        [count(f.sent), count(f.answered), average(f.csat.order.average), average(f.csat.vendor.average),
          average(f.csat.delivery.average), nps(f.nps.score)].map((cell) => el("td", { class: "num", text: cell })))))));
}

/** Everything of one report into `box`. */
export function renderSatisfaction(box, report, { withVendors = false } = {}) {
  mount(box,
    satisfactionCards(report.totals),
    el("h3", { text: t("satisfaction.perWeek") }),
    el("div", { class: "returns-chart-box" }, csatTrendChart(report.trend)),
    el("h3", { text: t("satisfaction.scores") }),
    el("div", { class: "returns-chart-box" },
      Object.entries(QUESTION_LABELS).map(([q, label]) => distributionChart(`satisfaction-${q}-chart`,
        t("satisfaction.questionScores", { question: label }), report.totals.csat[q].distribution)),
      distributionChart("satisfaction-nps-chart", t("satisfaction.npsScores"), report.totals.nps.distribution)),
    withVendors ? [el("h3", { text: t("satisfaction.vendors") }), figuresTable("satisfaction-vendors-table", t("satisfaction.vendorsCaption"),
      (report.vendors || []).map((v) => [v.vendor_name || v.vendor_id, v]), t("satisfaction.vendor"))] : null,
    report.products && report.products.length || !withVendors ? [el("h3", { text: t("satisfaction.products") }),
      figuresTable("satisfaction-products-table", t("satisfaction.productsCaption"),
        report.products.map((p) => [p.title || p.product_id, p]), t("satisfaction.product"))] : null);
}
