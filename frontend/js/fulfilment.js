// API calls of fulfilment: the vendor's sub-orders and steps, and the shopper's receipt.

import { request } from "./api.js";

const enc = encodeURIComponent;

export const vendorOrders = (query, options) => request("GET", "/vendor/orders", { ...options, auth: true, query });
export const vendorOrderStep = (orderId, step, body) =>
  request("POST", `/vendor/orders/${enc(orderId)}/${step}`, { auth: true, body });
export const cancelVendorLine = (orderId, lineId, reason) =>
  request("POST", `/vendor/orders/${enc(orderId)}/lines/${enc(lineId)}/cancel`, { auth: true, body: { reason } });
export const confirmReceipt = (orderId, vendorId) =>
  request("POST", `/orders/${enc(orderId)}/vendors/${enc(vendorId)}/confirm-receipt`, { auth: true });
