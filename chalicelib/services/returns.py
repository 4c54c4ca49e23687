"""Return requests, the use cases: the shopper asks and sends back, the vendor answers, receives and
refunds, the platform decides what the vendor left unanswered (chalicelib/domain/returns.py).

Every step is a domain function applied to the order through `change_order` (a lost race
re-applies it; a retried request changes nothing), so the return, its refund, its ledger entries,
its events and its queue projection are saved in the order's one transaction.

Who sees a return, by any id: the order's shopper, the sub-order's vendor and admins. Anybody
else gets the same 404 as for an id that does not exist. The vendor is always the signed-in
principal (never a body field), and no amount is ever read from a request: refunds are what the
shopper paid for the units (`Order.line_refund_amount`), less the vendor's restocking rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from chalicelib.domain import returns as return_steps
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.images import MAX_IMAGE_BYTES, UPLOAD_TYPES, owns_return_photo, return_photo_key
from chalicelib.domain.order_effects import Effect
from chalicelib.domain.orders import Order
from chalicelib.domain.ports import OrderRepository
from chalicelib.domain.returns import Actor, ReturnReason, ReturnRequest, ReturnRules, ReturnState
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentGateway
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order


def answer_days() -> int:
    """HALLES_RETURN_ANSWER_DAYS (default 3): how long a vendor has to answer before the platform decides."""
    from chalicelib.settings import get_settings

    return get_settings().return_answer_days


def _now(now: datetime | None) -> str:
    return iso(now or datetime.now(UTC))


def _orders(orders: OrderRepository | None) -> OrderRepository:
    from chalicelib.services import wiring

    return orders or wiring.order_repository()


def _runner(effects: EffectRunner | None, gateway: PaymentGateway | None) -> EffectRunner:
    from chalicelib.services import wiring

    return effects or wiring.effect_runner(gateway)


def _rules(vendor_id: str) -> ReturnRules:
    from chalicelib.store import return_rules

    return return_rules.get(vendor_id)


def _not_found() -> NotFound:
    return NotFound("No such return.", fields={"return_id": "not found"})


def _money(amount: int | None, currency: str) -> dict | None:
    return None if amount is None else {"amount": amount, "currency": currency}


# --- the view ------------------------------------------------------------------------------


def _photo_url(key: str) -> str:
    """A short-lived signed link: only a reader allowed to see the return ever gets one."""
    from chalicelib.store import images as images_store

    return images_store.view_url(key)


def return_view(order: Order, ret: ReturnRequest, actor: Actor, rules: ReturnRules | None = None) -> dict:
    """One return as its shopper, its vendor or an admin reads it, with what the reader may do now
    (`rules`: the vendor's, when the caller read them already)."""
    state = return_steps.shown_state(order, ret)
    currency = order.vendor_orders[ret.vendor_id].currency or order.currency
    estimate = None
    if ret.refund_amount is None and state is not ReturnState.REJECTED:
        percent = (rules or _rules(ret.vendor_id)).restocking_percent
        estimate = return_steps.refund_due(order, ret, percent)[0]
    record = order.case_refund(ret.return_id)
    return {
        "return_id": ret.return_id, "order_id": order.order_id, "order_number": order.order_number,
        "vendor_id": ret.vendor_id, "vendor_name": order.vendor_orders[ret.vendor_id].vendor_name,
        "state": state.value, "reason": ret.reason.value, "text": ret.text,
        "lines": [{"line_id": x.offer_id, "offer_id": x.offer_id, "title": x.title, "quantity": x.quantity}
                  for x in ret.lines],
        "photos": [_photo_url(key) for key in ret.photos],
        "requested_at": ret.requested_at, "answer_due_at": ret.answer_due_at, "escalated_at": ret.escalated_at,
        "label_reference": ret.label_reference, "rejection_reason": ret.rejection_reason,
        "decided_by": ret.decided_by, "carrier": ret.carrier, "tracking_number": ret.tracking_number,
        "restock": ret.restock, "refund": _money(ret.refund_amount, currency),
        "refund_estimate": _money(estimate, currency), "restocking_fee": _money(ret.restocking_fee, currency),
        "refund_status": (record or {}).get("status"),
        "timeline": list(ret.timeline),
        "allowed_actions": list(return_steps.allowed_actions(state, actor)),
    }


def _load(orders: OrderRepository, return_id: str) -> tuple[Order, ReturnRequest]:
    from chalicelib.store import returns as queues

    order_id = queues.order_of(return_id) if return_id.startswith("ret_") and len(return_id) <= 64 else None
    order = orders.get(order_id) if order_id else None
    ret = order.returns.get(return_id) if order else None
    if ret is None:
        raise _not_found()
    return order, ret


def _visible(ret: ReturnRequest, actor: Actor, user_id: str) -> bool:
    return (actor is Actor.ADMIN or (actor is Actor.SHOPPER and ret.shopper_id == user_id)
            or (actor is Actor.VENDOR and ret.vendor_id == user_id))


def reader(ret: ReturnRequest, roles: frozenset[str], user_id: str) -> Actor | None:
    """As whom a signed-in user reads this return (None: not theirs to see)."""
    if "admin" in roles:
        return Actor.ADMIN
    if "vendor" in roles and ret.vendor_id == user_id:
        return Actor.VENDOR
    return Actor.SHOPPER if ret.shopper_id == user_id else None


def get_return(roles: frozenset[str], user_id: str, return_id: str, *,
               orders: OrderRepository | None = None) -> dict:
    order, ret = _load(_orders(orders), return_id)
    actor = reader(ret, roles, user_id)
    if actor is None:
        raise _not_found()
    return return_view(order, ret, actor)


def _act(actor: Actor, user_id: str, return_id: str, step: Callable[[Order, str], list[Effect]], *,
         now: datetime | None, orders: OrderRepository | None, effects: EffectRunner | None,
         gateway: PaymentGateway | None) -> dict:
    orders = _orders(orders)
    order, ret = _load(orders, return_id)
    if not _visible(ret, actor, user_id):
        raise _not_found()
    at = _now(now)
    saved = change_order(order.order_id, lambda o: step(o, at) or None, orders=orders,
                         effects=_runner(effects, gateway))
    if saved is None:
        raise _not_found()
    return return_view(saved, saved.returns[return_id], actor)


# --- the shopper ---------------------------------------------------------------------------


def start_photo_upload(shopper_id: str, content_type: str) -> dict:
    """A presigned POST for one return photo under the shopper's own prefix (JPEG, PNG, WebP, <= 5 MB)."""
    from chalicelib.store import images as images_store

    if content_type not in UPLOAD_TYPES:
        raise InvalidInput("Photos are JPEG, PNG or WebP.", fields={"content_type": f"one of {', '.join(UPLOAD_TYPES)}"})
    key = return_photo_key(shopper_id, content_type, uuid.uuid4().hex)
    post = images_store.presigned_upload(key, content_type, MAX_IMAGE_BYTES)
    return {"url": post["url"], "fields": post["fields"], "key": key, "max_bytes": MAX_IMAGE_BYTES,
            "expires_in": images_store.UPLOAD_SECONDS}


def _checked_photos(shopper_id: str, keys: list[str]) -> tuple[str, ...]:
    from chalicelib.services.product_images import check_uploaded_image

    for index, key in enumerate(keys):
        if not owns_return_photo(shopper_id, key):
            raise Forbidden("You can only attach photos you uploaded.",
                            fields={f"photos[{index}]": "not one of your uploads"})
        check_uploaded_image(key, field=f"photos[{index}]")
    return tuple(dict.fromkeys(keys))


def request_return(shopper_id: str, order_id: str, *, lines: list[tuple[str, int]], reason: str, text: str,
                   photos: list[str], client_key: str | None = None, now: datetime | None = None,
                   orders: OrderRepository | None = None, effects: EffectRunner | None = None,
                   gateway: PaymentGateway | None = None) -> dict:
    orders = _orders(orders)
    order = orders.get(order_id) if order_id.startswith("ord_") and len(order_id) <= 64 else None
    if order is None or order.shopper_id != shopper_id:
        raise NotFound("No such order among yours.", fields={"order_id": "not found"})
    checked = _checked_photos(shopper_id, photos)
    return_id = return_steps.new_return_id(order_id, f"{shopper_id}:{client_key}" if client_key else None, uuid.uuid4().hex)
    at, days = _now(now), answer_days()
    saved = change_order(order_id, lambda o: return_steps.request_return(
        o, return_id=return_id, shopper_id=shopper_id, lines=lines, reason=ReturnReason(reason), text=text,
        photos=checked, at=at, rules_of=_rules, answer_days=days) or None, orders=orders,
        effects=_runner(effects, gateway))
    count("ReturnsRequested", 1)
    return return_view(saved, saved.returns[return_id], Actor.SHOPPER)


def list_order_returns(shopper_id: str, order_id: str, *, orders: OrderRepository | None = None) -> dict:
    order = _orders(orders).get(order_id) if order_id.startswith("ord_") and len(order_id) <= 64 else None
    if order is None or order.shopper_id != shopper_id:
        raise NotFound("No such order among yours.", fields={"order_id": "not found"})
    found = sorted(order.returns.values(), key=lambda r: r.requested_at, reverse=True)
    returnable = {}
    for vendor_id in order.vendor_orders:
        rules = _rules(vendor_id)
        closes = return_steps.window_closes(order, vendor_id, rules)
        for offer_id, left in return_steps.returnable(order, vendor_id).items():
            if left > 0 and closes:
                returnable[offer_id] = {"quantity": left, "until": closes}
    return {"items": [return_view(order, r, Actor.SHOPPER) for r in found],
            "returnable": [{"line_id": k, "offer_id": k, "quantity": v["quantity"], "until": v["until"]}
                           for k, v in returnable.items()]}


def shopper_returns(shopper_id: str, *, limit: int = 50, cursor: str | None = None,
                    orders: OrderRepository | None = None) -> dict:
    """The shopper's returns, newest first, a page at a time (the `by_shopper` index, then each order read)."""
    from chalicelib.store import returns as queues

    pairs, next_cursor = queues.shopper_returns(shopper_id, limit=limit, cursor=cursor)
    return {"items": _page(pairs, Actor.SHOPPER, _orders(orders)), "next_cursor": next_cursor}


def ship_back(shopper_id: str, return_id: str, *, carrier: str, tracking_number: str,
              now: datetime | None = None, **deps) -> dict:
    return _act(Actor.SHOPPER, shopper_id, return_id, lambda o, at: return_steps.ship_back(
        o, return_id, shopper_id=shopper_id, carrier=carrier, tracking_number=tracking_number, at=at),
        now=now, **_deps(deps))


def _deps(deps: dict) -> dict:
    return {"orders": deps.get("orders"), "effects": deps.get("effects"), "gateway": deps.get("gateway")}


# --- the vendor ----------------------------------------------------------------------------


def _page(pairs: list[tuple[str, str]], actor: Actor, orders: OrderRepository) -> list[dict]:
    """The returns a queue names, each read from its order (each order and vendor's rules read once)."""
    views, read, rules = [], {}, {}
    for order_id, return_id in pairs:
        if order_id not in read:
            read[order_id] = orders.get(order_id)
        order = read[order_id]
        ret = order.returns.get(return_id) if order else None
        if ret is not None:
            if ret.vendor_id not in rules:
                rules[ret.vendor_id] = _rules(ret.vendor_id)
            views.append(return_view(order, ret, actor, rules[ret.vendor_id]))
    return views


def vendor_returns(vendor_id: str, *, state: str | None, limit: int = 50, cursor: str | None = None,
                   orders: OrderRepository | None = None) -> dict:
    from chalicelib.store import returns as queues

    pairs, next_cursor = queues.vendor_returns(vendor_id, state=state, limit=limit, cursor=cursor)
    return {"items": _page(pairs, Actor.VENDOR, _orders(orders)), "next_cursor": next_cursor}


def approve(actor: Actor, user_id: str, return_id: str, *, now: datetime | None = None, **deps) -> dict:
    vendor_id = user_id if actor is Actor.VENDOR else None
    return _act(actor, user_id, return_id, lambda o, at: return_steps.approve(o, return_id, actor=actor, at=at,
                                                                      vendor_id=vendor_id), now=now, **_deps(deps))


def reject(actor: Actor, user_id: str, return_id: str, *, reason: str, now: datetime | None = None,
           **deps) -> dict:
    vendor_id = user_id if actor is Actor.VENDOR else None
    return _act(actor, user_id, return_id, lambda o, at: return_steps.reject(o, return_id, actor=actor, reason=reason, at=at,
                                                                     vendor_id=vendor_id), now=now, **_deps(deps))


def receive(actor: Actor, user_id: str, return_id: str, *, restock: bool, refund: bool = True,
            now: datetime | None = None, **deps) -> dict:
    vendor_id = user_id if actor is Actor.VENDOR else None
    orders = _orders(deps.get("orders"))
    _, ret = _load(orders, return_id)
    rules = _rules(ret.vendor_id)
    view = _act(actor, user_id, return_id, lambda o, at: return_steps.receive(
        o, return_id, actor=actor, restock=restock, refund=refund, at=at, rules=rules, vendor_id=vendor_id),
        now=now, **{**_deps(deps), "orders": orders})
    return _after_refund(view, actor, orders, deps)


def refund(actor: Actor, user_id: str, return_id: str, *, restocking_percent: int | None = None,
           now: datetime | None = None, **deps) -> dict:
    vendor_id = user_id if actor is Actor.VENDOR else None
    orders = _orders(deps.get("orders"))
    _, ret = _load(orders, return_id)
    rules = _rules(ret.vendor_id)
    view = _act(actor, user_id, return_id, lambda o, at: return_steps.refund(
        o, return_id, actor=actor, at=at, rules=rules, restocking_percent=restocking_percent, vendor_id=vendor_id),
        now=now, **{**_deps(deps), "orders": orders})
    return _after_refund(view, actor, orders, deps)


def _after_refund(view: dict, actor: Actor, orders: OrderRepository, deps: dict) -> dict:
    """A refund the provider refused at once (recorded failed by the effect runner) moves the return
    itself to refund_failed, so the admin's queue carries it (a no-op otherwise)."""
    if view["refund_status"] != "failed":
        return view
    saved = change_order(view["order_id"], lambda o: return_steps.sync_refund_outcome(o, view["return_id"], at=_now(None))
                         or None, orders=orders, effects=_runner(deps.get("effects"), deps.get("gateway")))
    return return_view(saved, saved.returns[view["return_id"]], actor) if saved else view


def get_rules(vendor_id: str) -> dict:
    return _rules(vendor_id).to_json()


def put_rules(vendor_id: str, data: dict, *, now: datetime | None = None) -> dict:
    from chalicelib.store import return_rules

    rules = ReturnRules.from_json(data)
    return_rules.put(vendor_id, rules, at=_now(now))
    return rules.to_json()


# --- the platform --------------------------------------------------------------------------


def admin_returns(state: str, *, limit: int = 50, cursor: str | None = None,
                  orders: OrderRepository | None = None) -> dict:
    from chalicelib.store import returns as queues

    pairs, next_cursor = queues.admin_queue(state, limit=limit, cursor=cursor)
    return {"items": _page(pairs, Actor.ADMIN, _orders(orders)), "next_cursor": next_cursor}


def escalate_overdue_returns(now: datetime | None = None, *, limit: int = 50,
                             orders: OrderRepository | None = None, effects: EffectRunner | None = None,
                             gateway: PaymentGateway | None = None) -> dict[str, int]:
    """Requested returns past their answer deadline go to the platform, once each (the return leaves
    the due index in the same save, so the next run does not see it again)."""
    from chalicelib.store import returns as queues

    at = _now(now)
    due = queues.answer_overdue(at, limit=limit)
    orders = _orders(orders)
    outcomes: dict[str, int] = {}
    for order_id, return_id in due:
        try:
            change_order(order_id, lambda o, rid=return_id: return_steps.escalate_if_overdue(o, rid, at=at) or None,
                         orders=orders, effects=_runner(effects, gateway))
            result = "escalated"
        except Conflict as err:
            result = err.code
        except Exception:
            logger.exception("return not escalated", extra={"order_id": order_id, "return_id": return_id})
            result = "error"
        outcomes[result] = outcomes.get(result, 0) + 1
    if outcomes.get("escalated"):
        count("ReturnsEscalated", outcomes["escalated"])
    return outcomes
