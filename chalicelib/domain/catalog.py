"""Catalogue rules: products shared by every vendor, offers owned by one vendor each.

A *product* is the thing (a GTIN, a title, a brand, a category); an *offer* is one
vendor's terms for it (price, shipping, condition, stock, delivery). Shoppers compare
offers by what they would actually pay, `total = price + shipping_fee`, VAT included.

Identity is derived, never minted, so repeating a call cannot create duplicates:
- `product_id` is `prd_<GTIN-14>` when the product has a GTIN (GS1 says GTIN-8/12/13 are
  stored right-aligned in 14 digits, so a UPC-A and the EAN-13 `0` + UPC are one product),
  else `prd_<slug>-<hash>` of the normalised brand and title;
- `offer_id` is `off_<hash(vendor_id, product_id, condition)>`: a vendor listing the same
  product in the same condition again updates its offer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.domain.charge_limits import charge_problem
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.money import CURRENCIES, Money
from chalicelib.domain.search import words

# The platform taxonomy: slug -> display name. Vendors pick one; shoppers browse by it.
CATEGORIES: dict[str, str] = {
    "outdoor": "Outdoor & Camping",
    "electronics": "Electronics",
    "kitchen": "Kitchen & Dining",
    "home": "Home & Living",
    "garden": "Garden",
    "sports": "Sports & Fitness",
    "fashion": "Fashion",
    "beauty": "Beauty & Care",
}

CONDITIONS = ("new", "refurbished", "used")

# An offer's own lifecycle, set by its vendor (independent of any vendor-level gate such as approval):
# `active` offers are listed; `paused` ones are hidden until resumed; `delisted` is final (orders that
# already hold the offer keep their history, but it is never listed or sold again).
OFFER_ACTIVE, OFFER_PAUSED, OFFER_DELISTED = "active", "paused", "delisted"
OFFER_STATUSES = (OFFER_ACTIVE, OFFER_PAUSED, OFFER_DELISTED)

TITLE_MIN, TITLE_MAX = 3, 200
BRAND_MAX = 80
DESCRIPTION_MAX = 5000
ATTRIBUTES_MAX = 30
ATTRIBUTE_KEY_MAX = 40
ATTRIBUTE_VALUE_MAX = 200
IMAGES_MAX = 10
IMAGE_URL_MAX = 500
GTIN_LENGTHS = (8, 12, 13, 14)
MAX_DELIVERY_DAYS = 60
MAX_STOCK = 1_000_000
MAX_AMOUNT = 100_000_000  # one million in a two-decimal currency: a typo guard, not a business limit

# Product, vendor and offer ids as they may appear in a path or a key (checked before any read).
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,160}$")
_IMAGE_PATH = re.compile(r"^/(?!/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")
_IMAGE_HTTPS = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/?#-]*)?$")


def is_valid_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


# --- GTIN -------------------------------------------------------------------------------

def gs1_check_digit(payload: str) -> int:
    """The GS1 check digit for the digits before it: weights 3,1,3,... from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


def is_valid_gtin(value: str) -> bool:
    return (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value) in GTIN_LENGTHS
        and gs1_check_digit(value[:-1]) == int(value[-1])
    )


def normalise_gtin(value: str) -> str:
    """A valid GTIN-8/12/13/14 as its 14-digit form; raises InvalidInput naming `gtin`."""
    cleaned = value.strip().replace(" ", "").replace("-", "") if isinstance(value, str) else value
    if not isinstance(cleaned, str) or not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) not in GTIN_LENGTHS:
        raise InvalidInput("A GTIN has 8, 12, 13 or 14 digits.", fields={"gtin": "must be 8, 12, 13 or 14 digits"})
    if not is_valid_gtin(cleaned):
        raise InvalidInput("The GTIN's check digit is wrong.", fields={"gtin": "check digit does not match (GS1)"})
    return cleaned.zfill(14)


# --- products ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ProductData:
    """A product's validated, normalised description."""

    title: str
    brand: str
    category: str
    description: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    images: tuple[str, ...] = ()
    gtin: str | None = None  # 14 digits
    # Per language ("en", "fr"): {"title", "description"} besides the main texts above (domain/localized.py).
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def product_id(self) -> str:
        return product_id_for(self.title, self.brand, self.gtin)

    @property
    def title_key(self) -> str:
        return title_key(self.title, self.product_id)


def _text(data: Mapping[str, Any], name: str, errors: dict[str, str], *, required: bool, low: int, high: int) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors[name] = "required"
        return ""
    if not isinstance(value, str):
        errors[name] = "must be a string"
        return ""
    value = " ".join(value.split())  # collapse runs of whitespace and control characters
    if not low <= len(value) <= high:
        errors[name] = f"must be {low} to {high} characters"
    return value


def _attributes(value: Any, errors: dict[str, str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors["attributes"] = "must be an object of short strings"
        return {}
    if len(value) > ATTRIBUTES_MAX:
        errors["attributes"] = f"at most {ATTRIBUTES_MAX} attributes"
        return {}
    out: dict[str, str] = {}
    for key, val in value.items():
        name = " ".join(str(key).split())
        if not 1 <= len(name) <= ATTRIBUTE_KEY_MAX:
            errors[f"attributes.{key}"] = f"names are 1 to {ATTRIBUTE_KEY_MAX} characters"
            continue
        if not isinstance(val, str) or not 1 <= len(" ".join(val.split())) <= ATTRIBUTE_VALUE_MAX:
            errors[f"attributes.{name}"] = f"values are strings of 1 to {ATTRIBUTE_VALUE_MAX} characters"
            continue
        out[name] = " ".join(val.split())
    return out


def is_valid_image(url: Any) -> bool:
    """An https URL or a site-relative path (`/img/kitchen.svg`); never http, data: or javascript:."""
    return isinstance(url, str) and len(url) <= IMAGE_URL_MAX and bool(_IMAGE_PATH.match(url) or _IMAGE_HTTPS.match(url))


def _images(value: Any, errors: dict[str, str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        errors["images"] = "must be a list of URLs"
        return ()
    if len(value) > IMAGES_MAX:
        errors["images"] = f"at most {IMAGES_MAX} images"
        return ()
    for i, url in enumerate(value):
        if not is_valid_image(url):
            errors[f"images.{i}"] = "must be an https URL or a path starting with /"
    return tuple(value)


def validate_product(data: Mapping[str, Any]) -> ProductData:
    """Check every product rule at once; one InvalidInput lists every field that is wrong."""
    errors: dict[str, str] = {}
    title = _text(data, "title", errors, required=True, low=TITLE_MIN, high=TITLE_MAX)
    brand = _text(data, "brand", errors, required=True, low=1, high=BRAND_MAX)
    description = _text(data, "description", errors, required=False, low=0, high=DESCRIPTION_MAX)
    category = data.get("category")
    if category not in CATEGORIES:
        errors["category"] = f"one of {', '.join(CATEGORIES)}"
    attributes = _attributes(data.get("attributes"), errors)
    images = _images(data.get("images"), errors)
    gtin = None
    if data.get("gtin") not in (None, ""):
        try:
            gtin = normalise_gtin(data["gtin"])
        except InvalidInput as err:
            errors.update(err.fields)
    if title and not words(title) and "title" not in errors:
        errors["title"] = "must contain letters or digits"
    translations = _translations(data.get("translations"), errors)
    if errors:
        raise InvalidInput("The product is invalid.", code="validation_error", fields=errors)
    return ProductData(title, brand, category, description, attributes, images, gtin, translations)


TRANSLATION_LANGUAGES = ("en", "fr")


def _translations(value: Any, errors: dict[str, str]) -> dict[str, dict[str, str]]:
    """`{"fr": {"title": ..., "description": ...}}`: the same length rules as the main texts."""
    if value in (None, {}):
        return {}
    if not isinstance(value, Mapping):
        errors["translations"] = f"an object keyed by language ({', '.join(TRANSLATION_LANGUAGES)})"
        return {}
    out: dict[str, dict[str, str]] = {}
    for lang, texts in value.items():
        if lang not in TRANSLATION_LANGUAGES:
            errors[f"translations.{lang}"] = f"one of {', '.join(TRANSLATION_LANGUAGES)}"
            continue
        if not isinstance(texts, Mapping):
            errors[f"translations.{lang}"] = "an object with title and description"
            continue
        sub: dict[str, str] = {}
        title = _text(texts, "title", sub, required=True, low=TITLE_MIN, high=TITLE_MAX)
        description = _text(texts, "description", sub, required=False, low=0, high=DESCRIPTION_MAX)
        if title and not words(title) and "title" not in sub:
            sub["title"] = "must contain letters or digits"
        errors.update({f"translations.{lang}.{name}": why for name, why in sub.items()})
        if not sub:
            out[lang] = {"title": title, "description": description}
    return out


def slugify(text: str, max_len: int = 40) -> str:
    slug = "-".join(words(text))
    return slug[:max_len].rstrip("-") or "product"


def _short_hash(*parts: str, length: int = 12) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]


def product_id_for(title: str, brand: str, gtin: str | None) -> str:
    if gtin:
        return f"prd_{gtin}"
    identity = " ".join(words(brand)), " ".join(words(title))
    return f"prd_{slugify(f'{brand} {title}')}-{_short_hash(*identity, length=10)}"


def title_key(title: str, product_id: str) -> str:
    """Sort key for title order: normalised title, then the id so equal titles stay distinct.

    " #" sorts below every letter, digit and the space that joins words, so "tent" < "tent 2p".
    """
    return f"{' '.join(words(title))[:120]} #{product_id}"


# --- offers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class OfferTerms:
    """What a vendor sets on its offer; validated."""

    price: Money
    shipping_fee: Money
    condition: str
    stock: int
    min_days: int
    max_days: int

    @property
    def total(self) -> Money:
        return offer_total(self.price, self.shipping_fee)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _money_field(value: Any, name: str, platform_currency: str, errors: dict[str, str], *, positive: bool) -> Money | None:
    """An amount as `{"amount", "currency"}` or a bare integer in the platform currency."""
    if isinstance(value, Mapping):
        amount, currency = value.get("amount"), value.get("currency") or platform_currency
        amount_field = f"{name}.amount"
    else:
        amount, currency, amount_field = value, platform_currency, name
    if currency not in CURRENCIES:
        errors[f"{name}.currency"] = f"one of {', '.join(CURRENCIES)}"
        return None
    if currency != platform_currency:
        errors[f"{name}.currency"] = f"offers are priced in {platform_currency}"
        return None
    if not _is_int(amount):
        errors[amount_field] = "required, an integer in minor units (cents)"
        return None
    if amount < (1 if positive else 0) or amount > MAX_AMOUNT:
        errors[amount_field] = "must be greater than 0" if positive and amount < 1 else (
            "must not be negative" if amount < 0 else f"must be at most {MAX_AMOUNT}")
        return None
    return Money(amount, currency)


def validate_offer(data: Mapping[str, Any], platform_currency: str) -> OfferTerms:
    """Check every offer rule at once; one InvalidInput lists every field that is wrong."""
    errors: dict[str, str] = {}
    price = _money_field(data.get("price"), "price", platform_currency, errors, positive=True)
    shipping = _money_field(data.get("shipping_fee", 0), "shipping_fee", platform_currency, errors, positive=False)
    condition = data.get("condition", "new")
    if condition not in CONDITIONS:
        errors["condition"] = f"one of {', '.join(CONDITIONS)}"
    stock = data.get("stock")
    if not _is_int(stock) or not 0 <= stock <= MAX_STOCK:
        errors["stock"] = f"an integer from 0 to {MAX_STOCK}"
    delivery = data.get("delivery")
    min_days = max_days = 0
    if not isinstance(delivery, Mapping):
        errors["delivery"] = "required: {min_days, max_days}"
    else:
        min_days, max_days = delivery.get("min_days"), delivery.get("max_days")
        for name, value in (("min_days", min_days), ("max_days", max_days)):
            if not _is_int(value) or not 0 <= value <= MAX_DELIVERY_DAYS:
                errors[f"delivery.{name}"] = f"an integer from 0 to {MAX_DELIVERY_DAYS}"
        if "delivery.min_days" not in errors and "delivery.max_days" not in errors and min_days > max_days:
            errors["delivery.max_days"] = "must not be less than min_days"
    if price is not None and shipping is not None:
        # One unit must be payable by card, or the offer could be listed but never bought.
        problem = charge_problem(offer_total(price, shipping))
        if problem is not None:
            errors["price"] = (f"price + shipping_fee must be at least {problem.limit.display()} (the smallest card "
                               "payment)" if problem.too_small else
                               f"price + shipping_fee must be at most {problem.limit.display()} (the largest card payment)")
    if errors:
        raise InvalidInput("The offer is invalid.", code="validation_error", fields=errors)
    return OfferTerms(price, shipping, condition, stock, min_days, max_days)


# What each vendor action does to an offer's status: action -> (from statuses, to status).
OFFER_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "pause": ((OFFER_ACTIVE,), OFFER_PAUSED),
    "resume": ((OFFER_PAUSED,), OFFER_ACTIVE),
    "delist": ((OFFER_ACTIVE, OFFER_PAUSED), OFFER_DELISTED),
}


def next_offer_status(current: str, action: str) -> str:
    """The status `action` moves an offer at `current` to. Repeating an action is a no-op (the same
    status comes back); anything done to a delisted offer other than delisting it again is a 409:
    delisting is final."""
    sources, target = OFFER_ACTIONS[action]
    if current == target:
        return current
    if current not in sources:
        raise Conflict("This offer is delisted: it can no longer be changed or sold. Create an offer in another "
                       "condition, or keep it delisted.", code="offer_delisted", fields={"offer_id": "delisted"})
    return target


def ensure_offer_changeable(status: str) -> None:
    """Terms and stock of a delisted offer are frozen (its orders keep their history)."""
    if status == OFFER_DELISTED:
        raise Conflict("This offer is delisted: its terms and stock can no longer change.", code="offer_delisted",
                       fields={"offer_id": "delisted"})


def offer_total(price: Money, shipping_fee: Money) -> Money:
    return price + shipping_fee


def offer_id_for(vendor_id: str, product_id: str, condition: str) -> str:
    return f"off_{_short_hash(vendor_id, product_id, condition, length=20)}"


@dataclass(frozen=True)
class Offer:
    """One vendor's offer as shoppers compare it (stock is what is still available to order)."""

    offer_id: str
    product_id: str
    vendor_id: str
    condition: str
    price: Money
    shipping_fee: Money
    available: int
    min_days: int
    max_days: int
    # Set while a promotion lowers `price` (chalicelib/domain/promotions.py `promoted_offer`): the struck price.
    list_price: Money | None = None
    promotion_id: str | None = None
    status: str = OFFER_ACTIVE

    @property
    def total(self) -> Money:
        return offer_total(self.price, self.shipping_fee)

    @property
    def is_listed(self) -> bool:
        """Shoppers see (and can buy) only active offers; paused and delisted ones leave the catalogue."""
        return self.status == OFFER_ACTIVE

    @property
    def in_stock(self) -> bool:
        return self.available > 0


@dataclass(frozen=True)
class RankedOffer:
    """An offer of a product, and whether it is the product's best offer."""

    offer: Offer
    is_best: bool


def ranking_key(offer: Offer) -> tuple:
    """Cheapest total first; then the faster delivery; then the lower price; then a stable tie-break."""
    return (offer.total.amount, offer.max_days, offer.min_days, offer.price.amount, offer.offer_id)


def rank_offers(offers: Iterable[Offer]) -> list[RankedOffer]:
    """Listed offers in ranking order; the best is the first one a shopper can actually buy (in stock).

    Paused and delisted offers are left out: shoppers neither see nor compare them."""
    ordered = sorted((o for o in offers if o.is_listed), key=ranking_key)
    best = next((o.offer_id for o in ordered if o.in_stock), None)
    return [RankedOffer(o, o.offer_id == best) for o in ordered]


@dataclass(frozen=True)
class ProductSummary:
    """What a product listing shows and filters on, recomputed from the product's listed offers."""

    best_offer: Offer | None  # cheapest in-stock offer; None when nothing is in stock
    offer_count: int
    in_stock: bool
    min_total: int | None  # minor units, over every offer
    min_price: int | None
    vendor_ids: frozenset[str]
    # When a promotion of these offers starts or ends next: the summary is stale from then on.
    stale_at: str | None = None
    listed_offer_ids: tuple[str, ...] = ()  # the offers summarised, in ranking order

    def holder(self, current_holders: Iterable[str] = ()) -> str | None:
        """The offer that should hold the product's listing entry (chalicelib/store/listings.py).

        The best offer while one is in stock; when none is, the listing stays where it is (a sold-out
        product keeps its entry, `in_stock` false) if that offer is still listed, else goes to the
        first listed offer; None when no offer is listed at all (the product then lists as offerless).
        """
        if self.best_offer is not None:
            return self.best_offer.offer_id
        listed = set(self.listed_offer_ids)
        kept = sorted(h for h in current_holders if h in listed)
        if kept:
            return kept[0]
        return self.listed_offer_ids[0] if self.listed_offer_ids else None

    @property
    def best_total(self) -> int | None:
        return self.best_offer.total.amount if self.best_offer else None

    @property
    def listed_total(self) -> int | None:
        """The total price filters compare: the best offer's, or the cheapest offer's when none is in stock."""
        return self.best_total if self.best_offer else self.min_total


def summarise(offers: Iterable[Offer]) -> ProductSummary:
    ranked = rank_offers(offers)
    best = next((r.offer for r in ranked if r.is_best), None)
    return ProductSummary(
        best_offer=best,
        offer_count=len(ranked),
        in_stock=best is not None,
        min_total=min((r.offer.total.amount for r in ranked), default=None),
        min_price=min((r.offer.price.amount for r in ranked), default=None),
        vendor_ids=frozenset(r.offer.vendor_id for r in ranked),
        listed_offer_ids=tuple(r.offer.offer_id for r in ranked),
    )


# --- browsing filters -------------------------------------------------------------------

@dataclass(frozen=True)
class BrowseFilters:
    """What a shopper filters the catalogue by (text, category, vendor, price range...)."""

    q: str | None = None
    category: str | None = None
    vendor: str | None = None
    min_price: int | None = None  # minor units, compared with the listed total
    max_price: int | None = None
    in_stock: bool | None = None

    def __post_init__(self) -> None:
        errors = {}
        if self.category is not None and self.category not in CATEGORIES:
            errors["category"] = f"one of {', '.join(CATEGORIES)}"
        for name in ("min_price", "max_price"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value < 0):
                errors[name] = "a non-negative integer in minor units"
        if not errors and self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            errors["max_price"] = "must not be below min_price"
        if errors:
            raise InvalidInput("The filters are invalid.", code="validation_error", fields=errors)



class Compare(StrEnum):
    EQUALS = "equals"
    CONTAINS = "contains"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


@dataclass(frozen=True)
class SummaryClause:
    """One condition on a product's summary attribute (`in_stock`, `vendor_ids`, `listed_total`)."""

    attribute: str
    compare: Compare
    value: Any


def summary_clauses(filters: BrowseFilters) -> list[SummaryClause]:
    """The filters on the summary, beside the category (browse queries the category's index for it).

    The one statement of what each filter means: search applies them in memory (`summary_matches`),
    browse as DynamoDB filter expressions built from the same clauses (store/products.py). A
    product without a listed total (nothing in stock) never matches a price bound, in both.
    """
    clauses = []
    if filters.in_stock is not None:
        clauses.append(SummaryClause("in_stock", Compare.EQUALS, filters.in_stock))
    if filters.vendor is not None:
        clauses.append(SummaryClause("vendor_ids", Compare.CONTAINS, filters.vendor))
    if filters.min_price is not None:
        clauses.append(SummaryClause("listed_total", Compare.AT_LEAST, filters.min_price))
    if filters.max_price is not None:
        clauses.append(SummaryClause("listed_total", Compare.AT_MOST, filters.max_price))
    return clauses


def _holds(clause: SummaryClause, actual: Any) -> bool:
    if clause.compare is Compare.EQUALS:
        return actual == clause.value
    if clause.compare is Compare.CONTAINS:
        return clause.value in set(actual or ())
    if actual is None:
        return False
    return actual >= clause.value if clause.compare is Compare.AT_LEAST else actual <= clause.value


def summary_matches(filters: BrowseFilters, *, category: str, vendor_ids: Iterable[str], in_stock: bool,
                    listed_total: int | None) -> bool:
    """The filters as a predicate (search applies them in memory; browse as DynamoDB filter expressions)."""
    if filters.category is not None and category != filters.category:
        return False
    summary = {"in_stock": in_stock, "vendor_ids": vendor_ids, "listed_total": listed_total}
    return all(_holds(clause, summary[clause.attribute]) for clause in summary_clauses(filters))
