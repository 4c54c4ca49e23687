"""The frontend as users get it: `python -m scripts.build_frontend --out build/frontend [--api-url URL]`.

Copies frontend/ to `--out` with every JS, CSS and image file renamed after its content
(`js/views/cart.js` -> `js/views/cart.3f2a9c1b7d.js`) and every reference to it rewritten: ES module
specifiers (static `import ... from "./x.js"`, `export ... from`, dynamic `import("./x.js")`), the
page's `href`/`src`, CSS `url()`, and the image map of js/assets.js (for image paths that arrive as
data, such as a product's "/img/kitchen.svg"). A renamed file never changes, so it is served with
`Cache-Control: public, max-age=31536000, immutable`; index.html and config.js keep their names
and are served with `no-cache` (revalidated on every visit), so a deployment reaches users at once.

A file's hash covers its own source and the sources of everything it references, directly or not
(import cycles included): change one module and every module that leads to it gets a new name, so no
cached importer keeps pointing at the old code.

config.js carries the API's address: with `--api-url` it is written with that URL; without, the
source's default is copied (the local runner serves its own /config.js anyway). The build fails,
naming the file, on a relative reference to a file that does not exist: a built site has no 404.

JS and CSS lose their comments and whitespace (rjsmin, rcssmin: token-level, no renaming, template
literals and regular expressions kept as they are): the source's comments say why, users need not
download them (about a fifth of the catalogue page's compressed bytes).

Compression is not done here: the local server (devstack/http.py) gzips what it serves, and in AWS
CloudFront compresses (gzip and brotli) what it caches from the bucket. `cache_control()` is the one
rule for both the local server and the upload.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import re
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "frontend"

# Served under their own names: the page's address, and the file that carries the API's address.
ENTRY_FILES = frozenset({"index.html", "config.js"})
ENTRY_MODULE = "app.js"  # the page's module script: the shell every page runs
HASHED_SUFFIXES = frozenset({".js", ".css", ".svg", ".png", ".jpg", ".jpeg", ".webp", ".avif", ".gif", ".ico",
                             ".woff", ".woff2"})
HASH_LENGTH = 10
HASHED_NAME = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}\.[A-Za-z0-9]+$")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# `import x from "./a.js"`, `export { y } from "../b.js"`, `import "./c.js"` and `import("./d.js")`.
JS_SPECIFIER = re.compile(r"""(?P<lead>\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)(?P<q>["'])(?P<ref>\.{1,2}/[^"'\n]+)(?P=q)""")
HTML_REFERENCE = re.compile(r"""(?P<lead>\b(?:href|src)\s*=\s*)(?P<q>["'])(?P<ref>[^"'#?\n]+)(?P=q)""")
CSS_REFERENCE = re.compile(r"""(?P<lead>url\(\s*)(?P<q>["']?)(?P<ref>[^"')\s#?]+)(?P=q)""")
ASSET_MAP = re.compile(r"export const HASHED_NAMES\s*=\s*\{\};")
ASSET_MAP_FILE = "js/assets.js"


class BuildError(Exception):
    pass


def cache_control(relative_path: str) -> str:
    """The Cache-Control for a file of a built site: a hashed name is forever, anything else revalidates."""
    return IMMUTABLE if HASHED_NAME.search(relative_path) else REVALIDATE


def is_hashed(relative_path: str) -> bool:
    return Path(relative_path).suffix.lower() in HASHED_SUFFIXES and relative_path not in ENTRY_FILES


def _pattern_for(relative_path: str) -> re.Pattern | None:
    suffix = Path(relative_path).suffix.lower()
    return {".js": JS_SPECIFIER, ".html": HTML_REFERENCE, ".css": CSS_REFERENCE}.get(suffix)


def _is_local(ref: str) -> bool:
    return not re.match(r"^(?:[a-z][a-z0-9+.-]*:|//)", ref, re.IGNORECASE)


def _resolve(importer: str, ref: str) -> str:
    """The site path ("js/api.js") a reference in `importer` points at; root-relative refs from the site root."""
    base = "" if ref.startswith("/") else posixpath.dirname(importer)
    return posixpath.normpath(posixpath.join(base, ref.lstrip("/")))


@dataclass(frozen=True)
class Reference:
    start: int
    end: int  # the span of the path inside the quotes
    ref: str
    target: str
    dynamic: bool = False  # import("..."): loaded when the code runs it, not with the module


def references(relative_path: str, text: str) -> list[Reference]:
    """The local files `text` (the file at `relative_path`) references, with where."""
    pattern = _pattern_for(relative_path)
    if pattern is None:
        return []
    found = []
    for match in pattern.finditer(text):
        ref = match.group("ref")
        if not _is_local(ref):
            continue
        dynamic = match.group("lead").rstrip().endswith("(") and pattern is JS_SPECIFIER
        found.append(Reference(match.start("ref"), match.end("ref"), ref, _resolve(relative_path, ref), dynamic))
    return found


def module_graph(source: Path = SOURCE) -> dict[str, set[str]]:
    """file -> the local files it references (JS imports, static and dynamic; HTML and CSS references)."""
    graph = {}
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = path.relative_to(source).as_posix()
        text = path.read_text(encoding="utf-8") if _pattern_for(rel) else ""
        graph[rel] = {r.target for r in references(rel, text)}
    return graph


def static_closure(entry: str, source: Path = SOURCE) -> set[str]:
    """Every JS module a page loads before any dynamic import() runs: `entry` and its static imports, transitively."""
    seen, stack = set(), [entry]
    while stack:
        rel = stack.pop()
        if rel in seen:
            continue
        seen.add(rel)
        text = (source / rel).read_text(encoding="utf-8")
        stack.extend(found.target for found in references(rel, text) if not found.dynamic)
    return seen


def _closure(start: str, graph: dict[str, set[str]]) -> list[str]:
    seen, stack = set(), [start]
    while stack:
        rel = stack.pop()
        if rel in seen:
            continue
        seen.add(rel)
        stack.extend(graph.get(rel, ()))
    return sorted(seen)


def _hashed_name(relative_path: str, digest: str) -> str:
    stem, suffix = posixpath.splitext(relative_path)
    return f"{stem}.{digest[:HASH_LENGTH]}{suffix}"


def _rewrite(relative_path: str, text: str, names: dict[str, str]) -> str:
    out, last = [], 0
    for found in references(relative_path, text):
        if found.target not in names:
            continue  # an entry file (config.js) keeps its name
        new_target = names[found.target]
        if found.ref.startswith("/"):
            new_ref = "/" + new_target
        else:
            new_ref = posixpath.relpath(new_target, posixpath.dirname(relative_path) or ".")
            if found.ref.startswith("./") and not new_ref.startswith("."):
                new_ref = "./" + new_ref  # "./x.js" stays a relative module specifier, never a bare one
        out += [text[last:found.start], new_ref]
        last = found.end
    out.append(text[last:])
    return "".join(out)


def _with_module_preloads(html: str, shell: list[str], names: dict[str, str]) -> str:
    """index.html asking for every module app.js imports statically at once (`<link rel="modulepreload">`),
    instead of finding them one level of imports (one round trip) at a time. Only the shell every page
    needs: a page's own view module is still fetched when its route runs."""
    links = "".join(f'<link rel="modulepreload" href="{names[rel]}">\n  ' for rel in shell if rel != ENTRY_MODULE)
    marker = '<script type="module"'
    if marker not in html:
        raise BuildError(f"index.html: no {marker}> to load {ENTRY_MODULE}")
    return html.replace(marker, links + marker, 1)


def minified(relative_path: str, data: bytes) -> bytes:
    """JS and CSS without comments and whitespace; anything else as it is."""
    suffix = Path(relative_path).suffix.lower()
    if suffix == ".js":
        import rjsmin

        return rjsmin.jsmin(data.decode("utf-8")).encode() + b"\n"
    if suffix == ".css":
        import rcssmin

        return rcssmin.cssmin(data.decode("utf-8")).encode() + b"\n"
    return data


def config_js(api_url: str) -> str:
    return f"window.HALLES_CONFIG = {{apiBase: {json.dumps(api_url.rstrip('/'))}}};\n"


def build(out: Path, api_url: str | None = None, source: Path = SOURCE) -> dict[str, str]:
    """Write the built site to `out` (emptied first); returns source path -> served path for every file."""
    files = {p.relative_to(source).as_posix(): p for p in sorted(source.rglob("*")) if p.is_file()}
    # Minified before hashing: a name stands for the bytes served.
    contents: dict[str, bytes] = {rel: minified(rel, path.read_bytes()) for rel, path in files.items()}
    graph = {rel: set() for rel in files}
    static_graph = {rel: set() for rel in files}  # without import(): what loads with a module
    for rel in files:
        if _pattern_for(rel):
            for found in references(rel, contents[rel].decode("utf-8")):
                if found.target not in files:
                    raise BuildError(f"{rel}: {found.ref!r} points at {found.target}, which does not exist")
                graph[rel].add(found.target)
                if not found.dynamic:
                    static_graph[rel].add(found.target)

    names: dict[str, str] = {}
    # Images first: js/assets.js is written with their names, then hashed like any module.
    plain = [rel for rel in files if is_hashed(rel) and not _pattern_for(rel)]
    for rel in plain:
        names[rel] = _hashed_name(rel, hashlib.sha256(contents[rel]).hexdigest())
    if ASSET_MAP_FILE in contents:
        images = {rel: names[rel] for rel in plain if rel.startswith("img/")}
        text = contents[ASSET_MAP_FILE].decode("utf-8")
        if not ASSET_MAP.search(text):
            raise BuildError(f"{ASSET_MAP_FILE}: `export const HASHED_NAMES = {{}};` not found, cannot write the image map")
        generated = f"export const HASHED_NAMES = {json.dumps(images, sort_keys=True, separators=(', ', ': '))};"
        contents[ASSET_MAP_FILE] = ASSET_MAP.sub(lambda _m: generated, text).encode()
    for rel in files:
        if is_hashed(rel) and rel not in names:
            digest = hashlib.sha256()
            for member in _closure(rel, graph):
                digest.update(member.encode() + b"\0" + contents[member] + b"\0")
            names[rel] = _hashed_name(rel, digest.hexdigest())

    if out.exists():
        shutil.rmtree(out)
    served = {}
    for rel in files:
        data = contents[rel]
        if rel == "config.js" and api_url:
            data = config_js(api_url).encode()
        elif _pattern_for(rel):
            data = _rewrite(rel, data.decode("utf-8"), names).encode()
        if rel == "index.html" and ENTRY_MODULE in files:
            data = _with_module_preloads(data.decode("utf-8"), _closure(ENTRY_MODULE, static_graph), names).encode()
        target = names.get(rel, rel)
        (out / target).parent.mkdir(parents=True, exist_ok=True)
        (out / target).write_bytes(data)
        served[rel] = target
    return served


def unresolved(site: Path) -> list[str]:
    """References in a built site to files it does not hold ("index.html -> js/x.js"): what would 404."""
    missing = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        rel = path.relative_to(site).as_posix()
        if _pattern_for(rel):
            for found in references(rel, path.read_text(encoding="utf-8")):
                if not (site / found.target).is_file():
                    missing.append(f"{rel} -> {found.target}")
    return missing


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.build_frontend", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "frontend", help="output directory (emptied)")
    parser.add_argument("--api-url", help="the API's base URL, written into config.js (e.g. https://api.example.com)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.api_url and not re.match(r"^https?://[^\s\"']+$", args.api_url):
        parser.error(f"--api-url must be an http(s) URL, got {args.api_url!r}")
    try:
        served = build(args.out, args.api_url)
    except BuildError as exc:
        print(f"build_frontend: {exc}", file=sys.stderr)
        return 1
    hashed = sum(1 for rel, name in served.items() if rel != name)
    print(f"build_frontend: {len(served)} files in {args.out} ({hashed} with hashed names)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
