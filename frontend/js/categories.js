// Categories change rarely: fetch them once per page load and share them.
import { api } from "./api.js";

let pending = null;

export function loadCategories() {
  if (!pending) {
    pending = api.categories().then((body) => body.items || []).catch((err) => {
      pending = null; // let the next view try again
      throw err;
    });
  }
  return pending;
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
