"""Claims: a shopper's complaint about one vendor's part of an order, settled between the three parties.

    opened --answer(vendor: refund | replacement | rejection)--> answered
    answered --accept(shopper)--> resolved (as the vendor proposed)
    answered --escalate(shopper)--> escalated
    opened --escalate(auto: the vendor did not answer within HALLES_CLAIM_ANSWER_DAYS)--> escalated
    escalated --resolve(admin: refund | replacement | rejection)--> resolved
    resolved (replacement) --ship_replacement(vendor, once)--> resolved, with the new shipment

A claim lives on its order (`Order.claims`, saved in the order's transaction with its ledger entries and
outbox), so a refund decided here is made by the same transition (`Order.refund_for_case`). One open claim
per sub-order; `not_received` only once the parcel shipped or the longest delivery promise has passed.
Every other step is a 409 naming the allowed ones. Refund amounts are computed from the order's lines
(what the shopper paid for them), never taken from a request.

Pure rules: no I/O. The functions that apply a step to an order (`open_claim`, `answer`...) return
the effects to save with it, as every order transition does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.events import ClaimAnswered, ClaimEscalated, ClaimOpened, ClaimResolved, OrderSummary
from chalicelib.domain.order_effects import Effect, Publish
from chalicelib.domain.timestamps import iso

if TYPE_CHECKING:
    from chalicelib.domain.orders import Order

DEFAULT_ANSWER_DAYS = 3
# A parcel that never shipped may be claimed as not received once this long has passed since payment:
# longer than any delivery promise an offer may make.
NOT_RECEIVED_AFTER_DAYS = 21
MAX_TEXT = 2000


class ClaimReason(StrEnum):
    NOT_RECEIVED = "not_received"
    DAMAGED = "damaged"
    NOT_AS_DESCRIBED = "not_as_described"
    OTHER = "other"


class ClaimState(StrEnum):
    OPENED = "opened"
    ANSWERED = "answered"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    REFUND = "refund"
    REPLACEMENT = "replacement"
    REJECTION = "rejection"


# Actions, and who takes them.
ANSWER, ACCEPT, ESCALATE, RESOLVE, SHIP_REPLACEMENT = "answer", "accept", "escalate", "resolve", "ship_replacement"

ALLOWED: dict[ClaimState, tuple[str, ...]] = {
    ClaimState.OPENED: (ANSWER, ESCALATE),  # escalate: only the schedule, once the answer is overdue
    ClaimState.ANSWERED: (ACCEPT, ESCALATE),
    ClaimState.ESCALATED: (RESOLVE,),
    ClaimState.RESOLVED: (SHIP_REPLACEMENT,),  # only a replacement not shipped yet
}


@dataclass(frozen=True)
class Decision:
    """A proposal (the vendor's answer) or a resolution (accepted or the admin's): what settles the claim.

    `amount` is computed from `lines` ((offer_id, quantity) pairs of the sub-order) for a refund; 0 otherwise."""

    resolution: Resolution
    amount: int = 0
    lines: tuple[tuple[str, int], ...] = ()
    reason: str = ""  # the rejection's reason, or a note

    def to_json(self) -> dict:
        return {"resolution": self.resolution.value, "amount": self.amount,
                "lines": [list(line) for line in self.lines], "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict) -> Decision:
        return cls(Resolution(data["resolution"]), int(data.get("amount") or 0),
                   tuple((str(o), int(q)) for o, q in data.get("lines") or ()), data.get("reason") or "")


@dataclass
class Claim:
    """A shopper's claim on one vendor's part of an order, and where it stands."""

    claim_id: str
    order_id: str
    vendor_id: str
    reason: ClaimReason
    text: str
    opened_at: str
    answer_due_at: str  # when the schedule escalates it if the vendor has not answered
    state: ClaimState = ClaimState.OPENED
    answer: Decision | None = None
    answered_at: str | None = None
    escalated_at: str | None = None
    escalated_by: str | None = None  # shopper | auto
    resolution: Decision | None = None
    resolved_at: str | None = None
    resolved_by: str | None = None  # shopper (accepted the answer) | admin
    replacement_shipment: dict | None = None  # {carrier, tracking_number, tracking_url, shipped_at}
    history: list[dict] = field(default_factory=list)  # [{at, state, by, note}]

    @property
    def is_open(self) -> bool:
        return self.state is not ClaimState.RESOLVED

    @property
    def answer_overdue_from(self) -> str | None:
        """The deadline the escalation schedule watches (None once the vendor answered or it moved on)."""
        return self.answer_due_at if self.state is ClaimState.OPENED else None

    @property
    def awaits_replacement(self) -> bool:
        return (self.state is ClaimState.RESOLVED and self.resolution is not None
                and self.resolution.resolution is Resolution.REPLACEMENT and self.replacement_shipment is None)

    def allowed_actions(self) -> tuple[str, ...]:
        if self.state is ClaimState.RESOLVED:
            return (SHIP_REPLACEMENT,) if self.awaits_replacement else ()
        return ALLOWED[self.state]

    # --- the state machine (pure: no order, no money) -------------------------------------------

    def _require(self, action: str) -> None:
        allowed = self.allowed_actions()
        if action not in allowed:
            words = ", ".join(allowed) if allowed else "none"
            raise Conflict(f"This claim is {self.state.value}: it cannot {action.replace('_', ' ')} now "
                           f"(allowed: {words}).", code="illegal_transition",
                           fields={"state": self.state.value, "allowed_actions": words})

    def _step(self, state: ClaimState, at: str, by: str, note: str = "") -> None:
        self.state = state
        self.history.append({"at": at, "state": state.value, "by": by, "note": note})

    def record_answer(self, proposal: Decision, *, at: str) -> None:
        self._require(ANSWER)
        self.answer, self.answered_at = proposal, at
        self._step(ClaimState.ANSWERED, at, "vendor", proposal.resolution.value)

    def record_accept(self, *, at: str) -> Decision:
        self._require(ACCEPT)
        assert self.answer is not None
        self.resolution, self.resolved_at, self.resolved_by = self.answer, at, "shopper"
        self._step(ClaimState.RESOLVED, at, "shopper", self.answer.resolution.value)
        return self.answer

    def record_escalation(self, *, at: str, by: str) -> None:
        """`by`: shopper (only after the vendor answered) or auto (only once the answer is overdue)."""
        self._require(ESCALATE)
        if by == "shopper" and self.state is ClaimState.OPENED:
            raise Conflict("The vendor has until its deadline to answer; the claim escalates by itself if it "
                           f"does not (allowed now: none for you, the vendor may {ANSWER}).",
                           code="illegal_transition",
                           fields={"state": self.state.value, "allowed_actions": ANSWER,
                                   "answer_due_at": self.answer_due_at})
        if by == "auto" and (self.state is not ClaimState.OPENED or at < self.answer_due_at):
            raise Conflict("The vendor's answer is not overdue.", code="not_overdue",
                           fields={"answer_due_at": self.answer_due_at})
        self.escalated_at, self.escalated_by = at, by
        self._step(ClaimState.ESCALATED, at, by)

    def record_resolution(self, decision: Decision, *, at: str) -> None:
        self._require(RESOLVE)
        self.resolution, self.resolved_at, self.resolved_by = decision, at, "admin"
        self._step(ClaimState.RESOLVED, at, "admin", decision.resolution.value)

    def record_replacement_shipment(self, shipment: dict, *, at: str) -> None:
        self._require(SHIP_REPLACEMENT)
        self.replacement_shipment = {**shipment, "shipped_at": at}
        self.history.append({"at": at, "state": self.state.value, "by": "vendor", "note": "replacement_shipped"})

    # --- storage -----------------------------------------------------------------------------------

    def to_json(self) -> dict:
        return {"claim_id": self.claim_id, "order_id": self.order_id, "vendor_id": self.vendor_id,
                "reason": self.reason.value, "text": self.text, "opened_at": self.opened_at,
                "answer_due_at": self.answer_due_at, "state": self.state.value,
                "answer": self.answer.to_json() if self.answer else None, "answered_at": self.answered_at,
                "escalated_at": self.escalated_at, "escalated_by": self.escalated_by,
                "resolution": self.resolution.to_json() if self.resolution else None,
                "resolved_at": self.resolved_at, "resolved_by": self.resolved_by,
                "replacement_shipment": self.replacement_shipment, "history": list(self.history)}

    @classmethod
    def from_json(cls, data: dict) -> Claim:
        return cls(claim_id=data["claim_id"], order_id=data["order_id"], vendor_id=data["vendor_id"],
                   reason=ClaimReason(data["reason"]), text=data.get("text") or "", opened_at=data["opened_at"],
                   answer_due_at=data["answer_due_at"], state=ClaimState(data["state"]),
                   answer=Decision.from_json(data["answer"]) if data.get("answer") else None,
                   answered_at=data.get("answered_at"), escalated_at=data.get("escalated_at"),
                   escalated_by=data.get("escalated_by"),
                   resolution=Decision.from_json(data["resolution"]) if data.get("resolution") else None,
                   resolved_at=data.get("resolved_at"), resolved_by=data.get("resolved_by"),
                   replacement_shipment=data.get("replacement_shipment"),
                   history=[dict(h) for h in data.get("history") or ()])


def claim_id_for(order_id: str, vendor_id: str, opened_at: str, key: str, content: str = "") -> str:
    """`clm_` + 26 characters derived from what opens it: a retried request (same idempotency key; without
    one, the same content within the same second) opens the same claim, never a second one."""
    digest = hashlib.sha256(f"{order_id}:{vendor_id}:{key or opened_at + ':' + content}".encode()).hexdigest()
    return "clm_" + digest[:26]


def _plus_days(at: str, days: int) -> str:
    return iso(datetime.fromisoformat(at.replace("Z", "+00:00")) + timedelta(days=days))


# --- steps applied to an order ----------------------------------------------------------------


def claim_of(order: Order, claim_id: str) -> Claim:
    claim = order.claims.get(claim_id)
    if claim is None:
        raise NotFound("No such claim.", fields={"claim_id": "not found"})
    return claim


def open_claim(order: Order, vendor_id: str, *, reason: ClaimReason, text: str, at: str, key: str = "",
               answer_days: int = DEFAULT_ANSWER_DAYS) -> tuple[Claim, list[Effect]]:
    """The shopper opens a claim on one vendor's part of a paid order. A retry (same key) returns the
    claim it opened and no effects; another open claim on the sub-order is a 409 naming it."""
    from chalicelib.domain.orders import OrderStatus

    claim_id = claim_id_for(order.order_id, vendor_id, at, key, f"{reason.value}:{text}")
    if claim_id in order.claims:
        return order.claims[claim_id], []
    vendor_order = order.vendor_order_of(vendor_id)  # 404 naming vendor_id
    if order.status is not OrderStatus.PAID or vendor_order.state.value in ("pending_payment", "cancelled"):
        raise Conflict("Only a paid part of an order can be claimed.", code="not_claimable",
                       fields={"vendor_id": f"sub-order is {vendor_order.state.value}"})
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"The description is at most {MAX_TEXT} characters.", fields={"text": "too long"})
    if reason is ClaimReason.OTHER and not text:
        raise InvalidInput("Tell us what went wrong.", fields={"text": "required when the reason is other"})
    opened = next((c for c in order.claims.values() if c.vendor_id == vendor_id and c.is_open), None)
    if opened is not None:
        raise Conflict("This part of the order already has an open claim.", code="claim_already_open",
                       fields={"vendor_id": f"claim {opened.claim_id} is {opened.state.value}"})
    paid_at = next((e.at for e in order.timeline if e.id == "paid"), order.created_at)
    shipped = vendor_order.state.value in ("shipped", "delivered")
    if reason is ClaimReason.NOT_RECEIVED and not shipped and at < _plus_days(paid_at, NOT_RECEIVED_AFTER_DAYS):
        raise Conflict("A parcel can be reported as not received once it has shipped, or once its delivery "
                       "date has passed.", code="not_shipped_yet",
                       fields={"reason": f"sub-order is {vendor_order.state.value}",
                               "allowed_reasons": "damaged, not_as_described, other"})
    claim = Claim(claim_id, order.order_id, vendor_id, reason, text, at, _plus_days(at, answer_days))
    claim.history.append({"at": at, "state": ClaimState.OPENED.value, "by": "shopper", "note": reason.value})
    order.claims[claim_id] = claim
    _note(order, claim, at, f"Claim opened ({reason.value.replace('_', ' ')})")
    return claim, [Publish.of(ClaimOpened(OrderSummary.of(order), vendor_id=vendor_id, claim_id=claim_id,
                                          reason=reason.value, answer_due_at=claim.answer_due_at))]


def decision_for(order: Order, vendor_id: str, resolution: Resolution, *, lines: tuple[tuple[str, int], ...] = (),
                 reason: str = "") -> Decision:
    """A refund's amount from the lines named (what the shopper paid for those units); a rejection needs
    a reason. Lines must belong to the sub-order, each at most its quantity."""
    reason = reason.strip()
    if resolution is Resolution.REJECTION:
        if not reason:
            raise InvalidInput("Say why the claim is rejected.", fields={"reason": "required for a rejection"})
        return Decision(resolution, reason=reason)
    if resolution is Resolution.REPLACEMENT:
        return Decision(resolution, reason=reason)
    if not lines:
        raise InvalidInput("Name the lines to refund.", fields={"lines": "required for a refund"})
    own = {line.offer_id: line.quantity for line in order.vendor_lines(vendor_id)}
    merged: dict[str, int] = {}
    for offer_id, quantity in lines:
        if offer_id not in own:
            raise InvalidInput("That line is not part of this sub-order.", fields={"lines": f"{offer_id}: unknown"})
        merged[offer_id] = merged.get(offer_id, 0) + quantity
        if quantity <= 0 or merged[offer_id] > own[offer_id]:
            raise InvalidInput("Refund at most the quantity bought.",
                               fields={"lines": f"{offer_id}: 1 to {own[offer_id]}"})
    amount = sum(order.line_refund_amount(vendor_id, offer_id, quantity) for offer_id, quantity in merged.items())
    amount = min(amount, order.vendor_refundable(vendor_id))
    if amount <= 0:
        raise Conflict("Nothing is left to refund on this sub-order.", code="nothing_to_refund",
                       fields={"lines": "already refunded"})
    return Decision(resolution, amount=amount, lines=tuple(sorted(merged.items())), reason=reason)


def answer(order: Order, claim_id: str, vendor_id: str, proposal: Decision, *, at: str) -> list[Effect]:
    claim = _vendors_claim(order, claim_id, vendor_id)
    if claim.answer == proposal and claim.state is not ClaimState.OPENED:
        return []  # the same answer again
    claim.record_answer(proposal, at=at)
    _note(order, claim, at, f"The vendor answered: {_describe(order, proposal)}")
    return [Publish.of(ClaimAnswered(OrderSummary.of(order), vendor_id=vendor_id, claim_id=claim_id,
                                     proposal=proposal.to_json()))]


def accept(order: Order, claim_id: str, *, at: str) -> list[Effect]:
    claim = claim_of(order, claim_id)
    if claim.state is ClaimState.RESOLVED and claim.resolved_by == "shopper":
        return []
    decision = claim.record_accept(at=at)
    return _settle(order, claim, decision, at, "Resolved: you accepted the vendor's proposal")


def escalate(order: Order, claim_id: str, *, at: str, by: str) -> list[Effect]:
    claim = claim_of(order, claim_id)
    if claim.state is ClaimState.ESCALATED:
        return []
    claim.record_escalation(at=at, by=by)
    label = ("Escalated to Halles at your request" if by == "shopper"
             else "Escalated to Halles: the vendor did not answer in time")
    _note(order, claim, at, label)
    return [Publish.of(ClaimEscalated(OrderSummary.of(order), vendor_id=claim.vendor_id, claim_id=claim_id, by=by))]


def resolve(order: Order, claim_id: str, decision: Decision, *, at: str) -> list[Effect]:
    claim = claim_of(order, claim_id)
    if claim.state is ClaimState.RESOLVED and claim.resolved_by == "admin" and claim.resolution == decision:
        return []
    claim.record_resolution(decision, at=at)
    return _settle(order, claim, decision, at, f"Resolved by Halles: {_describe(order, decision)}")


def ship_replacement(order: Order, claim_id: str, vendor_id: str, shipment: dict, *, at: str) -> list[Effect]:
    claim = _vendors_claim(order, claim_id, vendor_id)
    if claim.replacement_shipment and {k: v for k, v in claim.replacement_shipment.items()
                                       if k != "shipped_at"} == shipment:
        return []
    claim.record_replacement_shipment(shipment, at=at)
    _note(order, claim, at, f"Replacement shipped with {shipment.get('carrier', '')}", extra=shipment)
    return []


def _settle(order: Order, claim: Claim, decision: Decision, at: str, label: str) -> list[Effect]:
    """The resolution's money in the same transition: a refund through the order's refund primitive."""
    effects: list[Effect] = []
    # Another refund (a return) may have taken part of the share since the proposal: never more than is left.
    amount = min(decision.amount, order.vendor_refundable(claim.vendor_id))
    if decision.resolution is Resolution.REFUND and amount > 0:
        effects += order.refund_for_case(claim.vendor_id, case_id=claim.claim_id, amount=amount,
                                         reason=f"claim_{claim.reason.value}", at=at)
    _note(order, claim, at, label)
    effects.append(Publish.of(ClaimResolved(OrderSummary.of(order), vendor_id=claim.vendor_id,
                                            claim_id=claim.claim_id, resolution=decision.to_json(),
                                            resolved_by=claim.resolved_by or "")))
    return effects


def _vendors_claim(order: Order, claim_id: str, vendor_id: str) -> Claim:
    claim = claim_of(order, claim_id)
    if claim.vendor_id != vendor_id:
        raise NotFound("No such claim.", fields={"claim_id": "not found"})
    return claim


def _describe(order: Order, decision: Decision) -> str:
    if decision.resolution is Resolution.REFUND:
        return f"refund of {decision.amount / 100:.2f} {order.currency}"
    if decision.resolution is Resolution.REPLACEMENT:
        return "a replacement"
    return f"rejected ({decision.reason})"


def _note(order: Order, claim: Claim, at: str, label: str, extra: dict | None = None) -> None:
    from chalicelib.domain.orders import TimelineEntry

    order._note(TimelineEntry(f"claim:{claim.claim_id}:{len(claim.history)}", at, label, kind="claim",
                              details={"vendor_id": claim.vendor_id, "claim_id": claim.claim_id,
                                       "state": claim.state.value, **(extra or {})}))


# --- what a case list shows (the cases table's `summary`, chalicelib/store/cases.py) --------------


def _money(amount: int, currency: str) -> dict:
    return {"amount": amount, "currency": currency}


def claim_summary(order: Order, claim: Claim) -> dict:
    vendor_order = order.vendor_orders.get(claim.vendor_id)
    data = claim.to_json()
    return {**data, "kind": "claim", "case_id": claim.claim_id, "order_number": order.order_number,
            "currency": order.currency, "vendor_name": vendor_order.vendor_name if vendor_order else "",
            "allowed_actions": list(claim.allowed_actions()),
            "deadline": claim.answer_overdue_from,
            "lines": [{"offer_id": line.offer_id, "title": line.title, "quantity": line.quantity}
                      for line in order.vendor_lines(claim.vendor_id)]}


def dispute_summary(order: Order, dispute, *, vendor_id: str | None = None) -> dict:
    """A dispute as a case: its evidence deadline, amount, reason, the vendors concerned and the status
    history (from the order's timeline). `vendor_id`: as that vendor sees it, with its payout's state."""
    history = [_dispute_step(e) for e in order.timeline
               if e.kind == "dispute" and e.details.get("dispute_id") == dispute.id]
    opened_at = history[0]["at"] if history else order.created_at
    summary = {"kind": "dispute", "case_id": dispute.id, "dispute_id": dispute.id, "order_id": order.order_id,
               "order_number": order.order_number, "status": dispute.status, "state": dispute.status,
               "amount": _money(dispute.amount, dispute.currency or order.currency), "reason": dispute.reason,
               "deadline": dispute.due_by, "due_by": dispute.due_by, "opened_at": opened_at,
               "vendors": [{"vendor_id": v.vendor_id, "vendor_name": v.vendor_name}
                           for v in order.vendor_orders.values()],
               "history": history}
    if vendor_id is not None:
        vendor_order = order.vendor_orders[vendor_id]
        summary["vendors"] = [{"vendor_id": vendor_id, "vendor_name": vendor_order.vendor_name}]
        summary["payout_status"] = vendor_order.payout_status.value if vendor_order.payout_status else None
    return summary


def _dispute_step(entry) -> dict:
    """One line of a dispute's history: the provider's word (`note`: the event's stage, e.g. created,
    funds_withdrawn, closed) or the admin's evidence (`note`: evidence_staged | evidence_submitted)."""
    parts = entry.id.split(":")  # dispute:<id>:<stage>:<status> | dispute:<id>:evidence<n>:<evidence stage>
    if len(parts) >= 4 and parts[2].startswith("evidence"):
        return {"at": entry.at, "state": entry.details.get("status", ""), "by": "admin", "note": parts[3]}
    return {"at": entry.at, "state": entry.details.get("status", ""), "by": "provider",
            "note": parts[2] if len(parts) >= 4 else ""}


# --- disputes as cases ----------------------------------------------------------------------------

CLOSED_DISPUTE_STATUSES = frozenset({"won", "lost", "warning_closed"})


def dispute_events(order: Order, dispute, known_before) -> list[Effect]:
    """dispute.opened the first time the order hears of the dispute; dispute.closed once it is won or
    lost (the outbox and the events' dedup keys publish each once, whatever order the webhooks come in)."""
    from chalicelib.domain.events import DisputeClosed, DisputeOpened

    effects: list[Effect] = []
    if known_before is None:
        effects.append(Publish.of(DisputeOpened(OrderSummary.of(order), dispute_id=dispute.id, amount=dispute.amount,
                                                currency=dispute.currency, reason=dispute.reason,
                                                due_by=dispute.due_by)))
    if dispute.status in CLOSED_DISPUTE_STATUSES and (known_before is None
                                                     or known_before.status not in CLOSED_DISPUTE_STATUSES):
        effects.append(Publish.of(DisputeClosed(OrderSummary.of(order), dispute_id=dispute.id, status=dispute.status)))
    return effects


def note_evidence(order: Order, dispute_id: str, *, submitted: bool, status: str | None, at: str,
                  by: str) -> list[Effect]:
    """The admin staged or submitted evidence: on the dispute's history (the case shows it)."""
    from chalicelib.domain.orders import TimelineEntry

    dispute = order.disputes.get(dispute_id)
    if dispute is None:
        raise NotFound("No such dispute.", fields={"dispute_id": "not found"})
    count = sum(1 for e in order.timeline if e.id.startswith(f"dispute:{dispute_id}:evidence"))
    stage = "evidence_submitted" if submitted else "evidence_staged"
    order._note(TimelineEntry(f"dispute:{dispute_id}:evidence{count + 1}:{stage}", at,
                              "Evidence submitted" if submitted else "Evidence saved", kind="dispute",
                              audience=_internal(), details={"dispute_id": dispute_id,
                                                             "status": status or dispute.status, "by": by}))
    return []


def _internal():
    from chalicelib.domain.orders import Audience

    return Audience.INTERNAL
