"""Money edge cases of after-sales (issue 9), on in-memory adapters and a provider that can refuse:

* a refund recorded while a vendor's transfer is on its way (computed before the refund) must not
  leave the vendor overpaid: recording the transfer takes back what it no longer keeps;
* a refund that fails after the vendor was clawed back gives the vendor its money back with a
  top-up transfer (its own idempotency key), paid once;
* a failed refund or a refused reversal settled outside the platform says who bears it: the vendor
  (an `adjustment` entry in its ledger) or the platform (nothing moves).
"""

from __future__ import annotations

from chalicelib.domain.orders import Refund
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
