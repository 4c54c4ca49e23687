"""Presentation rules for products vendors propose: the catalogue reads as one shop, not as many.

A product a vendor proposes is live at once, unless one of these rules fails; then the vendor gets
a 400 naming each field to fix. They apply to products being created or edited, not to a known GTIN
that returns the existing product (the vendor is not proposing anything then). Pure: no I/O.

- Title: 10 to 120 characters, not shouting (mostly capital letters), no promotional wording
  (price and promotion belong to offers, which every vendor of the product shares the page with),
  no exclamation marks.
- Required attributes per category (`REQUIRED_ATTRIBUTES`): what a shopper needs to tell two
  products of that category apart (a phone's model, a shirt's size and colour).
- The GTIN check digit and the offers' price bounds are checked by chalicelib/domain/catalog.py
  (`normalise_gtin`, `validate_offer` with chalicelib/domain/charge_limits.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.search import words

TITLE_MIN, TITLE_MAX = 10, 120

# Category slug -> attribute names every product of that category must carry (lower case).
REQUIRED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "electronics": ("model",),
    "fashion": ("size", "colour"),
    "beauty": ("volume",),
}
# Other spellings vendors use for the same attribute.
ATTRIBUTE_ALIASES: dict[str, str] = {"color": "colour", "modèle": "model", "model number": "model"}

# Words and phrases that advertise instead of describe (matched on whole words, accents and case ignored).
PROMO_PHRASES: tuple[str, ...] = (
    "best price", "best deal", "cheap", "cheapest", "sale", "on sale", "discount", "promo", "promotion",
    "free shipping", "free delivery", "limited offer", "limited time", "buy now", "hot deal", "deal",
    "bargain", "lowest price", "top seller", "bestseller", "best seller", "clearance", "special offer",
)
SHOUTING_MIN_LETTERS = 8  # "USB-C LED" is an abbreviation, not shouting
SHOUTING_SHARE = 0.6  # more than this share of capitals among the letters is shouting


def _normalised(name: str) -> str:
    name = " ".join(name.lower().split())
    return ATTRIBUTE_ALIASES.get(name, name)


def title_problem(title: str) -> str | None:
    """What is wrong with a proposed product title, in the vendor's words; None when it is fine."""
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        return f"must be {TITLE_MIN} to {TITLE_MAX} characters"
    letters = [c for c in title if c.isalpha()]
    if len(letters) >= SHOUTING_MIN_LETTERS and sum(c.isupper() for c in letters) > SHOUTING_SHARE * len(letters):
        return "must not be written in capitals: write it as a sentence title (Trail Running Shoes)"
    if "!" in title:
        return "must not contain exclamation marks"
    normal = f" {' '.join(words(title))} "
    for phrase in PROMO_PHRASES:
        if f" {' '.join(words(phrase))} " in normal:
            return f'must describe the product, not promote it (remove "{phrase}")'
    return None


def missing_attributes(category: str, attributes: Mapping[str, str]) -> tuple[str, ...]:
    """The attributes `category` requires that `attributes` lacks (names compared case-insensitively)."""
    present = {_normalised(name) for name, value in attributes.items() if str(value).strip()}
    return tuple(name for name in REQUIRED_ATTRIBUTES.get(category, ()) if name not in present)


def presentation_problems(title: str, category: str, attributes: Mapping[str, str]) -> dict[str, str]:
    """Every presentation rule a proposed product breaks, as {field: what to fix} (empty: fine)."""
    problems: dict[str, str] = {}
    problem = title_problem(title)
    if problem:
        problems["title"] = problem
    for name in missing_attributes(category, attributes):
        problems[f"attributes.{name}"] = f"required for this category ({category})"
    return problems
