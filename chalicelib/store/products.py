"""DynamoDB storage of the shared catalogue's products and their browse listing.

Table `products` (pk product_id; GSI by_category(category, title_key), by_gtin(gtin)). A product
item says what the product is (the card's data); what its offers make of it in the listing (in stock,
best offer, totals) lives on its best offer: chalicelib/store/listings.py, which also reads by_category
(a product without any offer is listed from it).
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.domain.catalog import ProductData, title_key
from chalicelib.store.base import bind, conditional_failed, register, utc_now


class ByCategory(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_category"
        projection = AllProjection()

    category = UnicodeAttribute(hash_key=True)
    title_key = UnicodeAttribute(range_key=True)


class ByGtin(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_gtin"
        projection = KeysOnlyProjection()

    gtin = UnicodeAttribute(hash_key=True)


@register
class ProductItem(Model):
    class Meta:
        short_name = "products"
        table_name = None
        region = None

    product_id = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute()
    title_key = UnicodeAttribute()
    brand = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    category = UnicodeAttribute()
    specs = MapAttribute(attr_name="attributes", default=dict)
    images = ListAttribute(of=UnicodeAttribute, default=list)
    gtin = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # {"fr": {"title", "description"}, ...}: the texts in other languages (chalicelib/domain/localized.py)
    translations = MapAttribute(null=True)

    by_category = ByCategory()
    by_gtin = ByGtin()

    @property
    def translations_dict(self) -> dict[str, dict[str, str]]:
        value = self.translations
        raw = value.as_dict() if isinstance(value, MapAttribute) else value or {}
        return {lang: dict(texts) for lang, texts in raw.items()}

    @property
    def attributes_dict(self) -> dict[str, str]:
        specs = self.specs
        return dict(specs.as_dict() if isinstance(specs, MapAttribute) else specs or {})


def get_product(product_id: str, *, consistent: bool = False) -> ProductItem | None:
    bind()
    try:
        return ProductItem.get(product_id, consistent_read=consistent)
    except ProductItem.DoesNotExist:
        return None


def get_products(product_ids: Iterable[str], *, consistent: bool = False) -> dict[str, ProductItem]:
    """Products by id (BatchGetItem, 100 keys a request); unknown ids are absent."""
    bind()
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    return {p.product_id: p for p in ProductItem.batch_get(ids, consistent_read=consistent)}


def insert_product(data: ProductData, created_by: str) -> ProductItem | None:
    """Write a new product; None when a product with this id already exists."""
    bind()
    item = ProductItem(
        data.product_id,
        title=data.title,
        title_key=data.title_key,
        brand=data.brand,
        description=data.description,
        category=data.category,
        specs=dict(data.attributes),
        images=list(data.images),
        gtin=data.gtin,
        created_by=created_by,
        created_at=utc_now(),
        translations={lang: dict(texts) for lang, texts in data.translations.items()} or None,
    )
    try:
        item.save(condition=ProductItem.product_id.does_not_exist())
    except PutError as err:
        if conditional_failed(err):
            return None
        raise
    return item


def update_product_description(product_id: str, data: ProductData, *, created_by: str,
                               expected_title_key: str) -> ProductItem | None:
    """Rewrite what a product says about itself (not its id, GTIN or offers' summary), conditional on the
    product being `created_by`'s and still at the title read; None when a condition failed."""
    bind()
    P = ProductItem
    item = ProductItem(product_id)
    try:
        item.update(actions=[
            P.title.set(data.title), P.title_key.set(title_key_for(data, product_id)), P.brand.set(data.brand),
            P.description.set(data.description), P.category.set(data.category), P.specs.set(dict(data.attributes)),
            P.images.set(list(data.images)),
            P.translations.set({lang: dict(texts) for lang, texts in data.translations.items()}),
        ], condition=P.product_id.exists() & (P.created_by == created_by) & (P.title_key == expected_title_key))
    except UpdateError as err:
        if conditional_failed(err):
            return None
        raise
    return item


def set_product_images(product_id: str, images: list[str], *, created_by: str, expected: list[str]) -> bool:
    """Replace the product's image list if it is still `expected` (a concurrent attach re-reads and retries)."""
    bind()
    P = ProductItem
    condition = P.product_id.exists() & (P.created_by == created_by)
    condition &= (P.images == expected) if expected else (P.images.does_not_exist() | (P.images == []))
    try:
        ProductItem(product_id).update(actions=[P.images.set(images)], condition=condition)
    except UpdateError as err:
        if conditional_failed(err):
            return False
        raise
    return True


def title_key_for(data: ProductData, product_id: str) -> str:
    """The sort key of an edited product: its new title, its unchanged id."""
    return title_key(data.title, product_id)
