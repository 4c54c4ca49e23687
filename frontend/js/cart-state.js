// How many items the signed-in shopper's cart holds, for the header's cart link.
// Every cart answer (GET, PUT, DELETE /cart...) carries `item_count`; views report it here.

import { api } from "./api.js";
import { getSession } from "./session.js";

let count = null; // null: unknown or not a shopper
const listeners = new Set();

/** Carts, orders and saved cards belong to shoppers (a session without roles is a shopper's). */
export function isShopper(session = getSession()) {
  if (!session || !session.user) return false;
  const roles = session.user.roles || [];
  return roles.length === 0 || roles.includes("shopper");
}

export function cartCount() {
  return count;
}

export function setCartCount(value) {
  const next = typeof value === "number" ? value : null;
  if (next === count) return;
  count = next;
  for (const listener of listeners) listener(count);
}

/** Keep the count from a cart answer ({lines, item_count, changes}). */
export function noteCart(cart) {
  if (cart && typeof cart.item_count === "number") setCartCount(cart.item_count);
  return cart;
}

export function onCartCountChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Ask the API again (after sign-in, or once a payment emptied the cart). */
export async function refreshCartCount() {
  if (!isShopper()) {
    setCartCount(null);
    return null;
  }
  try {
    noteCart(await api.cart());
  } catch {
    // The header can live without a number; the cart page says what went wrong.
  }
  return count;
}
