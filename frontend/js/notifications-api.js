// The notification routes of the API (inbox, unread count, language, consents).

import { request } from "./api.js";

export const notificationsApi = {
  list: ({ cursor, limit = 20, signal } = {}) => request("GET", "/me/notifications", { auth: true, query: { cursor, limit }, signal }),
  unreadCount: ({ signal } = {}) => request("GET", "/me/notifications/unread-count", { auth: true, signal }),
  markRead: (id) => request("POST", `/me/notifications/${encodeURIComponent(id)}/read`, { auth: true }),
  markAllRead: () => request("POST", "/me/notifications/read-all", { auth: true }),
  preferences: ({ signal } = {}) => request("GET", "/me/preferences", { auth: true, signal }),
  setPreferences: (body) => request("PUT", "/me/preferences", { auth: true, body }),
  consents: ({ signal } = {}) => request("GET", "/me/consents", { auth: true, signal }),
  setConsents: (body) => request("PUT", "/me/consents", { auth: true, body }),
};
