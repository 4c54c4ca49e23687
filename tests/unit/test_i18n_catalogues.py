"""The French and English catalogues of the frontend stay complete (scripts/check_i18n.py).

A key the code asks for that a catalogue lacks would show the raw key on screen; a key in one
language only would show English on a French page. Both fail here, naming the key and file.
"""

from __future__ import annotations

from pathlib import Path

from scripts.check_i18n import check, flatten, problems, read_catalogue, used_keys


def test_every_key_the_frontend_uses_is_in_both_catalogues_and_they_match():
    assert check() == []


def test_the_catalogues_hold_the_same_keys_and_translate_them():
    locales = Path(__file__).resolve().parents[2] / "frontend" / "js" / "locales"
    en = flatten(read_catalogue(locales / "en.js"))
    fr = flatten(read_catalogue(locales / "fr.js"))
    assert set(en) == set(fr)
    # A French catalogue that copied English would pass the key check: the visible words differ.
    assert fr["cart.title"] == "Votre panier" and en["cart.title"] == "Your cart"
    assert fr["language.name"] == "Français"


def test_a_key_used_in_code_but_missing_in_one_catalogue_is_reported():
    catalogues = {"en": {"cart": {"title": "Your cart"}}, "fr": {"cart": {}}}
    sources = {"js/views/cart.js": 'el("h1", { text: t("cart.title") }); t(\'cart.pay\', { amount })'}
    found = problems(catalogues, sources)
    assert "js/views/cart.js uses 'cart.title', missing in fr" in found
    assert "js/views/cart.js uses 'cart.pay', missing in en" in found
    assert "'cart.title' is in en but missing in fr" in found


def test_a_plural_needs_its_one_and_other_forms():
    catalogues = {"en": {"items": {"other": "{count} items"}}, "fr": {"items": {"one": "{count} article", "other": "{count} articles"}}}
    assert problems(catalogues, {}) == ["'items' in en is a plural without both 'one' and 'other'"]


def test_keys_are_found_in_calls_and_in_the_page_markup_but_not_in_other_calls():
    text = 'format(x); t("a.b"); t( "c.d_e" ); <a data-i18n="doc.skip"></a> <nav data-i18n-aria-label="doc.nav">; cart("x.y"); it("z.w")'
    assert used_keys(text) == {"a.b", "c.d_e", "doc.skip", "doc.nav"}
