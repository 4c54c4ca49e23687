"""Return requests: a shopper sends delivered units back to one vendor and is refunded for them. Pure.

A return belongs to one order and one vendor sub-order and is stored WITH the order
(`Order.returns`), so each step is saved in the order's own version-conditional transaction,
together with the refund, its ledger entries and its events. It moves

    requested -> approved | rejected (with a reason) -> shipped_back (carrier + tracking)
              -> received -> refunded (full or partial)

`requested` escalates to the platform when the vendor does not answer within the answer
deadline (HALLES_RETURN_ANSWER_DAYS, default 3; the `escalate_overdue_returns` schedule):
an admin then approves or rejects. `refund_failed` is where a return lands when the refund
primitive (`Order.refund_for_case`) reports the refund failed: an admin resolves it there.
Any other step raises Conflict (409) naming the steps the caller may take now.

Eligibility: only delivered units (the vendor marked the parcel delivered or the shopper's
receipt is confirmed), within the vendor's return window after delivery (default 14 days,
the EU minimum for distance selling), never more units than delivered minus those already
in a return that was not rejected. The refund is never taken from a request: it is what the
shopper paid for the units (`Order.line_refund_amount`), less the vendor's restocking fee
when the shopper simply changed their mind (a percentage the vendor sets, at most 50%).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.events import (
    OrderSummary,
    ReturnApproved,
    ReturnEscalated,
    ReturnReceived,
    ReturnRefunded,
    ReturnRejected,
    ReturnRequested,
    ReturnShippedBack,
)
from chalicelib.domain.order_effects import Effect, Publish

if TYPE_CHECKING:
    from chalicelib.domain.orders import Order

DEFAULT_WINDOW_DAYS = 14
DEFAULT_ANSWER_DAYS = 3
MAX_RESTOCKING_PERCENT = 50  # a "restocking fee" above half the price is no longer a refund
MAX_PHOTOS = 5
TEXT_MAX = 1000


class ReturnState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    ESCALATED = "escalated"  # the vendor did not answer in time: the platform decides
    SHIPPED_BACK = "shipped_back"
    RECEIVED = "received"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"


class ReturnReason(StrEnum):
    DAMAGED = "damaged"
    NOT_AS_DESCRIBED = "not_as_described"
    WRONG_ITEM = "wrong_item"
    CHANGED_MIND = "changed_mind"
    ARRIVED_LATE = "arrived_late"
    OTHER = "other"


class Actor(StrEnum):
    SHOPPER = "shopper"
    VENDOR = "vendor"
    ADMIN = "admin"
    SYSTEM = "system"  # the schedule, the refund's outcome, the vendor's auto-approval rules


APPROVE, REJECT, ESCALATE, SHIP_BACK, RECEIVE, REFUND, FAIL_REFUND = (
    "approve", "reject", "escalate", "ship_back", "receive", "refund", "refund_failed")
AUTO_APPROVE = "auto_approve"  # the vendor's own rules, applied at request: never a caller's step

# state -> action -> (next state, who may take it)
_S = ReturnState
TRANSITIONS: dict[ReturnState, dict[str, tuple[ReturnState, frozenset[Actor]]]] = {
    _S.REQUESTED: {APPROVE: (_S.APPROVED, frozenset({Actor.VENDOR, Actor.ADMIN})),
                   AUTO_APPROVE: (_S.APPROVED, frozenset({Actor.SYSTEM})),
                   REJECT: (_S.REJECTED, frozenset({Actor.VENDOR, Actor.ADMIN})),
                   ESCALATE: (_S.ESCALATED, frozenset({Actor.SYSTEM}))},
    _S.ESCALATED: {APPROVE: (_S.APPROVED, frozenset({Actor.ADMIN})),
                   REJECT: (_S.REJECTED, frozenset({Actor.ADMIN}))},
    _S.APPROVED: {SHIP_BACK: (_S.SHIPPED_BACK, frozenset({Actor.SHOPPER}))},
    _S.SHIPPED_BACK: {RECEIVE: (_S.RECEIVED, frozenset({Actor.VENDOR, Actor.ADMIN}))},
    _S.RECEIVED: {REFUND: (_S.REFUNDED, frozenset({Actor.VENDOR, Actor.ADMIN}))},
    _S.REFUNDED: {FAIL_REFUND: (_S.REFUND_FAILED, frozenset({Actor.SYSTEM}))},
    _S.REJECTED: {},
    _S.REFUND_FAILED: {},
}



def allowed_actions(state: ReturnState, actor: Actor) -> tuple[str, ...]:
    return tuple(action for action, (_, actors) in TRANSITIONS[state].items() if actor in actors)


def illegal(action: str, state: ReturnState, actor: Actor) -> Conflict:
    allowed = allowed_actions(state, actor)
    words = ", ".join(allowed) if allowed else "none"
    return Conflict(f"This return is {state.value}: it cannot {action.replace('_', ' ')} now (allowed: {words}).",
                    code="illegal_transition", fields={"state": state.value, "allowed_actions": words})


# --- the vendor's rules --------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnRules:
    """What a vendor sets: its return window, its restocking fee for a changed mind, and which
    requests it approves without looking (a reason among `auto_approve_reasons`, or a refund
    strictly below `auto_approve_below` minor units)."""

    window_days: int = DEFAULT_WINDOW_DAYS
    restocking_percent: int = 0
    auto_approve_reasons: frozenset[ReturnReason] = frozenset()
    auto_approve_below: int | None = None

    def __post_init__(self) -> None:
        if not DEFAULT_WINDOW_DAYS <= self.window_days <= 365:
            raise InvalidInput(f"The return window is {DEFAULT_WINDOW_DAYS} to 365 days (the EU minimum is 14).",
                               fields={"window_days": f"{DEFAULT_WINDOW_DAYS} to 365"})
        if not 0 <= self.restocking_percent <= MAX_RESTOCKING_PERCENT:
            raise InvalidInput(f"The restocking fee is 0 to {MAX_RESTOCKING_PERCENT}%.",
                               fields={"restocking_percent": f"0 to {MAX_RESTOCKING_PERCENT}"})
        if self.auto_approve_below is not None and self.auto_approve_below < 1:
            raise InvalidInput("Auto-approval below an amount needs a positive amount.",
                               fields={"auto_approve_below": "at least 1 (minor units), or null"})

    def approves_at_once(self, reason: ReturnReason, refund: Callable[[], int]) -> bool:
        """`refund()` computes the refund due, only when an amount rule is set."""
        return reason in self.auto_approve_reasons or (
            self.auto_approve_below is not None and refund() < self.auto_approve_below)

    def to_json(self) -> dict:
        return {"window_days": self.window_days, "restocking_percent": self.restocking_percent,
                "auto_approve_reasons": sorted(r.value for r in self.auto_approve_reasons),
                "auto_approve_below": self.auto_approve_below}

    @classmethod
    def from_json(cls, data: dict | None) -> ReturnRules:
        data = data or {}
        below = data.get("auto_approve_below")
        return cls(window_days=int(data.get("window_days", DEFAULT_WINDOW_DAYS)),
                   restocking_percent=int(data.get("restocking_percent", 0)),
                   auto_approve_reasons=frozenset(ReturnReason(r) for r in data.get("auto_approve_reasons") or ()),
                   auto_approve_below=int(below) if below is not None else None)


# --- the request ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnLine:
    """Units of one offer a shopper returns."""

    offer_id: str
    quantity: int
    title: str = ""


@dataclass
class ReturnRequest:
    """A shopper's request to return units to one vendor, and where it stands."""

    return_id: str
    order_id: str
    vendor_id: str
    shopper_id: str
    number: int  # 1, 2...: its place among the order's returns (in the label reference)
    lines: tuple[ReturnLine, ...]
    reason: ReturnReason
    text: str
    photos: tuple[str, ...]
    requested_at: str
    answer_due_at: str
    state: ReturnState = ReturnState.REQUESTED
    label_reference: str | None = None
    rejection_reason: str | None = None
    decided_by: str | None = None  # vendor | admin | auto
    escalated_at: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    restock: bool = False
    refund_amount: int | None = None  # what the shopper gets back (set when refunded)
    restocking_fee: int = 0
    timeline: list[dict] = field(default_factory=list)  # {at, state, label}: what the shopper tracks

    @property
    def awaiting_answer(self) -> bool:
        """Requested and unanswered: on the escalation schedule's index until the deadline passes."""
        return self.state is ReturnState.REQUESTED

    def to_json(self) -> dict:
        return {"return_id": self.return_id, "order_id": self.order_id, "vendor_id": self.vendor_id,
                "shopper_id": self.shopper_id, "number": self.number,
                "lines": [{"offer_id": x.offer_id, "quantity": x.quantity, "title": x.title} for x in self.lines],
                "reason": self.reason.value, "text": self.text, "photos": list(self.photos),
                "requested_at": self.requested_at, "answer_due_at": self.answer_due_at, "state": self.state.value,
                "label_reference": self.label_reference, "rejection_reason": self.rejection_reason,
                "decided_by": self.decided_by, "escalated_at": self.escalated_at, "carrier": self.carrier,
                "tracking_number": self.tracking_number, "restock": self.restock,
                "refund_amount": self.refund_amount, "restocking_fee": self.restocking_fee,
                "timeline": list(self.timeline)}

    @classmethod
    def from_json(cls, data: dict) -> ReturnRequest:
        refund = data.get("refund_amount")
        return cls(return_id=data["return_id"], order_id=data["order_id"], vendor_id=data["vendor_id"],
                   shopper_id=data["shopper_id"], number=int(data.get("number") or 1),
                   lines=tuple(ReturnLine(x["offer_id"], int(x["quantity"]), x.get("title", ""))
                               for x in data.get("lines") or ()),
                   reason=ReturnReason(data["reason"]), text=data.get("text") or "",
                   photos=tuple(data.get("photos") or ()), requested_at=data["requested_at"],
                   answer_due_at=data["answer_due_at"], state=ReturnState(data["state"]),
                   label_reference=data.get("label_reference"), rejection_reason=data.get("rejection_reason"),
                   decided_by=data.get("decided_by"), escalated_at=data.get("escalated_at"),
                   carrier=data.get("carrier"), tracking_number=data.get("tracking_number"),
                   restock=bool(data.get("restock")), refund_amount=int(refund) if refund is not None else None,
                   restocking_fee=int(data.get("restocking_fee") or 0), timeline=list(data.get("timeline") or ()))


def new_return_id(order_id: str, client_key: str | None, fallback: str) -> str:
    """`ret_` + 26 characters: derived from the client's Idempotency-Key when it sent one (a retried
    request names the same return), else from `fallback` (random)."""
    digest = hashlib.sha256(f"{order_id}:{client_key or fallback}".encode()).hexdigest()
    return f"ret_{digest[:26]}"


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def _plus_days(at: str, days: int) -> str:
    return (_parse(at) + timedelta(days=days)).isoformat(timespec="seconds").replace("+00:00", "Z")


def delivered_at(order: Order, vendor_id: str) -> str | None:
    """When this vendor's parcel arrived: its delivered mark or the confirmed receipt, the earlier one."""
    vendor_order = order.vendor_order_of(vendor_id)
    known = [t for t in (vendor_order.delivered_at, vendor_order.receipt_confirmed_at) if t]
    return min(known) if known else None


def returnable(order: Order, vendor_id: str) -> dict[str, int]:
    """offer_id -> units of this vendor's lines that may still be returned (delivered, not cancelled,
    not already in a return that was not rejected). The window is checked separately."""
    vendor_order = order.vendor_order_of(vendor_id)
    if order.status.value != "paid" or delivered_at(order, vendor_id) is None:
        return {}
    taken: dict[str, int] = {}
    for ret in order.returns.values():
        if ret.vendor_id == vendor_id and ret.state is not ReturnState.REJECTED:
            for line in ret.lines:
                taken[line.offer_id] = taken.get(line.offer_id, 0) + line.quantity
    return {line.offer_id: line.quantity - taken.get(line.offer_id, 0) for line in order.vendor_lines(vendor_id)
            if line.offer_id not in vendor_order.cancelled_lines}


def window_closes(order: Order, vendor_id: str, rules: ReturnRules) -> str | None:
    arrived = delivered_at(order, vendor_id)
    return _plus_days(arrived, rules.window_days) if arrived else None


def refund_due(order: Order, ret: ReturnRequest, restocking_percent: int) -> tuple[int, int]:
    """(refund, restocking fee): what the shopper paid for the returned units, less the fee, which
    only a changed mind bears. Rounded so the fee is never more than the percentage says."""
    paid = sum(order.line_refund_amount(ret.vendor_id, line.offer_id, line.quantity) for line in ret.lines)
    fee = paid * restocking_percent // 100 if ret.reason is ReturnReason.CHANGED_MIND else 0
    return paid - fee, fee


def _note(ret: ReturnRequest, at: str, label: str) -> None:
    ret.timeline.append({"at": at, "state": ret.state.value, "label": label})


def _vendor_name(order: Order, vendor_id: str) -> str:
    return order.vendor_orders[vendor_id].vendor_name or vendor_id


def _event(order: Order, cls, ret: ReturnRequest, at: str, **extra) -> Publish:
    return Publish.of(cls(OrderSummary.of(order), vendor_id=ret.vendor_id, return_id=ret.return_id,
                          state=ret.state.value, at=at, **extra))


def request_return(order: Order, *, return_id: str, shopper_id: str, lines: list[tuple[str, int]],
                   reason: ReturnReason, text: str, photos: tuple[str, ...], at: str, rules_of,
                   answer_days: int = DEFAULT_ANSWER_DAYS) -> list[Effect]:
    """Open a return for units of ONE vendor's delivered lines; [] when this return id exists already
    (a retried request). `rules_of(vendor_id)` gives that vendor's ReturnRules."""
    if return_id in order.returns:
        return []
    if order.shopper_id != shopper_id:
        raise NotFound("No such order among yours.", fields={"order_id": "not found"})
    text = (text or "").strip()
    if reason is ReturnReason.OTHER and not text:
        raise InvalidInput("Tell the vendor what is wrong when the reason is 'other'.", fields={"text": "required"})
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(f"At most {MAX_PHOTOS} photos.", fields={"photos": f"at most {MAX_PHOTOS}"})
    if not lines:
        raise InvalidInput("Pick at least one line to return.", fields={"lines": "at least one"})
    by_offer = {line.offer_id: line for line in order.lines}
    wanted: dict[str, int] = {}
    for index, (offer_id, quantity) in enumerate(lines):
        if offer_id not in by_offer:
            raise InvalidInput("This order has no such line.", fields={f"lines[{index}]": "not in this order"})
        if quantity < 1:
            raise InvalidInput("Return at least one unit.", fields={f"lines[{index}].quantity": "at least 1"})
        wanted[offer_id] = wanted.get(offer_id, 0) + quantity
    vendors = {by_offer[o].vendor_id for o in wanted}
    if len(vendors) != 1:
        raise InvalidInput("One return goes back to one vendor: return each vendor's lines separately.",
                           fields={"lines": "lines of more than one vendor"})
    (vendor_id,) = vendors
    rules = rules_of(vendor_id)
    closes = window_closes(order, vendor_id, rules)
    left = returnable(order, vendor_id)
    if closes is None or not left:
        raise Conflict("Only delivered items can be returned.", code="not_delivered",
                       fields={"lines": "not delivered yet"})
    if at > closes:
        raise Conflict(f"The {rules.window_days}-day return window closed on {closes[:10]}.",
                       code="return_window_closed", fields={"lines": f"returnable until {closes}"})
    for index, (offer_id, _) in enumerate(lines):
        if wanted[offer_id] > left.get(offer_id, 0):
            raise Conflict(f"Only {left.get(offer_id, 0)} unit(s) of this line can still be returned.",
                           code="quantity_not_returnable",
                           fields={f"lines[{index}].quantity": f"at most {left.get(offer_id, 0)}"})
    ret = ReturnRequest(
        return_id=return_id, order_id=order.order_id, vendor_id=vendor_id, shopper_id=shopper_id,
        number=len(order.returns) + 1,
        lines=tuple(ReturnLine(o, q, by_offer[o].title) for o, q in wanted.items()),
        reason=reason, text=text, photos=tuple(photos), requested_at=at, answer_due_at=_plus_days(at, answer_days))
    _note(ret, at, f"Return requested: {_vendor_name(order, vendor_id)} answers by {ret.answer_due_at[:10]}")
    order.returns[return_id] = ret
    order.changed_returns.add(return_id)
    effects: list[Effect] = [_event(order, ReturnRequested, ret, at, reason=reason.value,
                                    lines=[{"offer_id": x.offer_id, "quantity": x.quantity, "title": x.title}
                                           for x in ret.lines],
                                    answer_due_at=ret.answer_due_at)]
    if rules.approves_at_once(reason, lambda: refund_due(order, ret, rules.restocking_percent)[0]):
        effects += _move(order, ret, AUTO_APPROVE, Actor.SYSTEM, at)
    return effects


def get(order: Order, return_id: str) -> ReturnRequest:
    ret = order.returns.get(return_id)
    if ret is None:
        raise NotFound("No such return.", fields={"return_id": "not found"})
    return ret


def _move(order: Order, ret: ReturnRequest, action: str, actor: Actor, at: str, **details) -> list[Effect]:
    """One legal step (else 409 naming the allowed ones), its timeline entry and its event."""
    step = TRANSITIONS[ret.state].get(action)
    if step is None or actor not in step[1]:
        raise illegal(action, ret.state, actor)
    ret.state = step[0]
    order.changed_returns.add(ret.return_id)
    vendor = _vendor_name(order, ret.vendor_id)
    if action in (APPROVE, AUTO_APPROVE):
        ret.decided_by = "auto" if actor is Actor.SYSTEM else actor.value
        ret.label_reference = f"RL-{order.order_number or order.order_id}-{ret.number}"
        _note(ret, at, f"Approved{' automatically' if actor is Actor.SYSTEM else ''}"
                       f"{' by the platform' if actor is Actor.ADMIN else ''}: send it back with label reference "
                       f"{ret.label_reference}")
        return [_event(order, ReturnApproved, ret, at, label_reference=ret.label_reference,
                       decided_by=ret.decided_by)]
    if action == REJECT:
        ret.decided_by, ret.rejection_reason = actor.value, details["reason"]
        _note(ret, at, f"Rejected{' by the platform' if actor is Actor.ADMIN else ''}: {ret.rejection_reason}")
        return [_event(order, ReturnRejected, ret, at, reason=ret.rejection_reason, decided_by=ret.decided_by)]
    if action == ESCALATE:
        ret.escalated_at = at
        _note(ret, at, f"{vendor} did not answer in time: the platform decides now")
        return [_event(order, ReturnEscalated, ret, at)]
    if action == SHIP_BACK:
        ret.carrier, ret.tracking_number = details["carrier"], details["tracking_number"]
        _note(ret, at, f"Sent back with {ret.carrier} ({ret.tracking_number})")
        return [_event(order, ReturnShippedBack, ret, at, carrier=ret.carrier, tracking_number=ret.tracking_number)]
    if action == RECEIVE:
        ret.restock = bool(details.get("restock"))
        _note(ret, at, f"Received by {vendor}")
        return [_event(order, ReturnReceived, ret, at, restock=ret.restock)]
    if action == FAIL_REFUND:
        _note(ret, at, "The refund failed: the platform is looking into it")
        return []
    _note(ret, at, f"Refunded {ret.refund_amount / 100:.2f} {order.currency}"
                   + (f" (restocking fee {ret.restocking_fee / 100:.2f})" if ret.restocking_fee else ""))
    return [_event(order, ReturnRefunded, ret, at, amount=ret.refund_amount, restocking_fee=ret.restocking_fee)]


def _require_vendor(ret: ReturnRequest, actor: Actor, vendor_id: str | None) -> None:
    """A vendor acts on its own returns only; another vendor's is not found (it learns nothing)."""
    if actor is Actor.VENDOR and ret.vendor_id != vendor_id:
        raise NotFound("No such return.", fields={"return_id": "not found"})


def approve(order: Order, return_id: str, *, actor: Actor, at: str, vendor_id: str | None = None) -> list[Effect]:
    ret = get(order, return_id)
    _require_vendor(ret, actor, vendor_id)
    if ret.state is ReturnState.APPROVED:
        return []  # a retried approval
    return _move(order, ret, APPROVE, actor, at)


def reject(order: Order, return_id: str, *, actor: Actor, reason: str, at: str,
           vendor_id: str | None = None) -> list[Effect]:
    ret = get(order, return_id)
    _require_vendor(ret, actor, vendor_id)
    if ret.state is ReturnState.REJECTED:
        return []
    if not reason.strip():
        raise InvalidInput("Say why the return is rejected.", fields={"reason": "required"})
    return _move(order, ret, REJECT, actor, at, reason=reason.strip())


def escalate_if_overdue(order: Order, return_id: str, *, at: str) -> list[Effect]:
    """The schedule: a return still unanswered past its deadline goes to the platform, once."""
    ret = order.returns.get(return_id)
    if ret is None or ret.state is not ReturnState.REQUESTED or ret.answer_due_at > at:
        return []
    return _move(order, ret, ESCALATE, Actor.SYSTEM, at)


def ship_back(order: Order, return_id: str, *, shopper_id: str, carrier: str, tracking_number: str,
              at: str) -> list[Effect]:
    ret = get(order, return_id)
    if ret.shopper_id != shopper_id:
        raise Forbidden("Only the shopper who asked for the return sends it back.", fields={"return_id": "not yours"})
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    for name, value in (("carrier", carrier), ("tracking_number", tracking_number)):
        if not value:
            raise InvalidInput(f"{name.replace('_', ' ').capitalize()} is required.", fields={name: "required"})
    if ret.state is ReturnState.SHIPPED_BACK and (ret.carrier, ret.tracking_number) == (carrier, tracking_number):
        return []
    return _move(order, ret, SHIP_BACK, Actor.SHOPPER, at, carrier=carrier, tracking_number=tracking_number)


def receive(order: Order, return_id: str, *, actor: Actor, restock: bool, refund: bool, at: str,
            rules: ReturnRules, vendor_id: str | None = None) -> list[Effect]:
    """The parcel came back. With `refund` the shopper is refunded in the same transition (the
    amount by rule), so the return is `refunded` in the same save as its ledger entries."""
    ret = get(order, return_id)
    _require_vendor(ret, actor, vendor_id)
    if ret.state in (ReturnState.RECEIVED, ReturnState.REFUNDED, ReturnState.REFUND_FAILED):
        return []
    effects = _move(order, ret, RECEIVE, actor, at, restock=restock)
    if restock:  # back on sale on the vendor's word, in this same save (once per return)
        effects += order.restock_returned(ret.vendor_id, ret.return_id,
                                          tuple((line.offer_id, line.quantity) for line in ret.lines), at=at)
    if refund:
        effects += _refund(order, ret, actor, at, rules.restocking_percent)
    return effects


def refund(order: Order, return_id: str, *, actor: Actor, at: str, rules: ReturnRules,
           restocking_percent: int | None = None, vendor_id: str | None = None) -> list[Effect]:
    """Refund a received return: by rule, or with a smaller restocking fee than the vendor's rule
    (never a bigger one, and only for a changed mind)."""
    ret = get(order, return_id)
    _require_vendor(ret, actor, vendor_id)
    if ret.state in (ReturnState.REFUNDED, ReturnState.REFUND_FAILED):
        return []
    by_rule = rules.restocking_percent if ret.reason is ReturnReason.CHANGED_MIND else 0
    percent = by_rule if restocking_percent is None else restocking_percent
    if not 0 <= percent <= rules.restocking_percent:
        raise InvalidInput(f"The restocking fee is at most the vendor's {rules.restocking_percent}%.",
                           fields={"restocking_percent": f"0 to {rules.restocking_percent}"})
    if percent and ret.reason is not ReturnReason.CHANGED_MIND:
        raise InvalidInput("A restocking fee applies only when the shopper changed their mind.",
                           fields={"restocking_percent": "0 for this reason"})
    return _refund(order, ret, actor, at, percent)


def _refund(order: Order, ret: ReturnRequest, actor: Actor, at: str, percent: int) -> list[Effect]:
    if TRANSITIONS[ret.state].get(REFUND) is None:
        raise illegal(REFUND, ret.state, actor)
    amount, fee = refund_due(order, ret, percent)
    ret.refund_amount, ret.restocking_fee = amount, fee
    effects: list[Effect] = []
    if amount > 0:
        effects += order.refund_for_case(ret.vendor_id, case_id=ret.return_id, amount=amount,
                                         reason=f"return:{ret.reason.value}", at=at)
    return effects + _move(order, ret, REFUND, actor, at)


def sync_refund_outcome(order: Order, return_id: str, *, at: str) -> list[Effect]:
    """The refund primitive recorded the refund failed: the return shows it, for an admin to resolve."""
    ret = order.returns.get(return_id)
    record = order.case_refund(return_id) if ret is not None else None
    if ret is None or ret.state is not ReturnState.REFUNDED or not record or record.get("status") != "failed":
        return []
    return _move(order, ret, FAIL_REFUND, Actor.SYSTEM, at)


def shown_state(order: Order, ret: ReturnRequest) -> ReturnState:
    """The state a reader sees: a refund the provider failed since shows as refund_failed at once."""
    if ret.state is ReturnState.REFUNDED:
        record = order.case_refund(ret.return_id)
        if record and record.get("status") == "failed":
            return ReturnState.REFUND_FAILED
    return ret.state
