"""Claims and disputes: the shopper's claims on an order, the vendor's answers, the admin's cases.

Every step is a transition of the claim's ORDER (chalicelib/domain/claims.py) applied through
`change_order`: saved with the order's version condition, its ledger entries, its outbox and its case
rows in one transaction, so a refund decided by a claim is made exactly once with it. A claim is found
by id through the cases table (chalicelib/store/cases.py), then its order decides who may see it: the
order's shopper, the sub-order's vendor, an admin. Anyone else gets "not found", whatever the id.

Escalation to the platform happens in `escalate` (the shopper, after the vendor's answer) and in
`escalate_overdue_claims` (the hourly schedule, when the vendor did not answer in time): that is where a
message thread would be escalated too (chalicelib/services/messages.py, wired after the merge).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from chalicelib.domain import claims as rules
from chalicelib.domain.claims import ClaimReason, Resolution
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.fulfilment import Shipment
from chalicelib.domain.orders import Order
from chalicelib.domain.ports import OrderRepository
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentGateway
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order

ADMIN, VENDOR, SHOPPER = "admin", "vendor", "shopper"


def answer_days() -> int:
    """HALLES_CLAIM_ANSWER_DAYS (default 3): how long a vendor has to answer before the claim escalates."""
    try:
        return max(1, int(os.environ.get("HALLES_CLAIM_ANSWER_DAYS") or rules.DEFAULT_ANSWER_DAYS))
    except ValueError:
        return rules.DEFAULT_ANSWER_DAYS


class _Deps:
    def __init__(self, orders: OrderRepository | None, effects: EffectRunner | None, cases=None,
                 gateway: PaymentGateway | None = None):
        from chalicelib.services import wiring

        self.orders = orders or wiring.order_repository()
        self.effects = effects or wiring.effect_runner(gateway)
        self.cases = cases or _dynamo_cases()


def _dynamo_cases():
    from chalicelib.store import cases

    return cases


def _at(now: datetime | None) -> str:
    return iso(now or datetime.now(UTC))


def _no_claim() -> NotFound:
    return NotFound("No such claim.", fields={"claim_id": "not found"})


# --- views --------------------------------------------------------------------------------------


def claim_view(order: Order, claim: rules.Claim, *, audience: str) -> dict:
    view = rules.claim_summary(order, claim)
    view["refund"] = order.case_refund(claim.claim_id)
    if audience == SHOPPER:
        view["allowed_actions"] = [a for a in claim.allowed_actions() if a in (rules.ACCEPT, rules.ESCALATE)
                                   and not (a == rules.ESCALATE and claim.state is rules.ClaimState.OPENED)]
    elif audience == VENDOR:
        view["allowed_actions"] = [a for a in claim.allowed_actions() if a in (rules.ANSWER, rules.SHIP_REPLACEMENT)]
    else:
        view["allowed_actions"] = [a for a in claim.allowed_actions() if a == rules.RESOLVE]
    return view


# --- finding a claim and checking who asks ------------------------------------------------------


def _order_of_case(deps: _Deps, case_id: str) -> Order:
    if not (case_id.startswith(("clm_", "dp_", "du_")) and len(case_id) <= 80):
        raise _no_claim()
    case = deps.cases.get_case(case_id)
    order = deps.orders.get(case["order_id"]) if case else None
    if order is None:
        raise _no_claim()
    return order


def _visible_claim(deps: _Deps, claim_id: str, *, user_id: str, role: str) -> tuple[Order, rules.Claim]:
    order = _order_of_case(deps, claim_id)
    claim = order.claims.get(claim_id)
    if claim is None:
        raise _no_claim()
    allowed = (role == ADMIN or (role == SHOPPER and order.shopper_id == user_id)
               or (role == VENDOR and claim.vendor_id == user_id))
    if not allowed:
        raise _no_claim()
    return order, claim


def _shoppers_order(deps: _Deps, shopper_id: str, order_id: str) -> Order:
    order = deps.orders.get(order_id) if order_id.startswith("ord_") and len(order_id) <= 64 else None
    if order is None or order.shopper_id != shopper_id:
        raise NotFound("No such order.", fields={"order_id": "not found"})
    return order


def _apply(deps: _Deps, order_id: str, step) -> Order:
    """Apply `step` and save it when it changed a case (a step may change one without any effect: the
    replacement's tracking); a retry of a step already taken saves nothing: the answer is the order as is."""

    def transition(order: Order):
        before = (_cases_state(order), len(order.timeline))
        effects = step(order) or []
        return effects if effects or (_cases_state(order), len(order.timeline)) != before else None

    order = change_order(order_id, transition, orders=deps.orders, effects=deps.effects)
    if order is None:
        raise _no_claim()
    return order


def _cases_state(order: Order) -> list:
    return [claim.to_json() for claim in order.claims.values()]


# --- the shopper ---------------------------------------------------------------------------------


def open_claim(shopper_id: str, order_id: str, *, vendor_id: str, reason: str, text: str, key: str = "",
               now: datetime | None = None, orders=None, effects=None, cases=None) -> dict:
    deps = _Deps(orders, effects, cases)
    _shoppers_order(deps, shopper_id, order_id)
    at = _at(now)
    opened: dict = {}

    def step(order: Order):
        claim, todo = rules.open_claim(order, vendor_id, reason=ClaimReason(reason), text=text, at=at, key=key,
                                       answer_days=answer_days())
        opened["id"] = claim.claim_id
        return todo

    order = _apply(deps, order_id, step)
    count("ClaimsOpened", 1, reason=reason)
    return claim_view(order, order.claims[opened["id"]], audience=SHOPPER)


def list_order_claims(shopper_id: str, order_id: str, *, orders=None, effects=None, cases=None) -> dict:
    deps = _Deps(orders, effects, cases)
    order = _shoppers_order(deps, shopper_id, order_id)
    items = sorted(order.claims.values(), key=lambda c: (c.opened_at, c.claim_id), reverse=True)
    return {"items": [claim_view(order, c, audience=SHOPPER) for c in items]}


def get_claim(user_id: str, role: str, claim_id: str, *, orders=None, effects=None, cases=None) -> dict:
    deps = _Deps(orders, effects, cases)
    order, claim = _visible_claim(deps, claim_id, user_id=user_id, role=role)
    return claim_view(order, claim, audience=role)


def accept(shopper_id: str, claim_id: str, *, now: datetime | None = None, orders=None, effects=None,
           cases=None) -> dict:
    deps = _Deps(orders, effects, cases)
    order, _ = _visible_claim(deps, claim_id, user_id=shopper_id, role=SHOPPER)
    at = _at(now)
    order = _apply(deps, order.order_id, lambda o: rules.accept(o, claim_id, at=at))
    return claim_view(order, order.claims[claim_id], audience=SHOPPER)


def escalate(shopper_id: str, claim_id: str, *, now: datetime | None = None, orders=None, effects=None,
             cases=None) -> dict:
    deps = _Deps(orders, effects, cases)
    order, _ = _visible_claim(deps, claim_id, user_id=shopper_id, role=SHOPPER)
    at = _at(now)
    order = _apply(deps, order.order_id, lambda o: rules.escalate(o, claim_id, at=at, by="shopper"))
    count("ClaimsEscalated", 1, by="shopper")
    return claim_view(order, order.claims[claim_id], audience=SHOPPER)


# --- the vendor ----------------------------------------------------------------------------------


def vendor_cases(vendor_id: str, *, open_only: bool = False, limit: int = 50, cursor: str | None = None,
                 orders=None, effects=None, cases=None) -> dict:
    """The vendor's claims and the disputes on its orders (its payout held while one is open), open first,
    a page at a time."""
    deps = _Deps(orders, effects, cases)
    rows, next_cursor = deps.cases.vendor_cases(vendor_id, open_only=open_only, limit=limit, cursor=cursor)
    return {"items": [row["summary"] for row in rows], "next_cursor": next_cursor}


def _lines(lines) -> tuple[tuple[str, int], ...]:
    return tuple((line["offer_id"], int(line["quantity"])) for line in lines or ())


def answer(vendor_id: str, claim_id: str, *, resolution: str, lines=(), reason: str = "",
           now: datetime | None = None, orders=None, effects=None, cases=None) -> dict:
    deps = _Deps(orders, effects, cases)
    order, _ = _visible_claim(deps, claim_id, user_id=vendor_id, role=VENDOR)
    at = _at(now)

    def step(o: Order):
        proposal = rules.decision_for(o, vendor_id, Resolution(resolution), lines=_lines(lines), reason=reason)
        return rules.answer(o, claim_id, vendor_id, proposal, at=at)

    order = _apply(deps, order.order_id, step)
    return claim_view(order, order.claims[claim_id], audience=VENDOR)


def ship_replacement(vendor_id: str, claim_id: str, *, carrier: str, tracking_number: str, tracking_url: str,
                     now: datetime | None = None, orders=None, effects=None, cases=None) -> dict:
    deps = _Deps(orders, effects, cases)
    order, _ = _visible_claim(deps, claim_id, user_id=vendor_id, role=VENDOR)
    shipment = Shipment(carrier.strip(), tracking_number.strip(), tracking_url.strip()).to_json()  # 400 naming it
    at = _at(now)
    order = _apply(deps, order.order_id, lambda o: rules.ship_replacement(o, claim_id, vendor_id, shipment, at=at))
    return claim_view(order, order.claims[claim_id], audience=VENDOR)


# --- the admin -----------------------------------------------------------------------------------

_BUCKETS = {"open": ("escalated", "open"), "escalated": ("escalated",), "closed": ("closed",),
            "all": ("escalated", "open", "closed")}


def admin_queue_names(kind: str, state: str) -> list[str]:
    """The admin queues (`<kind>#<bucket>`) a listing reads: every open dispute is the platform's, so
    disputes have no escalated bucket (an escalated listing shows the open ones)."""
    names: list[str] = []
    for k in (("claim", "dispute") if kind == "all" else (kind,)):
        for bucket in _BUCKETS[state]:
            if k == "dispute" and bucket == "escalated":
                bucket = "open" if state == "escalated" else None
            if bucket and f"{k}#{bucket}" not in names:
                names.append(f"{k}#{bucket}")
    return names


def admin_cases(*, kind: str = "all", state: str = "open", limit: int = 50, cursor: str | None = None,
                orders=None, effects=None, cases=None) -> dict:
    """Claims and disputes for the admin, the nearest deadline first (no deadline last), a page at a
    time: `next_cursor` (opaque) resumes after the page; a cursor of another listing is a 400 naming it."""
    deps = _Deps(orders, effects, cases)
    rows, next_cursor = deps.cases.admin_queues(admin_queue_names(kind, state), limit, cursor)
    return {"items": [row["summary"] for row in rows], "next_cursor": next_cursor}


def resolve(admin_id: str, claim_id: str, *, resolution: str, lines=(), reason: str = "",
            now: datetime | None = None, orders=None, effects=None, cases=None) -> dict:
    deps = _Deps(orders, effects, cases)
    order, claim = _visible_claim(deps, claim_id, user_id=admin_id, role=ADMIN)
    at = _at(now)

    def step(o: Order):
        decision = rules.decision_for(o, claim.vendor_id, Resolution(resolution), lines=_lines(lines),
                                      reason=reason)
        return rules.resolve(o, claim_id, decision, at=at)

    order = _apply(deps, order.order_id, step)
    count("ClaimsResolved", 1, resolution=resolution, by="admin")
    return claim_view(order, order.claims[claim_id], audience=ADMIN)


def submit_dispute_evidence(admin_id: str, dispute_id: str, *, evidence: dict[str, str], submit: bool,
                            now: datetime | None = None, orders=None, effects=None, cases=None,
                            gateway: PaymentGateway | None = None) -> dict:
    """Stage or submit evidence at the provider (`Dispute.modify`), then note it on the dispute's case.
    The dispute's new status arrives by its webhook (charge.dispute.updated / closed)."""
    from chalicelib.services import wiring

    deps = _Deps(orders, effects, cases, gateway)
    if not dispute_id.startswith(("dp_", "du_")):
        raise NotFound("No such dispute.", fields={"dispute_id": "not found"})
    order = _order_of_case(deps, dispute_id)
    if dispute_id not in order.disputes:
        raise NotFound("No such dispute.", fields={"dispute_id": "not found"})
    status = order.disputes[dispute_id].status
    if status in rules.CLOSED_DISPUTE_STATUSES:
        raise Conflict(f"This dispute is closed ({status}): evidence can no longer be sent.",
                       code="dispute_closed", fields={"dispute_id": f"dispute is {status}"})
    if not any(v.strip() for v in evidence.values()):
        raise InvalidInput("Give at least one piece of evidence.", fields={"evidence": "empty"})
    evidence = {name: text for name, text in evidence.items() if text.strip()}  # blanks would erase saved evidence
    answer = (gateway or wiring.payment_gateway()).update_dispute(dispute_id, evidence=evidence, submit=submit)
    at = _at(now)
    order = _apply(deps, order.order_id, lambda o: rules.note_evidence(
        o, dispute_id, submitted=submit, status=answer.get("status"), at=at, by=admin_id) or [])
    logger.info("dispute evidence sent", extra={"dispute_id": dispute_id, "submitted": submit})
    return {"dispute_id": dispute_id, "status": answer.get("status") or order.disputes[dispute_id].status,
            "submitted": submit}


# --- the escalation schedule ---------------------------------------------------------------------


def escalate_overdue_claims(*, now: datetime | None = None, limit: int = 100, orders=None, effects=None,
                            cases=None) -> dict:
    """Escalate every claim whose vendor did not answer by its deadline (oldest deadline first, read
    from the sparse due index: no scan). Idempotent: an escalated claim leaves the index in the same
    transaction, and a claim answered meanwhile is left alone (the step is refused, nothing saved)."""
    deps = _Deps(orders, effects, cases)
    at = _at(now)
    escalated = 0
    for claim_id, order_id in deps.cases.answers_overdue(at, limit):
        def step(order: Order, claim_id=claim_id):
            claim = order.claims.get(claim_id)
            if claim is None or claim.answer_overdue_from is None or claim.answer_overdue_from > at:
                return []
            return rules.escalate(order, claim_id, at=at, by="auto")

        try:
            order = change_order(order_id, lambda o, s=step: s(o) or None, orders=deps.orders, effects=deps.effects)
            claim = order.claims.get(claim_id) if order else None
            escalated += bool(claim and claim.escalated_by == "auto" and claim.escalated_at == at)
        except Exception:  # one broken order must not stop the others; the next run tries it again
            logger.exception("claim escalation failed", extra={"claim_id": claim_id, "order_id": order_id})
    if escalated:
        count("ClaimsEscalated", escalated, by="auto")
    return {"escalated": escalated}
