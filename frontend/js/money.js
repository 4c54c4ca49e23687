// Money arrives as {amount: integer minor units, currency: "EUR"}. It is formatted
// without ever going through a float: Intl.NumberFormat accepts exact decimal strings.
// The locale is the page's language (js/i18n.js): "12,50 €" in French, "€12.50" in English.

import { formattingLocale, t } from "./i18n.js";

const LOCALE = formattingLocale();
const formatters = new Map();

function formatterFor(currency) {
  if (!formatters.has(currency)) {
    formatters.set(currency, new Intl.NumberFormat(LOCALE, { style: "currency", currency }));
  }
  return formatters.get(currency);
}

/** Number of minor-unit digits of a currency (2 for EUR, 0 for JPY). */
export function minorDigits(currency) {
  return formatterFor(currency).resolvedOptions().maximumFractionDigits;
}

/** "12.99" from 1299 and 2 digits: an exact decimal string. */
function decimalString(amount, digits) {
  const sign = amount < 0 ? "-" : "";
  const abs = String(Math.abs(amount)).padStart(digits + 1, "0");
  if (digits === 0) return sign + abs;
  return `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
}

export function formatMoney(money) {
  if (!money || typeof money.amount !== "number") return "";
  const currency = money.currency || "EUR";
  return formatterFor(currency).format(decimalString(money.amount, minorDigits(currency)));
}

/** The shop's currency symbol, for labels such as "Min price (€)". */
export function currencySymbol(currency = "EUR") {
  const part = formatterFor(currency).formatToParts(0).find((p) => p.type === "currency");
  return part ? part.value : currency;
}

/**
 * What a shopper typed ("12", "12.5", "12,50", "€ 12.50") in minor units.
 * Returns {value: int|null} or {error: "message"}; empty input means no bound.
 */
export function parseAmount(text, currency = "EUR") {
  const cleaned = String(text || "").replace(/[\s\u00a0]/g, "").replace(currencySymbol(currency), "");
  if (cleaned === "") return { value: null };
  const digits = minorDigits(currency);
  const pattern = digits > 0 ? new RegExp(`^(\\d{1,7})(?:[.,](\\d{1,${digits}}))?$`) : /^(\d{1,9})$/;
  const match = cleaned.match(pattern);
  if (!match) {
    return { error: digits > 0 ? t("money.enterAmount") : t("money.enterWholeAmount") };
  }
  const whole = Number(match[1]);
  const fraction = Number((match[2] || "").padEnd(digits, "0") || "0");
  return { value: whole * 10 ** digits + fraction };
}

/** Minor units back to what a shopper would type ("19.99", "25"). */
export function amountInputValue(minor, currency = "EUR") {
  if (minor === null || minor === undefined || minor === "") return "";
  const digits = minorDigits(currency);
  const text = decimalString(Number(minor), digits);
  return text.replace(/\.0+$/, "");
}
