"""The catalogue page loads only its own code (issue 11 item 5): what its module graph holds.

A page loads app.js and everything it imports statically, then the one view module its route
imports dynamically (and that module's static imports), then the active language's catalogue.
The cart, orders, vendor and admin code, and the other language, stay on the server until a page
that needs them is opened. tests/browser/test_frontend_loading_ui.py checks the same thing from
the requests a real browser makes.
"""

from __future__ import annotations

import re
from pathlib import Path

from scripts.build_frontend import SOURCE, references, static_closure

OTHER_PAGES = re.compile(r"^js/views/(cart|orders|order-[a-z-]+|cards|vendor/.*|admin/.*|inbox|messages|survey)\.js$")


def dynamic_imports(relative_path: str, source: Path = SOURCE) -> set[str]:
    text = (source / relative_path).read_text(encoding="utf-8")
    return {found.target for found in references(relative_path, text) if found.dynamic}


def catalogue_page_modules(source: Path = SOURCE) -> set[str]:
    """app.js's static graph + the catalogue route's view module and its static graph + one locale."""
    shell = static_closure("app.js", source)
    view = "js/views/catalogue.js"
    assert view in dynamic_imports("app.js", source), "app.js loads the catalogue view with import()"
    return shell | static_closure(view, source) | {"js/locales/en.js"}


def test_the_catalogue_page_loads_no_cart_orders_vendor_or_admin_code():
    modules = catalogue_page_modules()
    assert "js/views/catalogue.js" in modules and "js/i18n.js" in modules
    other_pages = sorted(m for m in modules if OTHER_PAGES.match(m))
    assert other_pages == [], f"the catalogue page would load {other_pages}"


def test_no_locale_catalogue_is_imported_statically_only_the_active_one_is_loaded():
    everything_static = set()
    for path in SOURCE.rglob("*.js"):
        rel = path.relative_to(SOURCE).as_posix()
        everything_static |= {f.target for f in references(rel, path.read_text(encoding="utf-8")) if not f.dynamic}
    assert not {m for m in everything_static if m.startswith("js/locales/")}
    # i18n.js picks one of them at run time.
    assert dynamic_imports("js/i18n.js") == {"js/locales/en.js", "js/locales/fr.js"}


def test_every_page_of_the_router_is_reachable_by_a_dynamic_import():
    loaded = dynamic_imports("app.js")
    for view in ("cart", "orders", "product", "vendor/sections", "admin/sections", "auth", "survey"):
        assert f"js/views/{view}.js" in loaded


def test_a_module_graph_that_pulls_the_cart_into_the_catalogue_is_caught(tmp_path):
    """The check itself can fail: a catalogue view importing the cart view statically is reported."""
    (tmp_path / "js" / "views").mkdir(parents=True)
    (tmp_path / "app.js").write_text('import { t } from "./js/i18n.js";\nconst v = () => import("./js/views/catalogue.js");\n')
    (tmp_path / "js" / "i18n.js").write_text('const l = { en: () => import("./locales/en.js") };\n')
    (tmp_path / "js" / "views" / "catalogue.js").write_text(
        'import {\n  renderCart,\n} from "./cart.js";\nexport const x = 1;\n')
    (tmp_path / "js" / "views" / "cart.js").write_text('import "./orders.js";\n')
    (tmp_path / "js" / "views" / "orders.js").write_text("export {};\n")
    modules = catalogue_page_modules(tmp_path)
    assert sorted(m for m in modules if OTHER_PAGES.match(m)) == ["js/views/cart.js", "js/views/orders.js"]


def test_references_read_static_dynamic_and_reexports_but_not_bare_or_remote_specifiers():
    text = ('import a from "./a.js";\nexport { b } from \'../b.js\';\nimport "./c.js";\n'
            'const d = () => import( "./d.js" );\nimport x from "lib";\nimport y from "https://cdn.example/y.js";\n'
            'import{e}from"./e.js";import"./f.js";')  # minified, as the build ships them
    found = {(f.target, f.dynamic) for f in references("js/views/m.js", text)}
    assert found == {("js/views/a.js", False), ("js/b.js", False), ("js/views/c.js", False), ("js/views/d.js", True),
                     ("js/views/e.js", False), ("js/views/f.js", False)}
