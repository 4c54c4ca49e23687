"""Product content in French and English: which language a request wants, and which text it gets.

A product has its main `title`/`description` (whatever language the vendor wrote them in) and
optional `translations` per language. A request asks for a language (`?lang=` first, then the
Accept-Language header, else English); it gets that language's text, else the main text.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"

CATEGORY_NAMES: dict[str, dict[str, str]] = {
    "fr": {
        "outdoor": "Plein air & camping",
        "electronics": "Électronique",
        "kitchen": "Cuisine & arts de la table",
        "home": "Maison & déco",
        "garden": "Jardin",
        "sports": "Sport & fitness",
        "fashion": "Mode",
        "beauty": "Beauté & soin",
    },
}
CATALOGUE_LABEL = {"en": "Catalogue", "fr": "Catalogue"}


def preferred_language(lang: str | None, accept_language: str | None) -> str:
    """`lang` when it is one we speak; else the best of Accept-Language we speak (q-values honoured)."""
    if lang in LANGUAGES:
        return lang
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        tag = pieces[0].lower().split("-")[0]
        weight = 1.0
        for piece in pieces[1:]:
            if piece.startswith("q="):
                try:
                    weight = float(piece[2:])
                except ValueError:
                    weight = 0.0
        if tag in LANGUAGES and weight > 0:
            ranked.append((-weight, position, tag))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def localized_text(main: str, translations: Mapping[str, Mapping[str, str]] | None, lang: str | None, name: str) -> str:
    """The `name` text ("title" or "description") in `lang`, else the main one."""
    text = ((translations or {}).get(lang) or {}).get(name)
    return text if text else main


def category_name(slug: str, english_name: str, lang: str) -> str:
    return CATEGORY_NAMES.get(lang, {}).get(slug, english_name)


def category_names_all(slug: str, english_name: str) -> list[str]:
    """A category's names in every language (search indexes them all)."""
    return [english_name, *(names[slug] for names in CATEGORY_NAMES.values() if slug in names)]
