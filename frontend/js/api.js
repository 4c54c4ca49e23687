// The one place the frontend talks to the Halles API. Every failure becomes an
// ApiError carrying the API's {code, message, fields} so forms can show each
// message next to the field it is about. Its `message` is in the page's language: the catalogue's
// words for the error code (js/i18n.js errorMessage), the API's own sentence kept as `apiMessage`.
// Every request says which language the shopper reads (Accept-Language), so what the API writes
// for them (e-mails of a new account, messages) matches the page.

import { clearSession, getSession, isExpired, saveSession } from "./session.js";
import { currentLanguage, errorMessage, fieldMessage, t } from "./i18n.js";

export const config = window.HALLES_CONFIG || {};
export const API_BASE = String(config.apiBase || "http://127.0.0.1:8000").replace(/\/+$/, "");

export class ApiError extends Error {
  /** `fromApi`: the message and fields are the API's (English) words, shown in the page's language. */
  constructor({ status = 0, code = "error", message = "", fields = {}, correlationId = null, retryAfter = null, fromApi = false }) {
    super(fromApi || !message ? errorMessage({ status, code, message }) : message);
    this.apiMessage = message;
    this.status = status;
    this.code = code;
    // Each field's message in the page's language; the API's own sentences stay in `apiFields`.
    this.apiFields = fields || {};
    this.fields = fromApi ? Object.fromEntries(Object.entries(this.apiFields)
      .map(([name, text]) => [name, fieldMessage(String(name).replace(/^body\./, ""), text)])) : this.apiFields;
    this.correlationId = correlationId;
    this.retryAfter = retryAfter; // seconds, when the API said when to try again (409 in progress, 503)
  }
}

function retryAfterSeconds(header) {
  const seconds = Number(header);
  return header && Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/** Build a query string, leaving out empty values. */
export function queryString(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function request(method, path, { body, query, auth = false, signal, headers: extra } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": currentLanguage(), ...(extra || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) {
    const session = await freshSession();
    if (!session) throw new ApiError({ status: 401, code: "unauthorized", message: t("errors.signInFirst") });
    headers.Authorization = `Bearer ${session.access_token}`;
  }
  let response;
  try {
    response = await fetch(`${API_BASE}${path}${queryString(query)}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError({
      code: "network_error",
      message: t("errors.network_error"),
    });
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (payload && payload.error) || {};
    throw new ApiError({
      status: response.status,
      code: error.code || `http_${response.status}`,
      message: error.message || "",
      fields: error.fields || {},
      correlationId: error.correlation_id || response.headers.get("X-Correlation-Id"),
      retryAfter: retryAfterSeconds(response.headers.get("Retry-After")),
      fromApi: true,
    });
  }
  return payload;
}

/** The current session, refreshed with its refresh token when the access token expired. */
async function freshSession() {
  const session = getSession();
  if (!session) return null;
  if (!isExpired(session)) return session;
  if (!session.refresh_token) {
    clearSession();
    return null;
  }
  try {
    const tokens = await request("POST", "/auth/refresh", { body: { refresh_token: session.refresh_token } });
    return saveSession(tokens, session.user);
  } catch {
    clearSession();
    return null;
  }
}

export const api = {
  categories: (options) => request("GET", "/catalog/categories", options),
  products: (query, options) => request("GET", "/catalog/products", { ...options, query }),
  product: (productId, options) => request("GET", `/catalog/products/${encodeURIComponent(productId)}`, options),
  /** A shop's public page: profile, return policy, anonymised ratings (404 unless approved). */
  vendor: (vendorId, options) => request("GET", `/vendors/${encodeURIComponent(vendorId)}`, options),
  signIn: (email, password) => request("POST", "/auth/signin", { body: { email, password } }),
  signUp: (body) => request("POST", "/auth/signup", { body }),
  confirmSignUp: (email, code) => request("POST", "/auth/confirm", { body: { email, code } }),
  resendConfirmation: (email) => request("POST", "/auth/confirm/resend", { body: { email } }),
  me: () => request("GET", "/me", { auth: true }),

  // The signed-in shopper's cart, orders and saved cards.
  cart: (options) => request("GET", "/cart", { ...options, auth: true }),
  setCartLine: (offerId, quantity) =>
    request("PUT", `/cart/lines/${encodeURIComponent(offerId)}`, { auth: true, body: { quantity } }),
  removeCartLine: (offerId) => request("DELETE", `/cart/lines/${encodeURIComponent(offerId)}`, { auth: true }),
  quote: (country, options) => request("GET", "/cart/quote", { ...options, auth: true, query: { country } }),
  /** `idempotencyKey`: one per checkout attempt, the same one when that attempt is retried. */
  checkout: (body, idempotencyKey) =>
    request("POST", "/checkout", { auth: true, body, headers: { "Idempotency-Key": idempotencyKey } }),
  orders: (query, options) => request("GET", "/orders", { ...options, auth: true, query }),
  order: (orderId, options) => request("GET", `/orders/${encodeURIComponent(orderId)}`, { ...options, auth: true }),
  /** Pay an unpaid order again with a saved card (`idempotencyKey`: one per attempt, kept when retrying it). */
  payOrder: (orderId, body, idempotencyKey) => request("POST", `/orders/${encodeURIComponent(orderId)}/pay`,
    { auth: true, body, headers: { "Idempotency-Key": idempotencyKey } }),
  cancelOrder: (orderId) => request("POST", `/orders/${encodeURIComponent(orderId)}/cancel`, { auth: true }),
  paymentMethods: (options) => request("GET", "/me/payment-methods", { ...options, auth: true }),
  addresses: (options) => request("GET", "/me/addresses", { ...options, auth: true }),
  saveAddress: (addressId, body) =>
    request("PUT", `/me/addresses/${encodeURIComponent(addressId)}`, { auth: true, body }),
  removeAddress: (addressId) => request("DELETE", `/me/addresses/${encodeURIComponent(addressId)}`, { auth: true }),
  removePaymentMethod: (pmId) => request("DELETE", `/me/payment-methods/${encodeURIComponent(pmId)}`, { auth: true }),
};
