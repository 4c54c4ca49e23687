"""One cart item per shopper (table `carts`, pk shopper_id).

Lines are a map offer_id -> snapshot of the offer's terms when the shopper set the quantity
(price, shipping fee, vendor, product, title, condition). Checkout re-checks exactly these terms with the
reservation transaction's conditions, so it never has to read the offers first.

`get_cart_customer_and_address_book` reads the cart, the shopper's payment-provider customer id and address book in one
round trip (TransactGetItems) for checkout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib.domain.errors import Conflict
from chalicelib.domain.timestamps import now_iso
from chalicelib.store.base import bind, register


@register
class CartModel(Model):
    class Meta:
        short_name = "carts"

    shopper_id = UnicodeAttribute(hash_key=True)
    lines = MapAttribute(default=dict)  # offer_id -> CartLine.to_item()
    updated_at = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    pending_order_id = UnicodeAttribute(null=True)  # the unpaid order last checked out from this cart


@dataclass(frozen=True)
class CartLine:
    """One offer in a shopper's cart, with the price and shipping the shopper saw."""

    offer_id: str
    quantity: int
    product_id: str
    vendor_id: str
    title: str
    currency: str
    price: int  # minor units, the offer's price when the quantity was set
    shipping_fee: int
    added_at: str
    vendor_name: str = ""  # the shop's name when added (lines added before it was kept have "")
    condition: str = ""  # new | refurbished | used, when added ("" for lines added before it was kept)
    # The promotion the shopper saw on the line (domain/promotions.py): checkout charges price - unit_discount
    # while it runs, with no read of its own; "" / 0 when none applied.
    promotion_id: str = ""
    unit_discount: int = 0
    promotion_ends_at: str = ""
    promotion_version: int = 1  # the promotion's version the line saw (an edit moves it on)

    def to_item(self) -> dict:
        promotion = ({"promotion_id": self.promotion_id, "unit_discount": self.unit_discount,
                      "promotion_ends_at": self.promotion_ends_at, "promotion_version": self.promotion_version}
                     if self.promotion_id else {})
        return {
            **promotion,
            "quantity": self.quantity,
            "product_id": self.product_id,
            "vendor_id": self.vendor_id,
            "title": self.title,
            "currency": self.currency,
            "price": self.price,
            "shipping_fee": self.shipping_fee,
            "added_at": self.added_at,
            "vendor_name": self.vendor_name,
            "condition": self.condition,
        }

    @classmethod
    def from_item(cls, offer_id: str, item: dict) -> CartLine:
        return cls(
            offer_id=offer_id,
            quantity=int(item["quantity"]),
            product_id=item["product_id"],
            vendor_id=item["vendor_id"],
            title=item.get("title", ""),
            currency=item["currency"],
            price=int(item["price"]),
            shipping_fee=int(item["shipping_fee"]),
            added_at=item.get("added_at", ""),
            vendor_name=item.get("vendor_name", ""),
            condition=item.get("condition", ""),
            promotion_id=item.get("promotion_id", ""),
            unit_discount=int(item.get("unit_discount", 0)),
            promotion_ends_at=item.get("promotion_ends_at", ""),
            promotion_version=int(item.get("promotion_version", 1)),
        )


@dataclass
class Cart:
    """A shopper's cart: its lines, version and the order it is being paid by."""

    shopper_id: str
    lines: list[CartLine] = field(default_factory=list)
    version: int = 0  # 0: no item yet
    pending_order_id: str | None = None

    def line(self, offer_id: str) -> CartLine | None:
        return next((line for line in self.lines if line.offer_id == offer_id), None)


def _plain(value):
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    return {k: (v.as_dict() if isinstance(v, MapAttribute) else v) for k, v in (value or {}).items()}


def _from_model(model: CartModel) -> Cart:
    lines = [CartLine.from_item(offer_id, item) for offer_id, item in _plain(model.lines).items()]
    lines.sort(key=lambda line: (line.added_at, line.offer_id))
    return Cart(model.shopper_id, lines, int(model.version or 0), model.pending_order_id)


def get_cart(shopper_id: str, *, consistent: bool = True) -> Cart:
    """The shopper's cart (an empty one when none was saved yet). One GetItem."""
    bind()
    try:
        return _from_model(CartModel.get(shopper_id, consistent_read=consistent))
    except CartModel.DoesNotExist:
        return Cart(shopper_id)


def get_cart_customer_and_address_book(shopper_id: str) -> tuple[Cart, str | None, dict[str, dict] | None]:
    """What a checkout reads, in one round trip: the cart, the shopper's Stripe customer id (None
    before the first checkout) and their address book (address_id -> address; None: no book yet)."""
    from pynamodb.transactions import TransactGet

    from chalicelib.store.addresses import AddressBookModel, book_entries
    from chalicelib.store.shoppers import ShopperModel

    bind()
    with TransactGet(connection=CartModel._get_connection().connection) as tx:
        cart_future = tx.get(CartModel, shopper_id)
        shopper_future = tx.get(ShopperModel, shopper_id)
        book_future = tx.get(AddressBookModel, shopper_id)
    try:
        cart = _from_model(cart_future.get())
    except CartModel.DoesNotExist:
        cart = Cart(shopper_id)
    try:
        customer_id = shopper_future.get().stripe_customer_id
    except ShopperModel.DoesNotExist:
        customer_id = None
    try:
        book = book_entries(book_future.get())
    except AddressBookModel.DoesNotExist:
        book = None
    return cart, customer_id, book


def cart_changed() -> Conflict:
    return Conflict("Your cart changed in another window; reload it and try again.", code="cart_conflict",
                    fields={"cart": "changed meanwhile"})


def save_lines(cart: Cart, lines: list[CartLine], *, forgetting: str | None = None) -> Cart:
    """Replace the cart's lines, refusing a lost update (another tab changed the cart meanwhile).

    An UpdateItem, not a Put: attributes other writers add to the item are never clobbered. With
    `forgetting` (an order id), the same write also stops naming that order as the cart's pending one,
    and is refused unless the cart still names it.
    """
    bind()
    now = now_iso()
    condition = (
        CartModel.shopper_id.does_not_exist()
        if cart.version == 0
        else CartModel.version == cart.version
    )
    actions = [
        CartModel.lines.set({line.offer_id: line.to_item() for line in lines}),
        CartModel.updated_at.set(now),
        CartModel.version.set(cart.version + 1),
    ]
    if forgetting is not None:
        actions.append(CartModel.pending_order_id.remove())
        condition = condition & (CartModel.pending_order_id == forgetting)
    try:
        CartModel(cart.shopper_id).update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise cart_changed() from exc
        raise
    return Cart(cart.shopper_id, list(lines), cart.version + 1, None if forgetting else cart.pending_order_id)


def clear_cart(shopper_id: str, offer_quantities: dict[str, int] | None = None, *, order_id: str | None = None) -> None:
    """Empty the cart after its order is paid (called by the payment-events consumer).

    With `offer_quantities`, only removes lines still holding exactly the quantity that was
    ordered, so a line the shopper changed after checking out stays. Idempotent. With `order_id`,
    the cart also forgets that order as its pending one (the next checkout need not read it).
    """
    bind()
    cart = get_cart(shopper_id)
    if cart.version == 0:
        return
    forget = order_id is not None and cart.pending_order_id == order_id
    if offer_quantities is None:
        keep = []
    else:
        keep = [line for line in cart.lines if offer_quantities.get(line.offer_id) != line.quantity]
    if len(keep) == len(cart.lines):
        if forget:
            forget_pending_order(shopper_id, order_id)
        return
    try:
        # One write for both (each is billed per KB of the whole cart): the usual case.
        save_lines(cart, keep, forgetting=order_id if forget else None)
        return
    except Conflict:
        if not forget:
            return  # the shopper changed the cart at this very moment: their latest edit wins
    # Refused (the cart moved since it was read): the two writes apart, each under its own condition.
    forget_pending_order(shopper_id, order_id)
    try:
        save_lines(cart, keep)
    except Conflict:
        pass  # the shopper's latest edit wins


def forget_pending_order(shopper_id: str, order_id: str) -> None:
    """The cart stops naming `order_id` as its unpaid order (it was paid, cancelled or expired), so the
    next checkout need not read it. One conditional UpdateItem: a cart that names another order since
    (or none, or no cart at all) is left as it is. Idempotent."""
    bind()
    try:
        CartModel(shopper_id).update(actions=[CartModel.pending_order_id.remove()],
                                     condition=CartModel.pending_order_id == order_id)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
