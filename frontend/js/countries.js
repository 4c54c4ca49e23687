// Where an order is delivered decides its VAT rate. The API knows the countries it
// delivers to (settings DEFAULT_VAT_RATES); this list matches it, and an API answer
// "one of AT, BE, ..." for an unknown country replaces it.

const KEY = "halles.country";

export let DELIVERY_COUNTRIES = ["DE", "FR", "NL", "BE", "ES", "IT", "AT", "IE", "PL", "SE", "DK", "PT"];
export const DEFAULT_COUNTRY = "DE";

// Country names in the page's language (Intl.DisplayNames), see js/i18n.js.
export { countryName } from "./i18n.js";
import { countryName, currentLanguage } from "./i18n.js";

export function preferredCountry() {
  let saved = null;
  try { saved = window.localStorage.getItem(KEY); } catch { /* private mode */ }
  return saved && DELIVERY_COUNTRIES.includes(saved) ? saved : DEFAULT_COUNTRY;
}

export function savePreferredCountry(code) {
  try { window.localStorage.setItem(KEY, code); } catch { /* private mode */ }
}

/** Learn the accepted countries from a 400 about `country` ("one of AT, BE, DE"). Returns true if learnt. */
export function learnCountries(error) {
  const text = String((error && (error.apiFields || error.fields || {}).country) || "");
  const match = text.match(/one of\s+(.+)$/i);
  if (!match) return false;
  const codes = match[1].split(/[\s,]+/).filter((c) => /^[A-Z]{2}$/.test(c));
  if (!codes.length) return false;
  DELIVERY_COUNTRIES = codes;
  return true;
}

/** Countries in the shopper's language, alphabetically. */
export function countryOptions() {
  return DELIVERY_COUNTRIES.map((code) => ({ code, name: countryName(code) }))
    .sort((a, b) => a.name.localeCompare(b.name, currentLanguage()));
}
