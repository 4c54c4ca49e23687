// Vendor space: the vendor's own paid sub-orders, newest first, each with the address to ship to,
// its lines and totals, and the next step: accept, ship (carrier, tracking number, https tracking
// link), mark delivered, or cancel a line before shipping (the shopper is refunded for it).

import { ApiError } from "../../api.js";
import { announce, el, mount } from "../../dom.js";
import { cancelVendorLine, vendorOrderStep, vendorOrders } from "../../fulfilment.js";
import { orderNumber } from "../../labels.js";
import { formatMoney } from "../../money.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { signInHref } from "../guard.js";
import { addressBlock, formatDate } from "../orders.js";
import { t } from "../../i18n.js";
import { vendorThreadHref } from "../case-links.js";

// Sub-order statuses as the vendor reads them (what it means for them to do).
const VENDOR_STATUS = {
  placed: { label: t("vendorOrders.s_placed"), tone: "pending" },
  accepted: { label: t("vendorOrders.s_accepted"), tone: "pending" },
  shipped: { label: t("vendorOrders.s_shipped"), tone: "ok" },
  delivered: { label: t("vendorOrders.s_delivered"), tone: "ok" },
  cancelled: { label: t("vendorOrders.s_cancelled"), tone: "bad" },
};
const FILTERS = [["", t("vendorOrders.all")], ["placed", t("vendorOrders.new")], ["accepted", t("vendorOrders.accepted")], ["shipped", t("vendorOrders.s_shipped")],
  ["delivered", t("vendorOrders.s_delivered")], ["cancelled", t("vendorOrders.s_cancelled")]];

function badge(status) {
  const known = VENDOR_STATUS[status] || { label: status, tone: "neutral" };
  return el("span", { class: `status-badge status-${known.tone}`, "data-testid": "vendor-order-status", "data-status": status, text: known.label });
}

export const ordersSection = {
  id: "orders",
  label: "Orders",
  render(panel) {
    const controller = new AbortController();
    const status = el("p", { class: "result-status", "data-testid": "vendor-orders-status", "aria-live": "polite", text: t("vendorOrders.loading") });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "vendor-orders-error" });
    const list = el("div", { class: "vendor-orders", "data-testid": "vendor-orders" });
    const more = el("button", { type: "button", class: "button button-quiet", hidden: true, "data-testid": "vendor-orders-more" }, t("vendorOrders.showMore"));
    const filter = el("select", { name: "status", "data-testid": "vendor-orders-filter" },
      FILTERS.map(([value, text]) => el("option", { value, text })));
    let cursor = null;
    mount(panel,
      el("h2", { text: t("vendorOrders.yours") }),
      el("div", { class: "field vendor-orders-filter" }, el("label", { for: "vendor-orders-filter", text: t("vendorOrders.show") }), filter),
      status, error, list, more);
    filter.id = "vendor-orders-filter";
    filter.addEventListener("change", () => { cursor = null; list.replaceChildren(); load(); });
    more.addEventListener("click", () => load());
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      error.textContent = "";
      try {
        const query = { ...(filter.value ? { status: filter.value } : {}), ...(cursor ? { cursor } : {}) };
        const page = await vendorOrders(query, { signal: controller.signal });
        list.append(...page.items.map(card));
        cursor = page.next_cursor;
        more.hidden = !cursor;
        const count = list.children.length;
        status.textContent = count ? t("vendorOrders.count", { count }) : t("vendorOrders.none");
      } catch (err) {
        if (err.name === "AbortError") return;
        status.textContent = "";
        if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
        else error.textContent = err.message;
      }
    }

    /** One sub-order; re-rendered in place from the API's answer after each step. */
    function card(order) {
      const node = el("article", { class: "space-panel vendor-order", "data-testid": "vendor-order", "data-order-id": order.order_id });
      fill(node, order);
      return node;
    }

    function fill(node, order) {
      const allowed = new Set(order.allowed_actions);
      const stepError = el("p", { class: "form-error", role: "alert", "data-testid": "vendor-order-error" });
      node.dataset.status = order.status;
      mount(node,
        el("header", { class: "vendor-order-head" },
          el("h3", {}, t("order.order"), " ", el("span", { "data-testid": "vendor-order-number", text: orderNumber(order) })),
          el("span", { class: "muted", text: formatDate(order.created_at) }),
          badge(order.status)),
        el("div", { class: "vendor-order-body" },
          el("section", {}, el("h4", { text: t("vendorOrders.shipTo") }),
            order.shipping_address ? addressBlock(order.shipping_address) : el("p", { class: "muted", text: t("vendorOrders.noAddress") })),
          el("section", { class: "table-scroll" },
            el("table", { class: "data-table" },
              el("thead", {}, el("tr", {}, [t("vendorOrders.item"), t("vendorOrders.qty"), t("product.col.price"), ""].map((h) => el("th", { scope: "col", text: h })))),
              el("tbody", {}, order.lines.map((line) => lineRow(node, order, line, allowed, stepError)))),
            el("p", { class: "muted", "data-testid": "vendor-order-total" },
              t("vendorOrders.totals", { total: formatMoney(order.totals.total), shipping: formatMoney(order.totals.shipping), payout: formatMoney(order.totals.payout) })))),
        order.shipment ? el("p", { "data-testid": "vendor-order-shipment" },
          `${t("vendorOrders.shippedWith", { date: formatDate(order.shipped_at), carrier: order.shipment.carrier })} · `,
          el("a", { href: order.shipment.tracking_url, target: "_blank", rel: "noopener noreferrer", text: order.shipment.tracking_number })) : null,
        order.receipt_confirmed_at ? el("p", { class: "muted", "data-testid": "vendor-order-receipt",
          text: t(order.receipt_confirmed_by === "auto" ? "vendorOrders.receiptAuto" : "vendorOrders.receiptShopper", { date: formatDate(order.receipt_confirmed_at) }) }) : null,
        el("div", { class: "vendor-order-actions" },
          allowed.has("accept") ? stepButton(node, order, "accept", t("vendorOrders.accept"), stepError) : null,
          allowed.has("ship") ? shipForm(node, order, stepError) : null,
          allowed.has("deliver") ? stepButton(node, order, "deliver", t("vendorOrders.markDelivered"), stepError) : null,
          el("a", { class: "button button-quiet", href: vendorThreadHref(order.order_id), "data-testid": "vendor-order-contact", text: t("caseLinks.contactShopper") })),
        stepError);
    }

    function lineRow(node, order, line, allowed, stepError) {
      let action = null;
      if (line.cancelled) action = el("span", { class: "muted", "data-testid": "vendor-line-cancelled", text: t("vendorOrders.lineCancelled", { reason: line.cancel_reason, amount: formatMoney(line.refunded) }) });
      else if (allowed.has("cancel_line")) action = el("button", { type: "button", class: "button button-quiet", "data-testid": "vendor-line-cancel",
        onclick: () => cancelLine(node, order, line, stepError) }, t("vendorOrders.cancelLine"));
      return el("tr", { "data-testid": "vendor-order-line", "data-line-id": line.line_id },
        el("th", { scope: "row", text: line.title }),
        el("td", { class: "num", text: String(line.quantity) }),
        el("td", { class: "num", text: formatMoney(line.line_total) }),
        el("td", {}, action));
    }

    function stepButton(node, order, step, text, stepError) {
      const button = el("button", { type: "button", class: "button", "data-testid": `vendor-order-${step}` }, text);
      button.addEventListener("click", () => act(node, stepError, button, () => vendorOrderStep(order.order_id, step)));
      return button;
    }

    function shipForm(node, order, stepError) {
      const input = (name, type = "text") => el("input", { name, type, required: true, autocomplete: "off", "data-testid": `ship-${name}` });
      const submit = el("button", { type: "submit", class: "button", "data-testid": "vendor-order-ship" }, t("vendorOrders.ship"));
      const form = el("form", { class: "ship-form", novalidate: true, "data-testid": "ship-form" },
        el("h4", { text: t("vendorOrders.shipIt") }),
        fieldWithError(input("carrier"), t("vendorOrders.carrier")),
        fieldWithError(input("tracking_number"), t("vendorOrders.tracking")),
        fieldWithError(input("tracking_url", "url"), t("vendorOrders.trackingLink"), { hint: t("vendorOrders.trackingHint") }),
        submit);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        clearFieldErrors(form);
        const data = Object.fromEntries(new FormData(form).entries());
        act(node, stepError, submit, () => vendorOrderStep(order.order_id, "ship", data), form);
      });
      return form;
    }

    /** t("vendorOrders.cancelLine") opens a reason field in the row; the line is cancelled only on t("vendorOrders.cancelRefund"). */
    function cancelLine(node, order, line, stepError) {
      const row = node.querySelector(`[data-line-id="${CSS.escape(line.line_id)}"] td:last-child`);
      const reason = el("input", { name: "reason", required: true, maxlength: 300, "data-testid": "vendor-line-reason" });
      const submit = el("button", { type: "submit", class: "button", "data-testid": "vendor-line-cancel-confirm" }, t("vendorOrders.cancelRefund"));
      const form = el("form", { class: "cancel-line-form", novalidate: true },
        fieldWithError(reason, t("vendorOrders.whyNot"), { hint: t("vendorOrders.whyHint") }), submit);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        clearFieldErrors(form);
        act(node, stepError, submit, () => cancelVendorLine(order.order_id, line.line_id, reason.value), form);
      });
      mount(row, form);
      reason.focus();
    }

    async function act(node, stepError, button, call, form = null) {
      if (button) button.disabled = true;
      stepError.textContent = "";
      try {
        const fresh = await call();
        fill(node, fresh);
        announce(t("vendorOrders.announce", { number: orderNumber(fresh), status: (VENDOR_STATUS[fresh.status] || {}).label || fresh.status }));
      } catch (err) {
        if (button) button.disabled = false;
        if (form && err instanceof ApiError && err.fields) showFieldErrors(form, err.fields, stepError, err.message);
        else stepError.textContent = err.message;
      }
    }
  },
};
