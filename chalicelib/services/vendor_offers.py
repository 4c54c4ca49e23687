"""Vendor offer use cases: a vendor's offers (terms and declared stock, once per change), stock
adjustments (once per Idempotency-Key) and the vendor's offer list.

Vendor ids always come from the caller's verified identity, never from input. Every write
refreshes the product's listing summary (chalicelib/services/product_summaries.py). The use cases
work through the OfferCatalogue port (chalicelib/domain/ports.py); without one, on DynamoDB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.catalog import (
    CONDITIONS,
    MAX_STOCK,
    OFFER_ACTIONS,
    OFFER_ACTIVE,
    OfferTerms,
    ensure_offer_changeable,
    is_valid_id,
    next_offer_status,
    offer_id_for,
    validate_offer,
)
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed, Unprocessable
from chalicelib.domain.ports import OfferCatalogue
from chalicelib.observability import count
from chalicelib.services.catalog import MAX_PAGE, offer_view, page_limit, product_or_404
from chalicelib.services.product_summaries import refresh_product_summary
from chalicelib.services.vendors import registered_vendor
from chalicelib.settings import get_settings


def vendor_offer_view(item, vendor_name: str, is_best: bool) -> dict:
    """The vendor's own view of its offer: what shoppers see plus the stock checkout holds."""
    return {
        **offer_view(item.to_offer(), vendor_name, is_best),
        "product_title": item.product_title,
        "reserved": int(item.reserved),
        "sold": int(item.sold),
        "stock": item.on_hand,
        "version": int(item.version),
        "updated_at": item.updated_at.isoformat(),
        "status": item.offer_status,
    }


def _catalogue(catalogue: OfferCatalogue | None) -> OfferCatalogue:
    from chalicelib.services import wiring

    return catalogue if catalogue is not None else wiring.offer_catalogue()


# --- offers -----------------------------------------------------------------------------

def upsert_offer(vendor_id: str, product_id: str, data: Mapping[str, Any], *,
                 if_match: IfMatch | None = None, catalogue: OfferCatalogue | None = None) -> tuple[dict, bool]:
    """Create or update the caller's offer for a product (one per condition). Returns (offer, created).

    `stock` declares the units ON HAND: units not sold yet, whether available to new orders or
    held by unpaid ones (`available + reserved`); a sale (payment) moves reserved -> sold and so
    lowers the units on hand. Units available are derived atomically: `stock - reserved`, and a
    declaration below `reserved` is a 409 naming `stock`. Re-sending the last declaration (the
    identical terms) changes nothing, whatever sold, was reserved or was adjusted since: a retried
    or stale PUT can never resurrect units. To change the count after sales, declare a new number
    (ideally with `if_match`, the version read) or post a stock adjustment (a delta).

    `if_match` (the If-Match header's versions): the write happens only while the offer is at one
    of them, else 412 (`precondition_failed`) -- unless the offer already has exactly these terms
    (the request was applied before, e.g. its response was lost).
    """
    return upsert_offers(vendor_id, [(product_id, data)], if_match=if_match, catalogue=catalogue)[0]


@dataclass(frozen=True)
class IfMatch:
    """An If-Match header: `any` (`*`: the offer must exist) or the versions the client accepts."""

    versions: frozenset[int] = frozenset()
    any: bool = False

    def matches(self, version: int) -> bool:
        return self.any or version in self.versions


def etag(version: int) -> str:
    """The offer's entity tag: its version, quoted as HTTP wants it."""
    return f'"{int(version)}"'


def _stale(detail: str) -> PreconditionFailed:
    return PreconditionFailed(
        "This offer changed since you read it (If-Match names an older version); read it again and resend "
        "your change.", fields={"If-Match": detail})


def _reserved_conflict(reserved: int, stock: int) -> Conflict:
    return Conflict(
        f"{reserved} units are reserved by unpaid orders: stock (units on hand) cannot be {stock}.",
        code="stock_below_reserved",
        fields={"stock": f"at least {reserved}: {reserved} units are reserved by unpaid orders"})


OFFER_WRITE_ATTEMPTS = 5


def _write_terms(item, vendor_id: str, terms: OfferTerms, if_match: IfMatch | None, catalogue: OfferCatalogue):
    """Write `terms` over `item`, conditional on the version read; on a race, re-read and decide again."""
    for _ in range(OFFER_WRITE_ATTEMPTS):
        ensure_offer_changeable(item.offer_status)
        if item.has_terms(terms):
            return item  # identical to the last declaration: applied before (or by a concurrent twin)
        if if_match is not None and not if_match.matches(int(item.version)):
            raise _stale(f"the offer is at version {int(item.version)}")
        declare = terms.stock != item.declared
        if declare and terms.stock < int(item.reserved):
            raise _reserved_conflict(int(item.reserved), terms.stock)
        updated = catalogue.update_offer_terms(item.offer_id, vendor_id, terms, expected_version=int(item.version),
                                          declare_stock=declare)
        if updated is not None:
            return updated
        item = catalogue.get_offer(item.offer_id)  # another write, or a reservation, came first
        if item is None or item.vendor_id != vendor_id:
            raise NotFound("No such offer.", fields={"offer_id": "unknown"})
    raise Conflict("This offer is being changed by another request right now; try again.", code="busy",
                   fields={"offer": "changing"})


def upsert_offers(vendor_id: str, entries: Sequence[tuple[str, Mapping[str, Any]]], *,
                  keep_existing: bool = False, refresh: bool = True,
                  if_match: IfMatch | None = None, catalogue: OfferCatalogue | None = None) -> list[tuple[dict, bool]]:
    """`upsert_offer` for many offers of one vendor (imports, the demo seed); same rules.

    Everything is validated first (an unknown product is a 404 naming it). With
    `keep_existing`, offers that already exist are left exactly as they are (the seed runs on
    every start of the local stack and must not undo what vendors and shoppers did since).
    Each product's summary is recomputed once, after all of its offers are written (with
    `refresh=False` the caller must call `refresh_product_summary` itself, as the seed does
    once per product after every vendor's offers are in).
    """
    catalogue = _catalogue(catalogue)
    currency = get_settings().currency
    terms_list = [(product_id, validate_offer(data, currency)) for product_id, data in entries]
    vendor = registered_vendor(vendor_id, catalogue=catalogue)
    products = catalogue.get_products(pid for pid, _ in terms_list if is_valid_id(pid))
    for pid, _ in terms_list:
        if pid not in products:
            raise NotFound("No such product.", fields={"product_id": f"unknown: {pid}"[:200]})
    ids = [offer_id_for(vendor_id, pid, terms.condition) for pid, terms in terms_list]
    current = catalogue.get_offers(ids, consistent=True)
    written: dict[str, tuple[Any, bool]] = {}  # offer id -> (item, created by this call)
    for offer_id, (pid, terms) in zip(ids, terms_list):
        item, created = written.get(offer_id, (current.get(offer_id), False))
        existed = offer_id in current
        if item is None and if_match is not None:
            raise _stale("you have no offer for this product in this condition yet")
        if item is None:
            item = catalogue.insert_offer(offer_id, vendor_id, products[pid], terms)
            created = item is not None
            if not created:  # created meanwhile by a concurrent request of the same vendor
                item, existed = catalogue.get_offer(offer_id), True
            else:
                count("OfferCreated")
        if item.vendor_id != vendor_id:  # ids derive from the vendor: a hash collision or a bug
            raise Forbidden("This offer belongs to another vendor.", fields={"offer_id": "not yours"})
        if not (keep_existing and existed):
            item = _write_terms(item, vendor_id, terms, if_match, catalogue)
        written[offer_id] = (item, created)
    names = {vendor_id: vendor.name}
    best_by_product = {}
    for pid in dict.fromkeys(pid for pid, _ in terms_list):
        if refresh:
            mine = [item for item, _ in written.values() if item.product_id == pid]
            summary = refresh_product_summary(pid, written=mine, names=names, catalogue=catalogue)
            best_by_product[pid] = summary.best_offer.offer_id if summary.best_offer else None
        else:
            best_by_product[pid] = next((o.offer_id for o, _ in written.values() if _is_best(o, products[pid])), None)
    results, reported = [], set()
    for offer_id in ids:
        item, created = written[offer_id]
        results.append((vendor_offer_view(item, vendor.name, best_by_product[item.product_id] == offer_id),
                        created and offer_id not in reported))
        reported.add(offer_id)
    return results


ADJUSTMENT_REASON_MAX = 200
IDEMPOTENCY_KEY_MIN, IDEMPOTENCY_KEY_MAX = 8, 128


def adjust_offer_stock(vendor_id: str, product_id: str, condition: str, delta: int, reason: str,
                       idempotency_key: str | None, *, catalogue: OfferCatalogue | None = None) -> tuple[dict, bool]:
    """Add `delta` units on hand (negative: breakage, loss, a count correction) to the caller's offer.

    Applied once per Idempotency-Key: the same key answers the same adjustment again without
    applying it twice (another body with it is a 422). Units available never go below 0 (409
    naming `delta`). Returns ({adjustment, offer}, applied_now).
    """
    catalogue = _catalogue(catalogue)
    key = idempotency_key
    if key is None or not (IDEMPOTENCY_KEY_MIN <= len(key) <= IDEMPOTENCY_KEY_MAX) or not key.isprintable():
        raise InvalidInput(
            f"Send an Idempotency-Key header of {IDEMPOTENCY_KEY_MIN} to {IDEMPOTENCY_KEY_MAX} characters (a new "
            "random value per adjustment, the same one when retrying it).", code="idempotency_key_required",
            fields={"Idempotency-Key": f"required, {IDEMPOTENCY_KEY_MIN}-{IDEMPOTENCY_KEY_MAX} characters"})
    errors: dict[str, str] = {}
    if condition not in CONDITIONS:
        errors["condition"] = f"one of {', '.join(CONDITIONS)}"
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_STOCK:
        errors["delta"] = f"a non-zero integer from -{MAX_STOCK} to {MAX_STOCK}"
    reason = " ".join(str(reason or "").split())
    if not 1 <= len(reason) <= ADJUSTMENT_REASON_MAX:
        errors["reason"] = f"1 to {ADJUSTMENT_REASON_MAX} characters"
    if errors:
        raise InvalidInput("The stock adjustment is invalid.", code="validation_error", fields=errors)
    vendor = registered_vendor(vendor_id, catalogue=catalogue)
    product = product_or_404(product_id, catalogue=catalogue)
    offer_id = offer_id_for(vendor_id, product.product_id, condition)
    current = catalogue.get_offer(offer_id)
    if current is not None and current.vendor_id == vendor_id:
        ensure_offer_changeable(current.offer_status)
    outcome = catalogue.adjust_stock(offer_id, vendor_id, delta, reason, key, max_available=MAX_STOCK)
    record = outcome.record
    if outcome.offer_refused:
        item = catalogue.get_offer(offer_id)
        if item is None or item.vendor_id != vendor_id:
            raise NotFound("You have no offer for this product in this condition.",
                           fields={"product_id": "no offer of yours", "condition": condition})
        if delta < 0:
            raise Conflict(f"Only {int(item.available)} units are available (the others are reserved by unpaid "
                           f"orders): you cannot remove {-delta}.", code="insufficient_stock",
                           fields={"delta": f"at least -{int(item.available)}"})
        raise Conflict(f"Units available would exceed {MAX_STOCK}.", code="stock_too_large",
                       fields={"delta": f"at most {MAX_STOCK - int(item.available)}"})
    if record is None:  # the key's record expired between the two reads: treat as in progress
        raise Conflict("This adjustment is being applied; retry in a moment.", code="busy",
                       fields={"Idempotency-Key": "in progress"})
    if not outcome.applied and (record.offer_id, int(record.delta), record.reason) != (offer_id, delta, reason):
        raise Unprocessable("This Idempotency-Key was already used for a different stock adjustment; use a new key.",
                            code="idempotency_key_reused",
                            fields={"Idempotency-Key": "already used with another body"})
    item = catalogue.get_offer(offer_id)
    summary = refresh_product_summary(item.product_id, written=[item], names={vendor_id: vendor.name}, catalogue=catalogue)
    best = summary.best_offer.offer_id if summary.best_offer else None
    return {
        "adjustment": {
            "offer_id": offer_id, "delta": int(record.delta), "reason": record.reason,
            "applied_at": record.applied_at.isoformat(), "idempotency_key": key,
        },
        "offer": vendor_offer_view(item, vendor.name, best == offer_id),
    }, outcome.applied


def change_offer_status(vendor_id: str, offer_id: str, action: str, *, if_match: IfMatch | None = None,
                        catalogue: OfferCatalogue | None = None) -> dict:
    """Pause, resume or delist the caller's offer (`action`: a key of domain OFFER_ACTIONS).

    Repeating an action changes nothing (same answer); a delisted offer stays delisted (409). The
    product's listing summary is recomputed at once, so a paused or delisted offer leaves the
    catalogue (best offer, offer count, vendor filter, search results) as soon as this returns;
    checkout's reservation is conditional on the offer being active, so a cart holding it cannot
    buy it. Another vendor's offer is a 404, exactly like an unknown id.
    """
    if action not in OFFER_ACTIONS:
        raise InvalidInput("Unknown action.", fields={"action": f"one of {', '.join(OFFER_ACTIONS)}"})
    catalogue = _catalogue(catalogue)
    vendor = registered_vendor(vendor_id, catalogue=catalogue)
    item = catalogue.get_offer(offer_id) if is_valid_id(offer_id) else None
    for _ in range(OFFER_WRITE_ATTEMPTS):
        if item is None or item.vendor_id != vendor_id:
            raise NotFound("No such offer.", fields={"offer_id": "unknown"})
        target = next_offer_status(item.offer_status, action)
        if target == item.offer_status:
            break  # asked before (a retry, or a double click): nothing to change
        if if_match is not None and not if_match.matches(int(item.version)):
            raise _stale(f"the offer is at version {int(item.version)}")
        updated = catalogue.set_offer_status(item.offer_id, vendor_id, target, expected_version=int(item.version))
        if updated is not None:
            item = updated
            count({"pause": "OfferPaused", "resume": "OfferResumed", "delist": "OfferDelisted"}[action])
            break
        item = catalogue.get_offer(offer_id)
    else:
        raise Conflict("This offer is being changed by another request right now; try again.", code="busy",
                       fields={"offer": "changing"})
    summary = refresh_product_summary(item.product_id, written=[item], names={vendor_id: vendor.name},
                                      catalogue=catalogue)
    best = summary.best_offer.offer_id if summary.best_offer else None
    return vendor_offer_view(item, vendor.name, best == item.offer_id)


def _is_best(offer, product) -> bool:
    """Whether `offer` is its product's best as the listing last said. The best offer, while one is in stock,
    holds the listing entry (chalicelib/store/listings.py): a holder with units for sale is the best; the
    in-memory adapter records it on the product."""
    if hasattr(offer, "holds_listing"):
        return offer.holds_listing and int(offer.available) > 0 and offer.offer_status == OFFER_ACTIVE
    return product is not None and product.best_offer_id == offer.offer_id


def list_vendor_offers(vendor_id: str, limit: int = MAX_PAGE, cursor: str | None = None, *,
                       catalogue: OfferCatalogue | None = None) -> dict:
    catalogue = _catalogue(catalogue)
    vendor = registered_vendor(vendor_id, catalogue=catalogue)
    items, next_cursor = catalogue.vendor_offers(vendor_id, page_limit(limit, 100), cursor)
    products = catalogue.get_products(o.product_id for o in items)
    # Editable by this vendor (the in-memory records of the use-case tests know no proposer).
    proposed = {p.product_id for p in products.values() if getattr(p, "created_by", None) == vendor_id}
    return {
        "items": [{**vendor_offer_view(o, vendor.name, _is_best(o, products.get(o.product_id))),
                   "product_proposed_by_you": o.product_id in proposed} for o in items],
        "next_cursor": next_cursor,
    }
