"""The signed-in shopper's address book: list, create or replace, remove."""

import re

from chalice import Blueprint, Response
from pydantic import ConfigDict, Field

from chalicelib.api import route
from chalicelib.domain.errors import NotFound
from chalicelib.schema import ApiModel, Text, bounded

bp = Blueprint(__name__)

SHOPPER = ("shopper",)
ADDRESS_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


AddressText = bounded(Text, max_length=200)


class AddressIn(ApiModel):
    """A delivery address as typed; checked per country (postal code format, phone as +<digits>)."""

    model_config = ConfigDict(extra="forbid")

    name: AddressText | None = Field(None, description="who receives the parcel")
    line1: AddressText | None = Field(None, description="street and number")
    line2: AddressText | None = Field(None, description="flat, floor, company (optional)")
    postal_code: AddressText | None = Field(None)
    city: AddressText | None = Field(None)
    country: AddressText | None = Field(None, description="ISO 3166-1 alpha-2; one we deliver to")
    phone: AddressText | None = Field(None, description="optional, international form (+49 30 1234567)")


class AddressOut(ApiModel):
    name: str
    line1: str
    line2: str
    postal_code: str
    city: str
    country: str
    phone: str


class SavedAddressOut(AddressOut):
    address_id: str
    updated_at: str | None = None


class AddressBookOut(ApiModel):
    items: list[SavedAddressOut]


def _address_id(req) -> str:
    address_id = req.params["address_id"]
    if not ADDRESS_ID_PATTERN.match(address_id):
        raise NotFound("No such address.", fields={"address_id": "letters, digits, _ and -, at most 64"})
    return address_id


@route(bp, "/me/addresses", "GET", response=AddressBookOut, roles=SHOPPER, tags=("addresses",), errors=(401, 403))
def list_addresses(req):
    """Your saved delivery addresses, most recently used first."""
    from chalicelib.services import addresses as address_service

    return address_service.list_addresses(req.principal.user_id)


@route(bp, "/me/addresses/{address_id}", "PUT", body=AddressIn, response=SavedAddressOut, roles=SHOPPER,
       tags=("addresses",), errors=(400, 401, 403, 404, 409))
def put_address(req):
    """Save a delivery address under `address_id` (creates it, or replaces it)."""
    from chalicelib.services import addresses as address_service

    return address_service.put_address(req.principal.user_id, _address_id(req),
                                       req.body.model_dump(exclude_none=True))


@route(bp, "/me/addresses/{address_id}", "DELETE", roles=SHOPPER, status=204, tags=("addresses",),
       errors=(401, 403, 404))
def delete_address(req):
    """Remove a saved address (removing it again is fine)."""
    from chalicelib.services import addresses as address_service

    address_service.delete_address(req.principal.user_id, _address_id(req))
    return Response(body="", status_code=204, headers={"X-Correlation-Id": req.correlation_id})
