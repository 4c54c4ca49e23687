"""Public catalogue routes: categories, browsing/search, and a product's page with every offer."""

from chalice import Blueprint

from chalicelib.api import route
from chalicelib.handlers.catalog_models import CategoryList, ProductList, ProductPage, ProductQuery

bp = Blueprint(__name__)


@route(bp, "/catalog/categories", response=CategoryList, tags=("catalog",), summary="The platform's categories")
def catalog_categories(req):
    from chalicelib.services import catalog

    return CategoryList.model_validate(catalog.categories(_page_language(req)))


@route(bp, "/catalog/products", query=ProductQuery, response=ProductList, tags=("catalog",), errors=(400,),
       summary="Browse or search products, with the best offer of each")
def catalog_products(req):
    from chalicelib.domain.catalog import BrowseFilters  # with the use case, on first use (cold start)
    from chalicelib.services import catalog

    query: ProductQuery = req.query
    filters = BrowseFilters(q=query.q, category=query.category, vendor=query.vendor, min_price=query.min_price,
                            max_price=query.max_price, in_stock=query.in_stock)
    listing = {"sort": query.sort, "brand": query.brand, "condition": query.condition, "price_band": query.price_band}
    return ProductList.model_validate(catalog.browse(filters, query.limit, query.cursor, lang=_language(req),
                                                     listing=listing))


def _language(req) -> str:
    from chalicelib.domain.localized import preferred_language

    return preferred_language(getattr(req.query, "lang", None), req.header("Accept-Language"))


@route(bp, "/catalog/products/{product_id}", response=ProductPage, tags=("catalog",), errors=(400, 404),
       summary="A product with every vendor's offer, cheapest total first")
def catalog_product(req):
    from chalicelib.services import catalog

    return ProductPage.model_validate(catalog.product_page(req.params["product_id"], _page_language(req)))


def _page_language(req) -> str:
    """`?lang=en|fr` (else Accept-Language) on the product page, which takes no other query parameter.

    Read from the raw query rather than a query model, so that a value the store refuses in the
    path is still reported as the path's (chalicelib/api.py names the query when a route has one).
    """
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.domain.localized import LANGUAGES, preferred_language

    lang = (bp.current_request.query_params or {}).get("lang")
    if lang is not None and lang not in LANGUAGES:
        raise InvalidInput("The language is not one we speak.", code="validation_error",
                           fields={"lang": f"one of {', '.join(LANGUAGES)}"})
    return preferred_language(lang, req.header("Accept-Language"))
