"""The shopper's address book, and the delivery address a checkout ships to.

A checkout must name its address, either inline (`address`, validated here and then kept in
the book, in the order's own transaction, under an id derived from its content, so paying twice
to the same place keeps one entry) or by `address_id` from the book. The order keeps a copy (an address edited later never
rewrites where a past order went).
"""

from __future__ import annotations

from chalicelib.domain.addresses import MAX_ADDRESSES, Address, address_from_json, parse_address
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.ports import AddressToRemember
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import addresses as address_store


def delivery_countries() -> list[str]:
    """Where we deliver: the countries with a VAT rate (the quote cannot price any other)."""
    return sorted(get_settings().vat_rates_bps)


def _entry_view(address_id: str, entry: dict) -> dict:
    return {"address_id": address_id, **address_from_json(entry).to_json(), "updated_at": entry.get("updated_at")}


def list_addresses(shopper_id: str) -> dict:
    book = address_store.list_addresses(shopper_id)
    return {"items": [_entry_view(address_id, entry) for address_id, entry in book.items()]}


def put_address(shopper_id: str, address_id: str, data: dict) -> dict:
    """Create or replace the entry `address_id` (the same request again changes nothing more)."""
    address = parse_address(data, countries=delivery_countries(), prefix="")
    address_store.save_address(shopper_id, address_id, address.to_json(), max_entries=MAX_ADDRESSES)
    return _entry_view(address_id, address_store.get_address(shopper_id, address_id) or address.to_json())


def delete_address(shopper_id: str, address_id: str) -> None:
    address_store.delete_address(shopper_id, address_id)


def for_checkout(body: dict, book: dict[str, dict] | None) -> Address:
    """The address a checkout body names: `address` inline or `address_id` from `book` (the shopper's
    address book as the checkout read it with the cart; None: they have none yet).

    Raises InvalidInput naming `address` (neither given: an order must say where it goes),
    `address.<field>`, `address_id` (not in your book) or `country` (differs from the address's
    country: the VAT rate must be the destination's).
    """
    inline, address_id = body.get("address"), body.get("address_id")
    if inline is not None and address_id:
        raise InvalidInput("Send either an address or an address_id, not both.",
                           fields={"address_id": "not with address"})
    if inline is not None:
        address = parse_address(inline, countries=delivery_countries())
    elif address_id:
        entry = (book or {}).get(address_id)
        if entry is None:
            raise NotFound("This address is not in your address book.", fields={"address_id": "not found"})
        address = address_from_json(entry)
    else:
        raise address_required()
    country = body.get("country")
    if country and country != address.country:
        raise InvalidInput("The delivery country differs from the address's country.",
                           fields={"country": f"the address is in {address.country}"})
    return address


def address_required() -> InvalidInput:
    return InvalidInput("Tell us where to deliver: an address (or a saved address_id).",
                        code="address_required", fields={"address": "required"})


def to_remember(shopper_id: str, body: dict, address: Address,
                book: dict[str, dict] | None) -> AddressToRemember | None:
    """The book write a checkout's inline address asks for, or None: an address picked from the
    book is there already, and a full book that lacks it stays as it is (the order still ships)."""
    if body.get("address") is None:
        return None
    if book is not None and address.address_id not in book and len(book) >= MAX_ADDRESSES:
        logger.info("address book full: the checkout address is not kept", extra={"shopper_id": shopper_id})
        return None
    return AddressToRemember(shopper_id=shopper_id, address_id=address.address_id, address=address.to_json(),
                             book_exists=book is not None, max_entries=MAX_ADDRESSES)
