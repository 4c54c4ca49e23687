"""The production adapters of the order use cases, built on first use (cold starts stay small)."""

from __future__ import annotations

from chalicelib.payments.port import PaymentGateway


def order_repository():
    from chalicelib.store.order_repository import DynamoOrderRepository

    return DynamoOrderRepository()


def cart_repository():
    from chalicelib.store.cart_repository import DynamoCarts

    return DynamoCarts()


def cart_catalog():
    from chalicelib.store.cart_repository import DynamoCartCatalog

    return DynamoCartCatalog()


def offer_catalogue():
    from chalicelib.store.offer_catalogue import DynamoOfferCatalogue

    return DynamoOfferCatalogue()


def payment_gateway() -> PaymentGateway:
    from chalicelib.payments import get_gateway

    return get_gateway()


def effect_runner(gateway: PaymentGateway | None = None):
    from chalicelib.services.effect_runner import EffectRunner
    from chalicelib.settings import get_settings

    return EffectRunner(gateway=(lambda: gateway) if gateway is not None else payment_gateway,
                        release_payouts_at_payment=get_settings().payout_release == "at_payment")


def vendor_ledger():
    from chalicelib.store.ledger import DynamoLedger

    return DynamoLedger()


def commission_rules():
    from chalicelib.settings import get_settings
    from chalicelib.store.commission_rules import DynamoCommissionRules

    return DynamoCommissionRules(default_bps=get_settings().commission_bps)
