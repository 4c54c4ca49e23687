// The signed-in session lives in sessionStorage: it ends with the tab, and other
// sites cannot read it. Tokens never go into URLs or logs.

const KEY = "halles.session";
const listeners = new Set();

export function getSession() {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

/** Store what POST /auth/signin (or /auth/refresh) answered. */
export function saveSession(tokens, user) {
  const previous = getSession();
  const session = {
    access_token: tokens.access_token,
    id_token: tokens.id_token,
    refresh_token: tokens.refresh_token || previous?.refresh_token || null,
    token_type: tokens.token_type || "Bearer",
    // A little early, so a request never leaves with a token about to expire.
    expires_at: Date.now() + Math.max(0, (Number(tokens.expires_in) || 3600) - 30) * 1000,
    user: user || tokens.user || previous?.user || null,
  };
  window.sessionStorage.setItem(KEY, JSON.stringify(session));
  notify(session);
  return session;
}

/** Replace who the session belongs to (e.g. the name GET /me told), keeping its tokens. */
export function updateSessionUser(user) {
  const session = getSession();
  if (!session) return null;
  const updated = { ...session, user };
  window.sessionStorage.setItem(KEY, JSON.stringify(updated));
  notify(updated);
  return updated;
}

export function clearSession() {
  window.sessionStorage.removeItem(KEY);
  notify(null);
}

export function isExpired(session) {
  return !session || !session.expires_at || Date.now() >= session.expires_at;
}

export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(session) {
  for (const listener of listeners) listener(session);
}
