"""Pydantic models of the catalogue API (public and vendor routes): the contract, typed.

Types are checked here; the business rules (lengths, GTIN check digit, taxonomy, price > 0...)
live in `chalicelib.domain.catalog`, which reports every wrong field at once.
"""

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from chalicelib.schema import ApiModel, MultilineText, QueryModel, StrictInteger, Text, bounded

# --- responses --------------------------------------------------------------------------


class MoneyOut(ApiModel):
    amount: int = Field(description="Minor units (cents)")
    currency: str


class Delivery(ApiModel):
    min_days: int
    max_days: int


class OfferView(ApiModel):
    offer_id: str
    product_id: str
    vendor_id: str
    vendor_name: str
    condition: str
    price: MoneyOut
    shipping_fee: MoneyOut
    total: MoneyOut = Field(description="price + shipping_fee, VAT included")
    available: int
    in_stock: bool
    delivery: Delivery
    is_best: bool
    list_price: MoneyOut | None = Field(None, description="While a promotion runs: the price before it (struck); "
                                                           "`price` and `total` are then the promoted ones")
    promotion_id: str | None = Field(None, description="The promotion that lowers `price`, if any")


class VendorOfferView(OfferView):
    product_title: str
    stock: int = Field(description="Units on hand: not sold yet (available + reserved). What `stock` declares.")
    reserved: int = Field(description="Units held by unpaid orders (released if unpaid, sold when paid)")
    sold: int = Field(description="Units of paid orders: no longer on hand")
    version: int = Field(description="Moves on every change you make; also sent as the `ETag` header. "
                                     "Send it back as `If-Match` to update only what you read.")
    updated_at: str
    status: str = Field(description="active (listed), paused (hidden until resumed) or delisted (final)")
    product_proposed_by_you: bool | None = Field(
        None, description="In your offers list: true when you proposed the product (you may edit it with "
                          "PUT /vendor/products/{product_id}); null in other answers")


class StockAdjustmentView(ApiModel):
    offer_id: str
    delta: int
    reason: str
    applied_at: str
    idempotency_key: str


class StockAdjustmentOut(ApiModel):
    adjustment: StockAdjustmentView = Field(description="The adjustment this Idempotency-Key applied (once)")
    offer: VendorOfferView = Field(description="The offer as it is now")


class ProductSummaryView(ApiModel):
    product_id: str
    title: str
    brand: str
    category: str
    image: str | None
    offer_count: int
    in_stock: bool
    best_offer: OfferView | None


class FacetValue(ApiModel):
    value: str
    count: int = Field(description="Products with this value once the other facets' selections apply")
    selected: bool
    label: str | None = Field(None, description="Categories: the name in the requested language")


class Breadcrumb(ApiModel):
    label: str
    category: str | None
    q: str | None


class ProductList(ApiModel):
    items: list[ProductSummaryView]
    next_cursor: str | None = Field(description="Pass back as `cursor` for the next page; null on the last page")
    # The ranked listing (a query, a sort or a facet was given) also answers these:
    total: int | None = Field(None, description="Products in the listing (of at most 300 candidates)")
    sort: str | None = Field(None, description="relevance, price (total incl. delivery, cheapest first) or newest")
    facets: dict[str, list[FacetValue]] | None = Field(
        None, description="category, brand, condition (of the best offer), price_band (on the total)")
    did_you_mean: str | None = Field(None, description="A corrected or shorter query worth trying")
    relaxed: bool = Field(False, description="No product matches every word: these match `did_you_mean`")
    truncated: bool = Field(False, description="More candidates existed than one listing considers")
    breadcrumbs: list[Breadcrumb] | None = None
    lang: str | None = Field(None, description="The language of the titles (en or fr)")


class TranslationOut(ApiModel):
    title: str
    description: str


class ProductDetail(ApiModel):
    product_id: str
    title: str = Field(description="In the requested language (`lang`, then Accept-Language), else the main title")
    description: str
    translations: dict[str, TranslationOut] = Field(default_factory=dict,
                                                    description="Texts per language besides the main ones")
    brand: str
    category: str
    attributes: dict[str, str]
    images: list[str]
    gtin: str | None = Field(description="GTIN-14 (GTIN-8/12/13 are left-padded with zeros)")


class ProductPage(ApiModel):
    product: ProductDetail
    offers: list[OfferView] = Field(description="Cheapest total first")
    best_offer_id: str | None = Field(description="Cheapest in-stock offer; null when nothing is in stock")


class Category(ApiModel):
    slug: str
    name: str


class CategoryList(ApiModel):
    items: list[Category]


class VendorOfferList(ApiModel):
    items: list[VendorOfferView]
    next_cursor: str | None


# --- queries ----------------------------------------------------------------------------




class ProductQuery(QueryModel):
    q: bounded(Text, max_length=100) | None = Field(None, description="Words matched as prefixes of title/brand words (AND)")
    category: bounded(Text, max_length=40) | None = Field(None, description="A slug from /catalog/categories")
    vendor: bounded(Text, max_length=128) | None = Field(None, description="Only products this vendor offers")
    min_price: int | None = Field(None, ge=0, description="Minor units; compared with the best offer's total")
    max_price: int | None = Field(None, ge=0, description="Minor units; compared with the best offer's total")
    in_stock: bool | None = None
    limit: int = Field(24, ge=1, le=50)
    cursor: str | None = Field(None, max_length=2048)
    sort: Literal["relevance", "price", "newest"] | None = Field(
        None, description="relevance (default), price (total incl. delivery), newest")
    brand: bounded(Text, max_length=80) | None = Field(None, description="Facet: exactly this brand")
    condition: Literal["new", "refurbished", "used"] | None = Field(None, description="Facet: the best offer's")
    price_band: Literal["0-20", "20-50", "50-100", "100-200", "200+"] | None = Field(
        None, description="Facet: the best offer's total, in whole currency units")
    lang: Literal["en", "fr"] | None = Field(None, description="Language of the texts; else Accept-Language")


class VendorOffersQuery(QueryModel):
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


# --- vendor bodies ----------------------------------------------------------------------


class TranslationIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    title: Text = Field(description="The same rules as the main title")
    description: MultilineText = ""


class ProductEditIn(ApiModel):
    """A product's description as its proposer edits it (the id and GTIN never change)."""

    model_config = ConfigDict(extra="forbid")

    title: Text = Field(description="10 to 120 characters, not in capitals, no promotional words or '!' "
                                    "(a known GTIN returns the existing product without these checks)")
    brand: Text = Field(description="1 to 80 characters")
    category: Text = Field(description="A slug from /catalog/categories; some require attributes "
                                       "(electronics: model; fashion: size, colour; beauty: volume)")
    description: MultilineText = ""
    attributes: dict[Text, Text] = Field(default_factory=dict, description="Short name -> short value")
    images: list[Text] = Field(default_factory=list, description="https URLs, site paths such as /img/kitchen.svg, "
                                                                  "or the URLs of images you attached")
    translations: dict[Literal["en", "fr"], TranslationIn] | None = Field(
        None, description="Title and description in other languages: shoppers asking for one get it, others the "
                          "main texts; search finds the product by every title. Left out of an edit: kept as is")


class ProductIn(ProductEditIn):
    model_config = ConfigDict(extra="forbid")

    gtin: Text | None = Field(None, description="GTIN-8/12/13/14 with a valid GS1 check digit")


class ImageUploadIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    content_type: Text = Field(description="image/jpeg, image/png or image/webp: the type of the file you will send")


class ImageUploadOut(ApiModel):
    url: str = Field(description="POST a multipart form here: every `fields` entry, then the file as `file`")
    fields: dict[str, str]
    key: str = Field(description="Where the file will be stored; send it to .../images to attach it")
    max_bytes: int
    expires_in: int = Field(description="Seconds the upload form stays valid")


class ImageAttachIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    key: bounded(Text, 1, 300) = Field(description="The `key` of an upload you made")


class MoneyIn(ApiModel):
    """`{"amount": 1299, "currency": "EUR"}`; a bare integer means minor units of the platform currency."""

    model_config = ConfigDict(extra="forbid")

    amount: StrictInteger
    currency: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_amount(cls, data: Any) -> Any:
        if isinstance(data, (int, float, str)) and not isinstance(data, bool):
            return {"amount": data}  # StrictInteger then refuses 12.5 or "12" as `price.amount`
        return data


class DeliveryIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    min_days: StrictInteger
    max_days: StrictInteger


class OfferIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    price: MoneyIn
    shipping_fee: MoneyIn = Field(default_factory=lambda: MoneyIn(amount=0))
    condition: Text = Field("new", description="new, refurbished or used")
    stock: StrictInteger = Field(description=(
        "Units ON HAND for this offer: units you hold that are not sold yet (available + reserved by unpaid "
        "orders; units of paid orders are sold and not counted). Units available = stock - reserved, computed "
        "atomically; stock below reserved is a 409. Re-sending your last declaration changes nothing, whatever "
        "was sold or reserved since: use a stock adjustment (delta) to count changes, or If-Match to declare "
        "a fresh count against the version you read."))
    delivery: DeliveryIn

    @field_validator("condition")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class StockAdjustmentIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    delta: StrictInteger = Field(description="Units to add (received) or remove (negative: broken, lost, miscounted); "
                                         "units available never go below 0 (409 naming `delta`)")
    reason: bounded(Text, 1, 200) = Field(description="Why (kept with the adjustment), 1 to 200 characters")
    condition: Text = Field("new", description="Which of your offers: new, refurbished or used")

    @field_validator("condition")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()
