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
    return now_iso()


def _plain(value) -> dict:
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    return {k: (v.as_dict() if isinstance(v, MapAttribute) else dict(v)) for k, v in (value or {}).items()}


def list_addresses(shopper_id: str) -> dict[str, dict]:
    """address_id -> address, most recently used first."""
    bind()
    try:
        book = _plain(AddressBookModel.get(shopper_id, consistent_read=True).addresses)
    except AddressBookModel.DoesNotExist:
        return {}
    return dict(sorted(book.items(), key=lambda item: item[1].get("updated_at", ""), reverse=True))


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
