"""Checks the frontend's translation catalogues against each other and against the code.

The catalogues (frontend/js/locales/<lang>.js) are ES modules exporting one object literal
written JSON-style (double-quoted strings, bare or quoted keys, trailing commas allowed), so
they are read here without Node. A plural is a dict holding "other" (and "one", maybe "zero").

Finds:
- keys used in the code (`t("a.b")`, `data-i18n="a.b"`, `data-i18n-<attr>="a.b"`) that a
  catalogue lacks;
- keys present in one catalogue and not in another, and plurals missing a form.

`python scripts/check_i18n.py` prints the problems and exits 1 if there are any.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
LOCALES = FRONTEND / "js" / "locales"

# t("key") / t('key') with a literal key; keys built at run time (t(`status.${x}`)) are not checked.
USED_KEY = re.compile(r"""(?<![\w.$])t\(\s*(["'])([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)+)\1""")
DOC_KEY = re.compile(r"""data-i18n(?:-[a-z-]+)?=(["'])([A-Za-z0-9_.]+)\1""")
BARE_KEY = re.compile(r"""(?m)^(\s*)([A-Za-z_$][\w$]*)\s*:""")
TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def read_catalogue(path: Path) -> dict:
    """The object a catalogue module exports."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.strip().startswith("//")]
    text = "\n".join(lines).strip()
    text = re.sub(r"^export\s+default\s+", "", text).rstrip().rstrip(";")
    text = BARE_KEY.sub(lambda m: f'{m.group(1)}"{m.group(2)}":', text)
    text = TRAILING_COMMA.sub(r"\1", text)
    return json.loads(text)


PLURAL_FORMS = {"zero", "one", "two", "few", "many", "other"}


def is_plural(entry) -> bool:
    """Only Intl.PluralRules categories as keys, "other" among them (as js/i18n.js decides)."""
    return isinstance(entry, dict) and "other" in entry and set(entry) <= PLURAL_FORMS


def flatten(catalogue: dict, prefix: str = "") -> dict[str, object]:
    """{"a": {"b": "x"}} -> {"a.b": "x"}; plural dicts stay whole."""
    flat: dict[str, object] = {}
    for key, value in catalogue.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not is_plural(value):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def used_keys(text: str) -> set[str]:
    return {m.group(2) for m in USED_KEY.finditer(text)} | {m.group(2) for m in DOC_KEY.finditer(text)}


def code_files(frontend: Path = FRONTEND) -> list[Path]:
    files = [p for p in frontend.rglob("*.js") if "locales" not in p.parts]
    return sorted(files + sorted(frontend.rglob("*.html")))


def problems(catalogues: dict[str, dict], sources: dict[str, str]) -> list[str]:
    """Every inconsistency, as sentences naming the key, the language and the file."""
    flat = {lang: flatten(cat) for lang, cat in catalogues.items()}
    found: list[str] = []
    for path, text in sorted(sources.items()):
        for key in sorted(used_keys(text)):
            for lang, entries in sorted(flat.items()):
                if key not in entries:
                    found.append(f"{path} uses {key!r}, missing in {lang}")
    every = set().union(*(set(entries) for entries in flat.values())) if flat else set()
    for lang, entries in sorted(flat.items()):
        for key in sorted(every - set(entries)):
            others = [other for other, e in sorted(flat.items()) if key in e]
            found.append(f"{key!r} is in {', '.join(others)} but missing in {lang}")
        for key, entry in sorted(entries.items()):
            if isinstance(entry, dict) and not ("one" in entry and "other" in entry):
                found.append(f"{key!r} in {lang} is a plural without both 'one' and 'other'")
            elif not isinstance(entry, (str, dict)):
                found.append(f"{key!r} in {lang} is not text")
    return found


def check(frontend: Path = FRONTEND) -> list[str]:
    locales = frontend / "js" / "locales"
    catalogues = {path.stem: read_catalogue(path) for path in sorted(locales.glob("*.js"))}
    sources = {str(path.relative_to(frontend)): path.read_text(encoding="utf-8") for path in code_files(frontend)}
    return problems(catalogues, sources)


if __name__ == "__main__":
    issues = check()
    for issue in issues:
        print(issue)
    sys.exit(1 if issues else 0)
