"""The vendor offer use cases' port over DynamoDB (chalicelib/domain/ports.py: OfferCatalogue)."""

from __future__ import annotations

from chalicelib.store import offers, product_summaries, products, promotions, stock_adjustments, vendors


class DynamoOfferCatalogue:
    get_vendor = staticmethod(vendors.get_vendor)
    vendor_names = staticmethod(vendors.vendor_names)
    get_product = staticmethod(products.get_product)
    get_products = staticmethod(products.get_products)
    get_offer = staticmethod(offers.get_offer)
    get_offers = staticmethod(offers.get_offers)
    insert_offer = staticmethod(offers.insert_offer)
    update_offer_terms = staticmethod(offers.update_offer_terms)
    set_offer_status = staticmethod(offers.set_offer_status)
    adjust_stock = staticmethod(stock_adjustments.adjust_stock)
    product_offers = staticmethod(offers.product_offers)
    vendor_offers = staticmethod(offers.vendor_offers)
    save_summary = staticmethod(product_summaries.save_summary)
    current_promotions = staticmethod(promotions.current_promotions)
