// A tiny element builder. Everything vendors or shoppers typed goes through
// textContent, never innerHTML, so a product title cannot inject markup.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    // Through the CSSOM: the Content-Security-Policy (style-src 'self') refuses a style attribute.
    else if (key === "style") node.style.cssText = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the content of `node` with `children`. */
export function mount(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Say something to screen-reader users without moving focus. */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after clearing makes screen readers repeat identical messages.
  window.setTimeout(() => { region.textContent = message; }, 50);
}

let uid = 0;
export function uniqueId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** Ask a yes/no question in a modal <dialog> named by the question (not the browser's confirm(), which
 * assistive technologies and the page's own styles cannot reach). Resolves true for `confirm`; `keep`,
 * Escape or closing says no. The browser gives focus back to what opened it. */
export function confirmDialog({ question, confirm, keep, testid = "confirm-dialog" }) {
  return new Promise((resolve) => {
    const titleId = uniqueId("confirm-question");
    const dialog = el("dialog", { class: "confirm-dialog", "data-testid": testid, "aria-labelledby": titleId },
      el("h2", { id: titleId, text: question }),
      el("div", { class: "dialog-actions" },
        el("button", { type: "button", class: "button button-danger", "data-testid": "confirm-yes", onclick: () => dialog.close("yes") }, confirm),
        el("button", { type: "button", class: "button button-quiet", "data-testid": "confirm-no", onclick: () => dialog.close("no") }, keep)));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "yes");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
