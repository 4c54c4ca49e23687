// French and English for every word the frontend shows. Strings live in the catalogues
// js/locales/en.js and fr.js (nested dicts, the same keys in both: tests/unit/test_i18n_catalogues.py
// checks it); code asks for them with t("cart.pay", {amount}) and never writes a sentence itself.
//
// The language is the one the shopper chose with the header switch (localStorage), else the
// browser's first language we speak (navigator.languages), else English. It is sent to the API
// with every request (Accept-Language) and saved with PUT /me/preferences when signed in, so
// e-mails speak it too. Switching reloads the page: module-level labels are then built again in
// the new language, which is simpler and safer than re-rendering every view in place.
//
// Only the active language's catalogue is loaded (each is ~60 KB of source, most of the first page's
// weight): this module waits for it with a top-level await, so every module that imports t() runs
// once the words are there; the other catalogue is loaded by the reload a switch does.
//
// Money, numbers, dates and country names go through the browser's Intl APIs for the locale.

export const LANGUAGES = ["en", "fr"];
// Literal specifiers, one per language: scripts/build_frontend.py rewrites them to the hashed names.
const LOADERS = {
  en: () => import("./locales/en.js"),
  fr: () => import("./locales/fr.js"),
};
// Each language's own name for the switch, which shows both whichever catalogue is loaded.
const OWN_NAMES = { en: "English", fr: "Français" };
const KEY = "halles.locale";

function saved() {
  try {
    const value = window.localStorage.getItem(KEY);
    return LANGUAGES.includes(value) ? value : null;
  } catch {
    return null; // private mode: the browser's language then
  }
}

function browserLanguages() {
  const list = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || "en"];
  return list.filter(Boolean).map(String);
}

function fromBrowser() {
  for (const tag of browserLanguages()) {
    const base = tag.toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

let language = saved() || fromBrowser();
/** The loaded catalogue: the active language's only (a key missing there shows the key itself). */
const catalogue = (await LOADERS[language]()).default;

/** The language chosen with the switch in this browser, or null when none was (the browser's then). */
export function chosenLanguage() {
  return saved();
}

/** "en" or "fr". */
export function currentLanguage() {
  return language;
}

/** The full locale used by Intl: the browser's own when it speaks our language (en-IE, fr-BE), else a default. */
export function formattingLocale() {
  const own = browserLanguages().find((tag) => tag.toLowerCase().split("-")[0] === language);
  if (own && own.includes("-")) return own;
  return language === "fr" ? "fr-FR" : "en-IE";
}

function lookup(catalogue, key) {
  let node = catalogue;
  for (const part of key.split(".")) {
    if (node === null || typeof node !== "object" || !(part in node)) return undefined;
    node = node[part];
  }
  return node;
}

const PLURAL_FORMS = new Set(["zero", "one", "two", "few", "many", "other"]);
/** A plural entry: only Intl.PluralRules categories as keys, "other" among them. */
function isPlural(entry) {
  return Boolean(entry) && typeof entry === "object" && "other" in entry && Object.keys(entry).every((k) => PLURAL_FORMS.has(k));
}

let plurals = null;
function pluralCategory(count) {
  plurals = plurals || new Intl.PluralRules(formattingLocale());
  return plurals.select(count);
}

function interpolate(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (params && params[name] !== undefined && params[name] !== null
    ? String(params[name]) : whole));
}

/**
 * The text for `key` in the current language. `params` fill "{name}" placeholders; when the entry
 * is a dict of plural forms ({one, other, zero?}) `params.count` picks one with Intl.PluralRules
 * ("zero" is used for 0 when the catalogue has it, because "0 items" reads worse than "No items").
 * A key missing in the current language shows the key itself (tests/unit/test_i18n_catalogues.py
 * keeps both catalogues complete, so English is not loaded as a fallback).
 */
export function t(key, params = {}) {
  let entry = lookup(catalogue, key);
  if (entry === undefined) return key;
  if (isPlural(entry)) {
    const count = Number(params.count);
    const form = (count === 0 && entry.zero !== undefined) ? "zero" : pluralCategory(count);
    entry = entry[form] ?? entry.other;
    if (params.count !== undefined) params = { ...params, count: formatNumber(count) };
  }
  return interpolate(String(entry), params);
}

/** Whether a key exists (for optional per-code texts such as API errors). */
export function has(key) {
  const isText = (entry) => typeof entry === "string" || isPlural(entry);
  return isText(lookup(catalogue, key));
}

const numberFormats = new Map();
export function numberFormat(options = {}) {
  const cacheKey = JSON.stringify(options);
  if (!numberFormats.has(cacheKey)) numberFormats.set(cacheKey, new Intl.NumberFormat(formattingLocale(), options));
  return numberFormats.get(cacheKey);
}

export function formatNumber(value, options) {
  return numberFormat(options).format(value);
}

/** A date (ISO string, epoch ms or Date) for the locale; `options` as Intl.DateTimeFormat's. */
export function formatDate(value, options = { dateStyle: "medium" }) {
  if (value === null || value === undefined || value === "") return "";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(formattingLocale(), options).format(date);
}

export function formatDateTime(value) {
  return formatDate(value, { dateStyle: "medium", timeStyle: "short" });
}

let regionNames = null;
/** "FR" -> "France" / "France", "DE" -> "Germany" / "Allemagne". */
export function countryName(code) {
  try {
    regionNames = regionNames || new Intl.DisplayNames([formattingLocale()], { type: "region" });
    return regionNames.of(code) || code;
  } catch {
    return code;
  }
}

/**
 * The words for an API error: the catalogue's text for its code (errors.<code>), else the API's
 * own message (never a raw code). `fieldMessage` does the same for one field's message.
 */
export function errorMessage(error) {
  if (!error) return t("errors.generic");
  // English pages keep the API's sentence: it is English already and often more precise
  // ("Only 2 left") than a per-code text.
  if (language === "en" && error.message) return error.message;
  const code = error.code ? String(error.code) : "";
  if (code && has(`errors.${code}`)) return t(`errors.${code}`);
  if (error.status && has(`errors.http_${error.status}`)) return t(`errors.http_${error.status}`);
  return error.message || t("errors.generic");
}

/**
 * A field's message: the API sends English sentences per field; a French page shows the
 * catalogue's words for that field when it has them (fields.<name>), else the API's sentence.
 */
export function fieldMessage(field, message) {
  if (language === "en") return message;
  return has(`fields.${field}`) ? t(`fields.${field}`) : t("forms.invalidValue");
}

/** Every language, with its own name, for the header switch. */
export function languageChoices() {
  return LANGUAGES.map((code) => ({ code, name: OWN_NAMES[code], short: code.toUpperCase() }));
}

/**
 * Choose a language: remembered in this browser, then `beforeReload` (saving it to the API when
 * signed in; its failure does not stop the switch), then the page is drawn again in that language.
 */
export async function chooseLanguage(code, beforeReload) {
  if (!LANGUAGES.includes(code)) return;
  try { window.localStorage.setItem(KEY, code); } catch { /* private mode: this page only */ }
  language = code;
  if (beforeReload) {
    try { await beforeReload(code); } catch { /* the e-mails keep their language; the page switches anyway */ }
  }
  window.location.reload();
}

/** <html lang>, the title and every element of index.html marked with a data-i18n key (or data-i18n-<attr>). */
export function applyToDocument(root = document) {
  if (root === document) document.documentElement.lang = language;
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("*")) {
    for (const name of Object.keys(node.dataset)) {
      if (!name.startsWith("i18n") || name === "i18n") continue;
      const attr = name.slice(4).replace(/^[A-Z]/, (c) => c.toLowerCase()).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      node.setAttribute(attr, t(node.dataset[name]));
    }
  }
}
