// Categories change rarely: fetch them once per page load and share them. Their names are the
// catalogue's words for the slug in the page's language (categories.<slug>), else the API's name.
import { api } from "./api.js";
import { has, t } from "./i18n.js";

let pending = null;

export function loadCategories() {
  if (!pending) {
    pending = api.categories().then((body) => (body.items || []).map((c) => ({ ...c, name: localName(c) }))).catch((err) => {
      pending = null; // let the next view try again
      throw err;
    });
  }
  return pending;
}

function localName(category) {
  const key = `categories.${String(category.slug || "").replace(/-/g, "_")}`;
  return has(key) ? t(key) : category.name;
}

export async function categoryName(slug) {
  try {
    const found = (await loadCategories()).find((c) => c.slug === slug);
    return found ? found.name : humanize(slug);
  } catch {
    return humanize(slug);
  }
}

export function humanize(text) {
  const words = String(text || "").replace(/[_-]+/g, " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "";
}
