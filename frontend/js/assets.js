// The site's images by their source path ("img/kitchen.svg") -> the name they are served under.
// Empty in the source tree, where every file is served under its own name. scripts/build_frontend.py
// writes the content-hashed names here, so that a path that comes from data (a product's
// "/img/kitchen.svg", built at run time) reaches the long-cached copy too: literal references in the
// code, the HTML and the CSS are rewritten by the build directly.
export const HASHED_NAMES = {};

/** "img/kitchen.svg" or "/img/kitchen.svg" -> the same path with the name the site serves it under. */
export function assetPath(path) {
  const match = /^(\/?)(.*)$/.exec(path);
  const hashed = HASHED_NAMES[match[2]];
  return hashed ? match[1] + hashed : path;
}
