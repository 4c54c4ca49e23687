"""The ports the use cases depend on (pure: Protocols). Adapters: chalicelib/store/order_repository.py and
chalicelib/store/cart_repository.py, chalicelib/store/offer_catalogue.py (DynamoDB), chalicelib/store/memory.py (in memory, for use-case tests)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.order_effects import Effect, ReserveStock
from chalicelib.domain.orders import Order


class ConcurrentUpdate(Exception):
    """The order changed since it was read (its version moved): reload and apply again."""


# --- why a placement was refused (nothing was written) -------------------------------------------
# Besides these, a reservation that would oversell or whose price/shipping changed refuses the whole
# placement with CartChanged (naming each line), and a write conflict with StockBusy (both 409s,
# chalicelib/store/stock.py).


class OrderExists(Exception):
    """The order id is already taken: a retried checkout (crash after the placement). Return that order."""

    def __init__(self, order_id: str):
        super().__init__(order_id)
        self.order_id = order_id


class PendingOrderChanged(Exception):
    """Another checkout of the same cart placed its order meanwhile: resume that one."""


class OrderNumberTaken(Exception):
    """Another order has this order number (rare): place it again with the next number."""


class AddressBookChanged(Exception):
    """The shopper's address book changed since the checkout read it (rare): place the order again
    without keeping the address."""


@dataclass(frozen=True)
class AddressToRemember:
    """A checkout's inline address, kept in the shopper's book by the placement itself."""

    shopper_id: str
    address_id: str
    address: dict
    book_exists: bool  # read with the cart: decides between creating the book and adding an entry
    max_entries: int


@dataclass(frozen=True)
class CheckoutWrites:
    """What a checkout writes beside its new order, in the same all-or-nothing placement."""

    # The cart's pending order as the checkout read it (None: none). The cart is then set to name the
    # new order only if it still names this one, so two Pay clicks of one cart place one order.
    cart_pending_order_id: str | None
    # The shopper's first payment-provider customer id, recorded unless another one was meanwhile.
    new_customer_id: str | None = None
    address_to_remember: AddressToRemember | None = None
    # The promotions the lines are charged with (domain/promotions.py PromotionHold): each must still run.
    promotion_holds: tuple = ()
    # Each vendor of the order with its offer ids: each must still be allowed to sell (domain/vendors.py
    # `can_sell`), else CartChanged naming its lines (`vendor_not_selling`).
    selling_vendors: tuple[tuple[str, tuple[str, ...]], ...] = ()


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def place(self, order: Order, reserve: ReserveStock, *, checkout: CheckoutWrites) -> None:
        """Write a new order with its vendor orders, its order number's claim, `reserve` (each line's
        stock held on condition that enough is available at the price and shipping the shopper saw)
        and `checkout`'s writes, all or nothing; sets `order.version` to 1.

        Raises (nothing written): OrderExists, PendingOrderChanged, CartChanged, OrderNumberTaken,
        AddressBookChanged, StockBusy, in that order of precedence."""
        ...

    def attach_payment(self, order_id: str, payment_intent_id: str, client_secret: str | None) -> None:
        """Record the order's PaymentIntent (the same one again changes nothing; another one: Conflict)."""
        ...

    def find_by_payment_intent(self, payment_intent_id: str) -> Order | None: ...

    def save(self, order: Order, *, effects: list[Effect]) -> None:
        """Save the order if its version is still the one read, with the stock moves among `effects`
        in the same transaction and the other effects added to its outbox; bumps `order.version`.
        Raises ConcurrentUpdate when the version moved."""
        ...

    def list_expired_pending(self, now_iso: str, limit: int) -> list[str]: ...

    def list_due_payouts(self, before_iso: str, limit: int) -> list[tuple[str, str]]:
        """(order_id, vendor_id) of the payouts due since before `before_iso`, oldest first."""
        ...

    def list_receipt_due(self, shipped_before_iso: str, limit: int) -> list[tuple[str, str]]:
        """(order_id, vendor_id) shipped before `shipped_before_iso`, receipt not confirmed, oldest first."""
        ...

    def list_refund_attention(self, limit: int, cursor: str | None) -> tuple[list[tuple[str, str]], str | None]:
        """(order_id, vendor_id) with a case refund failed or a reversal refused, oldest first, and the cursor."""
        ...

    def list_vendor_orders(self, vendor_id: str, *, status: str | None, limit: int,
                           cursor: str | None) -> tuple[list[Order], str | None]:
        """The vendor's paid orders, newest first (optionally whose sub-order is in `status`), and the cursor."""
        ...


class OfferForCart(Protocol):
    """An offer's current terms and stock as the cart compares them with a line's snapshot (minor units)."""

    offer_id: str
    product_id: str
    vendor_id: str
    product_title: str
    condition: str
    currency: str
    price: int
    shipping_fee: int
    available: int
    offer_status: str  # active, paused or delisted (domain/catalog.py OFFER_STATUSES)


class CartCatalog(Protocol):
    """What the cart use cases read of the catalogue."""

    def get_offer(self, offer_id: str) -> OfferForCart | None: ...

    def get_offers(self, offer_ids: Iterable[str]) -> dict[str, OfferForCart]:
        """Unknown ids are absent from the result."""
        ...

    def selling_vendors(self, vendor_ids: Iterable[str]) -> set[str]:
        """The vendors among these whose offers are live (approved, payouts ready, not suspended)."""
        ...

    def vendor_names(self, vendor_ids: Iterable[str]) -> dict[str, str]: ...


class CartRepository(Protocol):
    """The shoppers' carts (`Cart`/`CartLine` of chalicelib/store/carts.py: plain dataclasses)."""

    def get_cart(self, shopper_id: str): ...

    def get_for_checkout(self, shopper_id: str) -> tuple:
        """(cart, the shopper's payment-provider customer id or None, their address book
        {address_id: address} or None when they have none yet): what a checkout reads, at once."""
        ...

    def forget_pending_order(self, shopper_id: str, order_id: str) -> None:
        """The cart stops naming `order_id` as its unpaid order, only if it still names it."""
        ...

    def save_lines(self, cart, lines: Sequence):
        """Replace the cart's lines if the cart is still at the version read (Conflict `cart_conflict`
        otherwise); returns the cart as saved."""
        ...


class OfferCatalogue(Protocol):
    """The catalogue as the vendor offer use cases read and write it: vendors, products, offers (terms and
    stock, conditional on the version read), stock adjustments (once per key) and product summaries.

    Records are the store's (chalicelib/store/offers.py `OfferRules` says what an offer knows); a write
    whose condition failed returns None (re-read and decide again)."""

    def get_vendor(self, vendor_id: str): ...

    def vendor_names(self, vendor_ids: Iterable[str]) -> dict[str, str]: ...

    def selling_vendors(self, vendor_ids: Iterable[str]) -> set[str]:
        """The vendors among these whose offers are live (chalicelib/domain/vendors.py `can_sell`)."""
        ...

    def get_product(self, product_id: str, *, consistent: bool = False): ...

    def get_products(self, product_ids: Iterable[str], *, consistent: bool = False) -> dict: ...

    def get_offer(self, offer_id: str, *, consistent: bool = True): ...

    def get_offers(self, offer_ids: Iterable[str], *, consistent: bool = False) -> dict: ...

    def insert_offer(self, offer_id: str, vendor_id: str, product, terms): ...

    def update_offer_terms(self, offer_id: str, vendor_id: str, terms, *, expected_version: int,
                           declare_stock: bool): ...

    def set_offer_status(self, offer_id: str, vendor_id: str, status: str, *, expected_version: int): ...

    def adjust_stock(self, offer_id: str, vendor_id: str, delta: int, reason: str, key: str, *,
                     max_available: int): ...

    def product_offers(self, product_id: str, *, stock: bool = True) -> list: ...

    def vendor_offers(self, vendor_id: str, limit: int, cursor: str | None) -> tuple[list, str | None]: ...

    def save_summary(self, product_id: str, summary, best_vendor_name: str | None, *,
                     offers=None) -> bool | None:
        """Store the product's listing; `offers`: the product's offers as just read. False: another refresh
        moved the listing meanwhile (read the offers again and retry)."""


class VendorLedger(Protocol):
    """The vendor ledger as its readers see it (chalicelib/domain/vendor_ledger.py); entries are written
    by the OrderRepository, with the order change that books them (an admin's adjustment: `put_new`). Adapters: chalicelib/store/ledger.py,
    chalicelib/store/memory.py."""

    def page(self, vendor_id: str, *, limit: int, cursor: str | None, since: str | None = None,
             until: str | None = None) -> tuple[list, str | None]:
        """Newest first, within [since, until] (ISO prefixes)."""
        ...

    def entries(self, vendor_id: str, *, since: str | None = None, until: str | None = None) -> Iterable: ...

    def all_entries(self) -> Iterable: ...

    def put_new(self, entry) -> tuple:
        """An entry of no order change (an admin's adjustment), once per id: (the stored entry, created)."""
        ...


class CommissionRuleStore(Protocol):
    """The platform's commission rules (chalicelib/domain/commissions.py), versioned."""

    def get(self) -> tuple: ...  # (CommissionRules, version, updated_at)

    def put(self, rules, *, expected_version: int | None, at: str, by: str) -> int:
        """Save if still at `expected_version` (None: any); Conflict `version_conflict` otherwise."""
        ...
