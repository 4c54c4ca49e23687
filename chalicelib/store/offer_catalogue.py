"""The vendor offer use cases' port over DynamoDB (chalicelib/domain/ports.py: OfferCatalogue)."""

from __future__ import annotations

from chalicelib.store import listings, offers, products, promotions, stock_adjustments, vendors


class DynamoOfferCatalogue:
    get_vendor = staticmethod(vendors.get_vendor)
    vendor_names = staticmethod(vendors.vendor_names)
    selling_vendors = staticmethod(vendors.selling_vendors)
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
    save_summary = staticmethod(listings.save_summary)
    # An import's first offers of a product: the offer item written once with the listing entry.
    new_offer_item = staticmethod(offers.new_offer_item)
    save_new_offer = staticmethod(offers.save_new_offer)
    carry_entry = staticmethod(listings.carry_entry)
    listing_of = staticmethod(listings.listing_of)
    current_promotions = staticmethod(promotions.current_promotions)
