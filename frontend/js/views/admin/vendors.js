// Admin space: vendors by approval status, with Approve, Suspend (asks for the reason) and Reinstate.

import { ApiError, request } from "../../api.js";
import { announce, el, mount } from "../../dom.js";
import { signInHref } from "../guard.js";
import { adjustmentForm } from "./vendor-adjustment.js";
import { t } from "../../i18n.js";

const listVendors = (query, signal) => request("GET", "/admin/vendors", { auth: true, query, signal });
const act = (vendorId, action, body) =>
  request("POST", `/admin/vendors/${encodeURIComponent(vendorId)}/${action}`, { auth: true, body });

const FILTERS = [["", t("adminVendors.all")], ["pending", t("adminVendors.waiting")], ["approved", t("adminVendors.approved")], ["suspended", t("adminVendors.suspended")]];
const APPROVAL = { pending: t("adminVendors.waiting"), approved: t("adminVendors.approved"), suspended: t("adminVendors.suspended") };

export const vendorsSection = {
  id: "vendors",
  label: t("adminVendors.title"),
  render(panel) {
    const controller = new AbortController();
    const filter = el("select", { name: "status", id: "admin-vendors-filter", "data-testid": "admin-vendors-filter" },
      FILTERS.map(([value, label]) => el("option", { value, text: label })));
    const status = el("p", { class: "result-status", "data-testid": "admin-vendors-status", "aria-live": "polite", text: t("adminVendors.loading") });
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "admin-vendors-error" });
    const body = el("tbody");
    const more = el("button", { type: "button", class: "button button-quiet", hidden: true, "data-testid": "admin-vendors-more" }, t("adminVendors.showMore"));
    let cursor = null;
    mount(panel,
      el("h2", { text: t("adminVendors.title") }),
      el("div", { class: "field admin-vendors-filter" }, el("label", { for: "admin-vendors-filter", text: t("adminVendors.show") }), filter),
      status, error,
      el("div", { class: "table-scroll" },
        el("table", { class: "data-table", "data-testid": "admin-vendors" },
          el("thead", {}, el("tr", {}, [t("adminVendors.shop"), t("adminVendors.legalName"), t("adminVendors.country"), t("adminVendors.onboarding"), t("adminVendors.approval"), t("adminVendors.offers"), t("adminVendors.actions")]
            .map((h) => el("th", { scope: "col", text: h })))),
          body)),
      more);
    // A new filter starts a new list: an answer to an older request is dropped, never appended.
    let generation = 0;
    filter.addEventListener("change", () => { generation += 1; body.replaceChildren(); cursor = null; load(); });
    more.addEventListener("click", () => load());
    load();
    return { cleanup: () => controller.abort() };

    async function load() {
      error.textContent = "";
      const mine = generation;
      try {
        const page = await listVendors({ status: filter.value, cursor }, controller.signal);
        if (mine !== generation) return;
        body.append(...page.items.map(row));
        cursor = page.next_cursor;
        more.hidden = !cursor;
        const count = body.children.length;
        status.textContent = count ? t("adminVendors.count", { count }) : t("adminVendors.none");
      } catch (err) {
        failed(err);
      }
    }

    function failed(err) {
      if (err.name === "AbortError") return;
      status.textContent = "";
      if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else error.textContent = err.message;
    }

    function row(vendor) {
      const tr = el("tr", { "data-testid": "admin-vendor", "data-vendor-id": vendor.vendor_id });
      fill(tr, vendor);
      return tr;
    }

    function fill(tr, vendor) {
      const actions = el("td", { class: "admin-vendor-actions" });
      if (vendor.approval === "pending") actions.append(button(t("adminVendors.approve"), "approve", () => change(tr, vendor, "approve")));
      if (vendor.approval !== "suspended") actions.append(button(t("adminVendors.suspend"), "suspend", () => askReason(tr, vendor, actions)));
      if (vendor.approval === "suspended") actions.append(button(t("adminVendors.reinstate"), "reinstate", () => change(tr, vendor, "reinstate")));
      actions.append(button(t("adminVendors.adjust"), "adjust", () => {
        const editor = el("tr", { class: "admin-vendor-editor" }, el("td", { colspan: 7 }, adjustmentForm(vendor, { onClose: () => editor.remove() })));
        tr.after(editor);
        editor.querySelector("input").focus();
      }));
      mount(tr,
        el("th", { scope: "row", text: vendor.name }),
        el("td", { text: vendor.profile ? vendor.profile.legal_name : "—" }),
        el("td", { text: vendor.profile ? vendor.profile.country : "—" }),
        el("td", { "data-testid": "admin-vendor-onboarding", text: stepWords(vendor.onboarding_step) }),
        el("td", { "data-testid": "admin-vendor-approval",
          text: APPROVAL[vendor.approval] + (vendor.suspended_reason ? `: ${vendor.suspended_reason}` : "") }),
        el("td", { "data-testid": "admin-vendor-live", text: vendor.can_sell ? t("onboarding.live") : t("adminVendors.hidden") }),
        actions);
    }

    function button(label, action, onClick) {
      const node = el("button", { type: "button", class: "button button-small", "data-testid": `admin-vendor-${action}` }, label);
      node.addEventListener("click", onClick);
      return node;
    }

    function askReason(tr, vendor, actions) {
      const input = el("input", { name: "reason", required: true, minlength: "3", maxlength: "500",
        "aria-label": t("adminVendors.whySuspend", { name: vendor.name }), placeholder: t("adminVendors.reasonPlaceholder"), "data-testid": "admin-suspend-reason" });
      const confirm = button(t("adminVendors.confirmSuspend"), "suspend-confirm", () => {
        if (input.value.trim().length < 3) { error.textContent = t("adminVendors.sayWhy"); input.focus(); return; }
        change(tr, vendor, "suspend", { reason: input.value.trim() });
      });
      mount(actions, input, confirm);
      input.focus();
    }

    async function change(tr, vendor, action, bodyJson) {
      error.textContent = "";
      for (const b of tr.querySelectorAll("button")) b.disabled = true;
      try {
        const updated = await act(vendor.vendor_id, action, bodyJson);
        fill(tr, updated);
        announce(`${updated.name}: ${APPROVAL[updated.approval]}.`);
      } catch (err) {
        for (const b of tr.querySelectorAll("button")) b.disabled = false;
        failed(err);
      }
    }
  },
};

/** "wait_for_approval" -> "Wait for approval": the API's step code in words, capitalised like the other cells. */
function stepWords(step) {
  const words = String(step || "").replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
