"""Money edge cases of after-sales (issue 9), on in-memory adapters and a provider that can refuse:

* a refund recorded while a vendor's transfer is on its way (computed before the refund) must not
  leave the vendor overpaid: recording the transfer takes back what it no longer keeps;
* a refund that fails after the vendor was clawed back gives the vendor its money back with a
  top-up transfer (its own idempotency key), paid once;
* a failed refund settled outside the platform at the vendor's cost is collected from it like a refund
  (its transfer reversed at once, a refused reversal listed and retried); a refused reversal settled
  outside says who bears it (an `adjustment` entry in the vendor's ledger);
* a top-up the provider refuses is listed for admins, retried by the schedule with a new key each
  time, or recorded as paid outside the platform.
"""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.orders import Refund
from chalicelib.payments.port import PaymentError
from chalicelib.services import refund_admin
from chalicelib.services.order_changes import change_order
from tests.usecases.test_refund_admin import AT, Provider, World


class RacyProvider(Provider):
    """Runs `during_transfer` while the transfer call is in flight: what another process did meanwhile."""

    def __init__(self):
        super().__init__()
        self.transfers: dict[str, int] = {}
        self.during_transfer = None

    def create_transfer(self, *, amount, currency, destination, source_transaction, transfer_group,
                        idempotency_key, metadata):
        if self.during_transfer is not None:
            hook, self.during_transfer = self.during_transfer, None
            hook(metadata["vendor_id"])
        self.transfers.setdefault(idempotency_key, amount)
        return f"tr_{metadata['vendor_id']}_{len(self.transfers)}"


def alpine_ledger(world) -> int:
    return sum(e.amount for e in world.repo.ledger.entries("alpine") if e.order_id == "ord_1")


def test_a_refund_recorded_while_the_transfer_is_in_flight_is_taken_back_once_the_transfer_is_recorded():
    provider = RacyProvider()
    worlds: list[World] = []

    def refund_of_alpines_tent_recorded_elsewhere(vendor_id):
        if vendor_id != "alpine":
            provider.during_transfer = refund_of_alpines_tent_recorded_elsewhere
            return
        repo = worlds[0].repo
        order = repo.get("ord_1")
        order.record_refund(Refund("re_elsewhere", 1000, "EUR", AT, "requested_by_customer", "succeeded", "alpine"))
        repo.save(order, effects=order.reversals_due())  # no transfer recorded yet: nothing due back

    provider.during_transfer = refund_of_alpines_tent_recorded_elsewhere

    class RecordedWorld(World):
        def __init__(self):
            worlds.append(self)
            super().__init__(provider)

    world = RecordedWorld()

    order = world.repo.get("ord_1")
    entitled = 1800 * (2000 - 1000) // 2000
    assert provider.transfers["tr-ord_1-alpine"] == 1800  # computed before the refund was known
    assert list(provider.reversals.values()) == [1800 - entitled]
    assert order.vendor_orders["alpine"].transferred == entitled
    assert alpine_ledger(world) == 0  # the vendor holds exactly what it is owed


def refund_fails_after_it_was_made(world, case_id="ret_1"):
    refund_id = world.repo.get("ord_1").case_refund(case_id)["refund_id"]
    return change_order("ord_1", lambda o: o.reconcile_refund(refund_id, status="failed", at=AT,
                                                              failure_code="lost_or_stolen_card"),
                        orders=world.repo, effects=world.runner)


def test_a_refund_failing_after_the_vendor_was_clawed_back_pays_the_vendor_back_once_with_a_top_up():
    world = World(RacyProvider())
    world.refund_case()  # alpine was paid at payment: its share of the refund is reversed
    clawed_back = 1800 - 1800 * 1000 // 2000
    assert list(world.provider.reversals.values()) == [clawed_back]

    order = refund_fails_after_it_was_made(world)
    again = refund_fails_after_it_was_made(world)  # the webhook delivered twice

    assert order.case_refund("ret_1")["status"] == "failed"
    assert world.provider.transfers == {"tr-ord_1-alpine": 1800, "tr-ord_1-bytes": 630,
                                        f"tr-ord_1-alpine-t1-{clawed_back}": clawed_back}
    assert again.vendor_orders["alpine"].transferred == 1800
    assert again.vendor_orders["alpine"].payout_due_at is None  # nothing left for the retry schedule
    assert alpine_ledger(world) == 0  # paid exactly what it is owed: the whole payout, the refund failed


def test_a_top_up_the_provider_could_not_make_is_paid_by_the_retry_schedule_with_the_same_key():
    world = World(RacyProvider())
    world.refund_case()
    world.provider.create_transfer = unavailable
    order = refund_fails_after_it_was_made(world)
    assert order.vendor_orders["alpine"].payout_due_at is not None  # left for retry_payouts
    del world.provider.create_transfer

    change_order("ord_1", lambda o: o.release_payout("alpine", at=AT, requeue=True),
                 orders=world.repo, effects=world.runner)  # what retry_payouts does for a due payout

    assert world.provider.transfers["tr-ord_1-alpine-t1-900"] == 900
    assert world.repo.get("ord_1").vendor_orders["alpine"].payout_due_at is None
    assert alpine_ledger(world) == 0


def unavailable(**kwargs):
    raise PaymentError("Stripe is down", code="api_connection_error", status=503)


def test_a_failed_refund_resolved_outside_the_platform_charges_the_vendor_only_when_it_bears_it():
    borne_by_vendor, borne_by_platform = World(), World()
    for world in (borne_by_vendor, borne_by_platform):
        world.provider.refuse_refunds = "charge_disputed"
        world.refund_case()
    assert alpine_ledger(borne_by_vendor) == 0  # paid at payment: it holds what it is owed

    seen = refund_admin.resolve_refund("ord_1", "ret_1", note="Refunded by bank transfer", admin_id="adm_1",
                                       borne_by="vendor", **borne_by_vendor.use())
    refund_admin.resolve_refund("ord_1", "ret_1", note="Goodwill", admin_id="adm_1", borne_by="platform",
                                **borne_by_platform.use())
    refund_admin.resolve_refund("ord_1", "ret_1", note="twice", admin_id="adm_1", borne_by="vendor",
                                **borne_by_vendor.use())

    charged = 1800 - 1800 * (2000 - 1000) // 2000  # its share less the commission given back
    assert seen["resolution"]["borne_by"] == "vendor" and seen["resolution"]["vendor_charged"] == charged
    # Paid already: what it bears is taken back from its transfer at once, once however often it is resolved.
    assert list(borne_by_vendor.provider.reversals.values()) == [charged]
    booked = [(e.kind, e.amount) for e in borne_by_vendor.repo.ledger.entries("alpine") if e.order_id == "ord_1"]
    assert {("refund", -1000), ("commission", 1000 - charged), ("transfer_reversal", charged)} <= set(booked)
    assert alpine_ledger(borne_by_vendor) == 0  # its balance is the ledger sum: it holds what it is owed
    assert borne_by_vendor.repo.get("ord_1").vendor_orders["alpine"].transferred == 1800 - charged
    assert borne_by_platform.provider.reversals == {} and alpine_ledger(borne_by_platform) == 0
    assert refund_admin.failed_refunds(orders=borne_by_vendor.repo)["items"] == []


def test_a_failed_refund_borne_by_a_vendor_whose_reversal_is_refused_is_listed_and_retried_by_the_schedule():
    world = World()
    world.provider.refuse_refunds = "charge_disputed"
    world.refund_case()
    world.provider.refuse_reversals = "balance_insufficient"

    refund_admin.resolve_refund("ord_1", "ret_1", note="Refunded by bank transfer", admin_id="adm_1",
                                borne_by="vendor", **world.use())

    charged = 1800 - 1800 * (2000 - 1000) // 2000
    (item,) = refund_admin.failed_refunds(orders=world.repo)["items"]
    assert (item["kind"], item["vendor_id"], item["amount"]["amount"], item["failure_code"]) == (
        "reversal", "alpine", charged, "balance_insufficient")
    assert alpine_ledger(world) == -charged  # it owes that much back: visible, never silently dropped
    world.provider.refuse_reversals = None
    assert refund_admin.retry_refused_transfers(**world.use()) == {"reversal_made": 1}
    assert list(world.provider.reversals.values()) == [charged]
    assert alpine_ledger(world) == 0


@pytest.mark.parametrize("borne_by", ["vendor", "platform"])
def test_a_refused_reversal_settled_outside_the_platform_leaves_the_queue_and_is_never_asked_again(borne_by):
    world = World()
    world.provider.refuse_reversals = "balance_insufficient"
    world.refund_case()
    due = 1800 - 1800 * 1000 // 2000
    with pytest.raises(Conflict):
        refund_admin.resolve_reversal("ord_1", "bytes", note="nothing refused", borne_by=borne_by,
                                      admin_id="adm_1", **world.use())

    seen = refund_admin.resolve_reversal("ord_1", "alpine", note="Deducted from the December invoice",
                                         borne_by=borne_by, admin_id="adm_1", **world.use())

    assert seen["settled_outside"]["amount"] == due and seen["borne_by"] == borne_by
    assert refund_admin.failed_refunds(orders=world.repo)["items"] == []
    world.provider.refuse_reversals = None
    assert refund_admin.retry_refused_transfers(**world.use()) == {}
    world.refund_case("ret_2", units=1)  # a later refund takes back only its own share
    assert list(world.provider.reversals.values()) == [1800 * 1000 // 2000]
    (adjustment,) = [e for e in world.repo.ledger.entries("alpine") if e.kind == "adjustment"]
    assert adjustment.amount == due and adjustment.details["borne_by"] == borne_by
    assert alpine_ledger(world) == 0  # owes nothing more for the order


class RefusingTopUps(RacyProvider):
    """Refuses transfers as Stripe does when the platform's balance cannot cover them, while `refuse` is set."""

    def __init__(self):
        super().__init__()
        self.refuse: str | None = None
        self.refused_keys: list[str] = []

    def create_transfer(self, **kwargs):
        if self.refuse:
            self.refused_keys.append(kwargs["idempotency_key"])
            raise PaymentError("Insufficient funds in Stripe account.", code=self.refuse, status=400)
        return super().create_transfer(**kwargs)


def test_a_refused_top_up_is_listed_for_admins_and_retried_by_the_schedule_with_a_new_key():
    world = World(RefusingTopUps())
    world.refund_case()
    clawed_back = 1800 - 1800 * 1000 // 2000
    world.provider.refuse = "balance_insufficient"

    order = refund_fails_after_it_was_made(world)

    assert order.vendor_orders["alpine"].transferred == 1800 - clawed_back  # not paid back yet
    kinds = {item["kind"]: item for item in refund_admin.failed_refunds(orders=world.repo)["items"]}
    assert kinds["top_up"]["amount"]["amount"] == clawed_back
    assert kinds["top_up"]["failure_code"] == "balance_insufficient" and kinds["top_up"]["vendor_id"] == "alpine"
    assert refund_admin.retry_refused_transfers(**world.use()) == {"top_up_still_refused": 1}

    world.provider.refuse = None
    assert refund_admin.retry_refused_transfers(**world.use()) == {"top_up_made": 1}
    assert refund_admin.retry_refused_transfers(**world.use()) == {}  # paid: off the queue

    made = [key for key in world.provider.transfers if "-t1-" in key]
    assert len(made) == 1 and made[0] not in world.provider.refused_keys  # a key the refusals never used
    assert len(set(world.provider.refused_keys)) == 2  # each retry asked with its own key
    assert world.repo.get("ord_1").vendor_orders["alpine"].transferred == 1800
    assert [i["kind"] for i in refund_admin.failed_refunds(orders=world.repo)["items"]] == ["refund"]
    assert alpine_ledger(world) == 0


def test_a_refused_top_up_an_admin_paid_outside_the_platform_leaves_the_queue_once():
    world = World(RefusingTopUps())
    world.refund_case()
    world.provider.refuse = "balance_insufficient"
    refund_fails_after_it_was_made(world)

    seen = refund_admin.resolve_top_up("ord_1", "alpine", note="Paid by bank transfer", admin_id="adm_1",
                                       **world.use())
    with pytest.raises(Conflict) as again:
        refund_admin.resolve_top_up("ord_1", "alpine", note="twice", admin_id="adm_1", **world.use())

    assert seen["settled_outside"]["amount"] == 1800 - 1800 * 1000 // 2000 and seen["still_owed"]["amount"] == 0
    assert "vendor_id" in again.value.fields
    world.provider.refuse = None
    assert refund_admin.retry_refused_transfers(**world.use()) == {}  # never asked of the provider again
    assert [i["kind"] for i in refund_admin.failed_refunds(orders=world.repo)["items"]] == ["refund"]
    assert alpine_ledger(world) == 0


class ReplayingRefusals(RefusingTopUps):
    """Stripe saves a refused request's answer under its idempotency key: the same key asked again, even
    once the balance could cover it, gets the same refusal and moves nothing."""

    def create_transfer(self, **kwargs):
        if kwargs["idempotency_key"] in self.refused_keys:
            raise PaymentError("Insufficient funds in Stripe account.", code="balance_insufficient", status=400)
        return super().create_transfer(**kwargs)


def test_the_next_top_up_after_a_refused_one_paid_outside_has_a_key_of_its_own_and_is_made():
    world = World(ReplayingRefusals())
    world.refund_case()
    world.provider.refuse = "balance_insufficient"
    refund_fails_after_it_was_made(world)  # the top-up giving alpine its 9.00 back is refused
    refund_admin.resolve_top_up("ord_1", "alpine", note="Paid by bank transfer", admin_id="adm_1", **world.use())
    world.provider.refuse = None
    world.refund_case("ret_2", units=1)  # the other tent: 9.00 taken back from the payout again

    order = refund_fails_after_it_was_made(world, "ret_2")  # and that refund fails too: 9.00 owed again

    (made,) = [key for key in world.provider.transfers if "-t1-" in key]
    assert made not in world.provider.refused_keys  # not the refused top-up's key: Stripe would replay it
    assert order.vendor_orders["alpine"].top_up_failed is None
    assert [i["kind"] for i in refund_admin.failed_refunds(orders=world.repo)["items"]] == ["refund", "refund"]
    assert alpine_ledger(world) == 0


def test_a_top_up_refused_then_owed_no_more_then_owed_again_is_asked_with_a_new_key():
    world = World(ReplayingRefusals())
    world.provider.refuse_refunds = None
    world.refund_case()
    world.provider.refuse = "balance_insufficient"
    refund_fails_after_it_was_made(world)  # top-up of 9.00 refused
    world.provider.refuse = None
    refund_admin.retry_refund("ord_1", "ret_1", **world.use())  # the refund goes through: owed nothing
    assert world.repo.get("ord_1").vendor_orders["alpine"].top_up_failed is None

    refund_fails_after_it_was_made(world)  # and fails again: 9.00 owed again, a new top-up

    (made,) = [key for key in world.provider.transfers if "-t1-" in key]
    assert made not in world.provider.refused_keys
    assert alpine_ledger(world) == 0
