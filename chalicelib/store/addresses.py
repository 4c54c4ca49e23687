"""The shoppers' address books (table `addresses`, pk shopper_id): one item per shopper.

The item holds a map address_id -> address (the fields of `domain.addresses.Address` plus
`updated_at`), so the book is one GetItem and the size cap is a write condition
(`size(addresses) < max OR the id is already there`) rather than a count read before writing.
"""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.expressions.operand import Path, Value
from pynamodb.models import Model

from chalicelib.domain.errors import Conflict
from chalicelib.domain.ports import AddressToRemember
from chalicelib.domain.timestamps import now_iso
from chalicelib.store.base import bind, register


@register
class AddressBookModel(Model):
    class Meta:
        short_name = "addresses"

    shopper_id = UnicodeAttribute(hash_key=True)
    addresses = MapAttribute(default=dict)  # address_id -> {name, line1, line2, postal_code, city, country, phone, updated_at}


class AddressBookFull(Conflict):
    code = "address_book_full"


def _now() -> str:
    # Precise: the book lists the latest first, and two writes often fall in the same second.
    return now_iso(precise=True)


def _plain(value) -> dict:
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    return {k: (v.as_dict() if isinstance(v, MapAttribute) else dict(v)) for k, v in (value or {}).items()}


def book_entries(book: AddressBookModel) -> dict[str, dict]:
    """address_id -> address of a book item read, most recently used first."""
    entries = _plain(book.addresses)
    return dict(sorted(entries.items(), key=lambda item: item[1].get("updated_at", ""), reverse=True))


def list_addresses(shopper_id: str) -> dict[str, dict]:
    """address_id -> address, most recently used first."""
    bind()
    try:
        return book_entries(AddressBookModel.get(shopper_id, consistent_read=True))
    except AddressBookModel.DoesNotExist:
        return {}


def get_address(shopper_id: str, address_id: str) -> dict | None:
    return list_addresses(shopper_id).get(address_id)


def save_address(shopper_id: str, address_id: str, address: dict, *, max_entries: int) -> None:
    """Create or replace one entry; refuses a new one past `max_entries` (one conditional write).

    The shopper's first address creates the item (put, on condition it does not exist yet); a
    concurrent first write loses that race and falls through to the update, so nothing is lost.
    """
    bind()
    entry = {**address, "updated_at": _now()}
    try:
        AddressBookModel(shopper_id, addresses={address_id: entry}).save(
            condition=AddressBookModel.shopper_id.does_not_exist())
        return
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    slot = Path(["addresses", address_id])
    try:
        AddressBookModel(shopper_id).update(
            actions=[slot.set(Value(entry, attribute=MapAttribute()))],
            condition=AddressBookModel.shopper_id.exists()
            & ((size(AddressBookModel.addresses) < max_entries) | slot.exists()),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise AddressBookFull(f"Your address book holds at most {max_entries} addresses; remove one first.",
                                  fields={"address_id": f"at most {max_entries} addresses"}) from exc
        raise


def remember_in_transaction(tx, remember: AddressToRemember) -> str:
    """Add "keep this address in the book" to a checkout's TransactWrite: no round trip of its own.

    The caller read the book in the same TransactGetItems as the cart, so it knows which write
    applies: the first address puts the item (on condition it still does not exist), a later one
    sets its slot (on condition the book still has room or already holds it). Returns "put" or
    "update": where the operation lands among the transaction's items (PynamoDB sends puts first).
    If the condition fails (a concurrent edit of the book), the whole transaction is cancelled;
    the caller retries without this write rather than fail the order.
    """
    entry = {**remember.address, "updated_at": _now()}
    if not remember.book_exists:
        tx.save(AddressBookModel(remember.shopper_id, addresses={remember.address_id: entry}),
                condition=AddressBookModel.shopper_id.does_not_exist())
        return "put"
    slot = Path(["addresses", remember.address_id])
    tx.update(AddressBookModel(remember.shopper_id), actions=[slot.set(Value(entry, attribute=MapAttribute()))],
              condition=AddressBookModel.shopper_id.exists()
              & ((size(AddressBookModel.addresses) < remember.max_entries) | slot.exists()))
    return "update"


def delete_address(shopper_id: str, address_id: str) -> None:
    """Remove one entry; removing one that is not there is a no-op (a repeated DELETE)."""
    bind()
    try:
        AddressBookModel(shopper_id).update(
            actions=[Path(["addresses", address_id]).remove()],
            condition=AddressBookModel.shopper_id.exists(),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
