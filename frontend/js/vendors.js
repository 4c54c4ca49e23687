// Vendor names by vendor id. Orders carry only ids; carts and product pages carry names,
// so names are remembered from there, and an order's products are looked up for the rest.

import { api } from "./api.js";
import { t } from "./i18n.js";

const KEY = "halles.vendorNames";

function load() {
  try {
    return JSON.parse(window.sessionStorage.getItem(KEY) || "{}") || {};
  } catch {
    return {};
  }
}

/** Remember names from anything shaped like {vendor_id, vendor_name} (offers, cart lines). */
export function rememberVendors(items) {
  const names = load();
  let changed = false;
  for (const item of items || []) {
    if (item && item.vendor_id && item.vendor_name && names[item.vendor_id] !== item.vendor_name) {
      names[item.vendor_id] = item.vendor_name;
      changed = true;
    }
  }
  if (changed) {
    try { window.sessionStorage.setItem(KEY, JSON.stringify(names)); } catch { /* private mode: names stay unknown */ }
  }
}

/** The vendor's name, or a neutral stand-in while it is unknown. */
export function vendorLabel(vendorId, names = load()) {
  return names[vendorId] || t("product.col.vendorWithId", { id: String(vendorId || "").slice(0, 8) });
}

/** Names for the vendors of `lines` ({vendor_id, product_id}), reading product pages for unknown ones. */
export async function resolveVendorNames(lines, signal) {
  const known = load();
  const products = [...new Set((lines || []).filter((l) => !known[l.vendor_id]).map((l) => l.product_id))];
  await Promise.all(products.map((id) => api.product(id, { signal })
    .then((body) => rememberVendors(body.offers || []))
    .catch(() => { /* a removed product: the stand-in label stays */ })));
  return load();
}
