// Satisfaction figures, drawn by hand: the vendor's "Satisfaction" and the admin's "Satisfaction" sections
// share these. The SVG plumbing (chart with <title>/<desc>, bars, the figures as a table) is the return
// analytics' (./return-analytics-charts.js), reused. API calls: GET /vendor/satisfaction, GET /admin/satisfaction.

import { request } from "../api.js";
import { el, mount } from "../dom.js";
import { asTable, chart, percent, svgNode, weeksPicker } from "./return-analytics-charts.js";

export { weeksPicker };

export const QUESTION_LABELS = { order: "Order", vendor: "Vendor", delivery: "Delivery" };

export function fetchSatisfaction(scope, query, signal) {
  const path = scope === "admin" ? "/admin/satisfaction" : "/vendor/satisfaction";
  return request("GET", path, { auth: true, query, signal });
}

function average(value) {
  return value === null || value === undefined ? "—" : `${value.toFixed(2)} / 5`;
}

function nps(value) {
  return value === null || value === undefined ? "—" : (value > 0 ? `+${value}` : String(value));
}

/** The period's headline figures. */
export function satisfactionCards(totals) {
  const card = (id, label, value, hint) => el("div", { class: "money-card", "data-testid": `satisfaction-${id}` },
    el("span", { class: "money-card-label", text: label }),
    el("strong", { class: "money-card-amount", text: value }),
    el("span", { class: "field-hint", text: hint }));
  return el("div", { class: "money-balance returns-totals" },
    card("response-rate", "Response rate", percent(totals.response_rate), `${totals.answered} answers to ${totals.sent} surveys`),
    ...Object.entries(QUESTION_LABELS).map(([q, label]) => card(`csat-${q}`, `${label} (CSAT)`, average(totals.csat[q].average),
      `${percent(totals.csat[q].satisfied_rate)} gave 4 or 5`)),
    card("nps", "NPS (platform)", nps(totals.nps.score),
      `${totals.nps.promoters} promoters, ${totals.nps.passives} passives, ${totals.nps.detractors} detractors`));
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
    title: `Average satisfaction (1 to 5) per week, last ${trend.length} weeks`,
    description: answered
      ? `${answered} answers in these weeks. Bars: order, vendor and delivery averages per week. The table lists every week.`
      : "No survey was answered in these weeks.",
  });
  trend.forEach((w, i) => {
    const x = pad + i * slot;
    const bar = Math.max(2, (slot - 6) / 3);
    Object.keys(QUESTION_LABELS).forEach((q, k) => {
      const value = w.csat[q].average;
      if (value === null) return;
      const h = Math.round((value / 5) * (height - pad));
      const rect = svgNode("rect", { x: x + 3 + k * bar, y: height - h, width: bar, height: h, class: `satisfaction-bar-${q}`, "data-week": w.week });
      rect.append(svgNode("title", {}, `Week of ${w.starts}: ${QUESTION_LABELS[q]} ${value.toFixed(2)}`));
      svg.append(rect);
    });
    if (trend.length <= 13 || i % Math.ceil(trend.length / 13) === 0) {
      svg.append(svgNode("text", { x: x + slot / 2, y: height + 14, "text-anchor": "middle", class: "returns-label" }, w.week.slice(5)));
    }
  });
  svg.append(svgNode("text", { x: 0, y: 12, class: "returns-label" }, "5"));
  const legend = el("p", { class: "returns-legend" }, Object.entries(QUESTION_LABELS).map(([q, label]) => [
    el("span", { class: `returns-key satisfaction-key-${q}`, "aria-hidden": "true" }), ` ${label} `]));
  return [svg, legend, asTable("satisfaction-weekly-table", "Satisfaction per week",
    ["Week of", "Sent", "Answered", "Response rate", "Order", "Vendor", "Delivery", "NPS"],
    trend.map((w) => [`${w.starts} (${w.week})`, String(w.sent), String(w.answered), percent(w.response_rate),
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
    description: total ? `${total} answers. The table lists the count of each score.` : "No answer in these weeks.",
  });
  distribution.forEach((d, i) => {
    const y = i * row + 2;
    const w = Math.round((d.count / max) * (width - labelWidth - 50));
    svg.append(svgNode("text", { x: labelWidth - 8, y: y + 14, "text-anchor": "end", class: "returns-label" }, String(d.score)));
    const rect = svgNode("rect", { x: labelWidth, y: y + 3, width: Math.max(d.count ? 2 : 0, w), height: row - 8, class: "satisfaction-bar-order", "data-score": d.score });
    rect.append(svgNode("title", {}, `Score ${d.score}: ${d.count}`));
    svg.append(rect, svgNode("text", { x: labelWidth + w + 6, y: y + 14, class: "returns-label" }, String(d.count)));
  });
  return [svg, asTable(`${testid}-table`, title, ["Score", "Answers", "Share"],
    distribution.map((d) => [String(d.score), String(d.count), total ? `${Math.round((d.count / total) * 100)} %` : "—"]))];
}

function figuresTable(testid, caption, rows, headCol) {
  if (!rows.length) return el("p", { class: "result-status", "data-testid": `${testid}-empty`, text: "No survey in these weeks." });
  const headers = [headCol, "Sent", "Answered", "Order", "Vendor", "Delivery", "NPS"];
  return el("div", { class: "table-scroll" },
    el("table", { class: "data-table", "data-testid": testid },
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows.map(([name, f]) => el("tr", {},
        el("th", { scope: "row", text: name }),
        [String(f.sent), String(f.answered), average(f.csat.order.average), average(f.csat.vendor.average),
          average(f.csat.delivery.average), nps(f.nps.score)].map((cell) => el("td", { class: "num", text: cell })))))));
}

/** Everything of one report into `box`. */
export function renderSatisfaction(box, report, { withVendors = false } = {}) {
  mount(box,
    satisfactionCards(report.totals),
    el("h3", { text: "Per week" }),
    el("div", { class: "returns-chart-box" }, csatTrendChart(report.trend)),
    el("h3", { text: "Scores" }),
    el("div", { class: "returns-chart-box" },
      Object.entries(QUESTION_LABELS).map(([q, label]) => distributionChart(`satisfaction-${q}-chart`, `${label}: answers per score (1 to 5)`, report.totals.csat[q].distribution)),
      distributionChart("satisfaction-nps-chart", "Would recommend Halles: answers per score (0 to 10)", report.totals.nps.distribution)),
    withVendors ? [el("h3", { text: "Vendors" }), figuresTable("satisfaction-vendors-table", "Vendors, least satisfying first",
      (report.vendors || []).map((v) => [v.vendor_name || v.vendor_id, v]), "Vendor")] : null,
    report.products && report.products.length || !withVendors ? [el("h3", { text: "Products" }),
      figuresTable("satisfaction-products-table", "Products, least satisfying first", report.products.map((p) => [p.title || p.product_id, p]), "Product")] : null);
}
