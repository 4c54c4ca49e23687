"""The chaos run's after-sales (scripts/bench_chaos.py): returns and disputes after the payout, and
the invariants on refunds, vendor money, restocking and cases checked once everything settled.

Driven as real users and the bank would, one repeatable step at a time (each step re-reads the state
first: an answer lost under faults may have hidden a change that was made):
- return: once the vendor's part is delivered and paid out, the shopper asks to return its line
  (the same Idempotency-Key on every try), the vendor approves, the shopper ships it back, the vendor
  receives it and says whether the units go back on sale (`restock`, drawn per order), the refund is
  made and the vendor's transfer reversed by what it no longer keeps;
- dispute: once every part is delivered and paid out, the cardholder disputes the whole charge
  (the local provider's control, as a bank would), the admin submits the evidence that wins or loses
  it (`POST /admin/disputes/{id}/evidence`, through the app and its faulty provider calls); a lost one
  reverses the vendors' transfers.

Invariants added to the run's (each violation is a line of text):
- per order: what the provider refunded is at most what it charged, the refunds listed on a charge
  sum to at most its amount, no return, claim or cancelled line was refunded twice, and the order's
  `payment.refunded` is what the provider refunded;
- per vendor: what it received (transfers - reversals, top-ups included) equals its ledger's
  `paid_out`, and per order never exceeds its entitlement after settling; a settled part holds exactly
  its entitlement (not underpaid), but for a refused reversal or top-up left for an admin in
  /admin/refunds, a visible state that is counted and printed, not a violation;
- stock: units sold per offer = units of paid lines not cancelled, less returned units the vendor
  said to restock (and only those: a return's `restock` is what the vendor asked);
- every return is refunded or rejected, or `refund_failed` and listed in /admin/refunds; every dispute
  is closed (won or lost) at the provider and on the order.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict

FINAL_RETURNS = frozenset({"refunded", "rejected"})
FINAL_DISPUTES = frozenset({"won", "lost"})
FINAL_PAYOUTS = frozenset({"transferred", "nothing_to_pay", "nothing_to_pay_refunded"})


def _pages(client, path: str) -> list[dict]:
    """Every item of a cursor-paged list route (`items`, `next_cursor`)."""
    items, cursor = [], ""
    separator = "&" if "?" in path else "?"
    while True:
        status, page = client.call("GET", f"{path}{separator}limit=100{'&cursor=' + cursor if cursor else ''}")
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {page}")
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


class AfterSales:
    """Returns and disputes of a ChaosRun's orders, and the after-sales invariants."""

    def __init__(self, run):
        self.run = run
        self._admin = None

    # -- who acts ---------------------------------------------------------------------------------

    @property
    def admin(self):
        if self._admin is None:
            from scripts.bench_chaos import _signed_in

            admin = self.run.stack.credentials["admin"]
            self._admin = _signed_in(self.run.stack, admin["email"], admin["password"])
        return self._admin

    def provider_control(self, path: str, form: dict) -> tuple[int, dict]:
        """A local provider control (`/_localpay/...`): what the bank does, never faulted."""
        from devstack.localpay.server import DEFAULT_API_KEY

        request = urllib.request.Request(f"{self.run.stack.payments}{path}", method="POST",
                                         data=urllib.parse.urlencode(form).encode(),
                                         headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    # -- the steps ----------------------------------------------------------------------------------

    def _paid_out(self, order, vendor_ids) -> bool:
        for vendor_id in vendor_ids:
            part = self.run.vendor_view(order, vendor_id)
            if part.get("status") != "delivered" or part.get("payout_status") not in FINAL_PAYOUTS:
                return False
        return True

    def step(self, order) -> None:
        """One step further in the order's after-sales (repeatable; nothing before the payout)."""
        if order.order_id is None or order.scenario not in ("return", "dispute"):
            return
        if order.scenario == "return":
            self._return_step(order)
        else:
            self._dispute_step(order)

    def order_return(self, order) -> dict | None:
        status, body = self.run._read(("returns", order.order_id),
                                      lambda: order.shopper.call("GET", f"/orders/{order.order_id}/returns"))
        if status != 200:
            return None
        return next((r for r in body["items"] if r["vendor_id"] == order.after_sales_vendor), None)

    def _return_step(self, order) -> None:
        vendor_id = order.after_sales_vendor
        vendor = self.run.vendors[vendor_id]
        for _ in range(6):
            returned = self.order_return(order)
            if returned is None:
                if not self._paid_out(order, [vendor_id]):
                    return
                part = self.run.vendor_view(order, vendor_id)
                line = next(line for line in part["lines"] if not line["cancelled"])
                order.shopper.call("POST", f"/orders/{order.order_id}/returns", {
                    "lines": [{"line_id": line["line_id"], "quantity": line["quantity"]}],
                    "reason": order.return_reason}, {"Idempotency-Key": f"chaos-return-{order.order_id}"})
                continue
            state, return_id = returned["state"], returned["return_id"]
            if state in FINAL_RETURNS or state == "refund_failed":
                return
            if state in ("requested", "escalated"):
                vendor.call("POST", f"/vendor/returns/{return_id}/approve")
            elif state == "approved":
                order.shopper.call("POST", f"/returns/{return_id}/ship-back",
                                   {"carrier": "DHL", "tracking_number": f"RT{order.number:06d}"})
            elif state == "shipped_back":
                vendor.call("POST", f"/vendor/returns/{return_id}/receive",
                            {"restock": order.restock, "refund": True})
            elif state == "received" and "refund" in returned["allowed_actions"]:
                vendor.call("POST", f"/vendor/returns/{return_id}/refund", {})
            else:
                return  # a refund under way at the provider: its webhook settles it

    def provider_dispute(self, order) -> dict | None:
        intent = (self.run.shopper_view(order).get("payment") or {}).get("payment_intent_id")
        if not intent:
            return None
        disputes = self.run.provider(f"/v1/disputes?payment_intent={intent}")["data"]
        return disputes[0] if disputes else None

    def _dispute_step(self, order) -> None:
        dispute = self.provider_dispute(order)
        if dispute is None:
            if not self._paid_out(order, order.vendors):
                return
            intent = self.run.shopper_view(order)["payment"]["payment_intent_id"]
            status, answer = self.provider_control(f"/_localpay/charges/{intent}/dispute",
                                                   {"reason": "product_not_received"})
            if status != 200:
                order.notes.append(f"opening the dispute answered {status}: {answer}")
            return
        if dispute["status"] in FINAL_DISPUTES:
            return
        # 404 until the dispute's webhook reached the order: tried again at the next round.
        evidence = "winning_evidence" if order.dispute_outcome == "won" else "losing_evidence"
        self.admin.call("POST", f"/admin/disputes/{dispute['id']}/evidence",
                        {"uncategorized_text": evidence, "submit": True})

    # -- settled? -----------------------------------------------------------------------------------

    def recorded_disputes(self) -> dict[str, str]:
        """dispute id -> its status as the platform recorded it (the admin's cases)."""
        return {case["dispute_id"]: case["state"] for case in _pages(self.admin, "/admin/cases?kind=dispute&state=all")
                if case.get("dispute_id")}

    def attention(self) -> list[dict]:
        """What /admin/refunds lists for an admin (failed refunds, refused reversals and top-ups)."""
        return _pages(self.admin, "/admin/refunds?status=failed")

    def unsettled(self, orders) -> list[str]:
        reasons = []
        listed = recorded = None  # read once, if needed
        for order in orders:
            if order.order_id is None or order.scenario not in ("return", "dispute"):
                continue
            if self.run.shopper_view(order).get("status") != "paid":
                continue  # not paid: nothing to return or dispute (the run's own checks say why)
            label = f"order {order.number} ({order.scenario}) {order.order_id}"
            if order.scenario == "return":
                returned = self.order_return(order)
                if returned is None:
                    reasons.append(f"{label}: no return asked yet")
                elif returned["state"] == "refund_failed":
                    if listed is None:
                        listed = {(item["order_id"], item.get("case_id")) for item in self.attention()}
                    if (order.order_id, returned["return_id"]) not in listed:
                        reasons.append(f"{label}: return refund failed and /admin/refunds does not list it")
                elif returned["state"] not in FINAL_RETURNS:
                    reasons.append(f"{label}: return is {returned['state']} (refund {returned['refund_status']})")
                continue
            dispute = self.provider_dispute(order)
            if dispute is None:
                reasons.append(f"{label}: not disputed yet")
                continue
            recorded = self.recorded_disputes() if recorded is None else recorded
            if dispute["status"] not in FINAL_DISPUTES or recorded.get(dispute["id"]) != dispute["status"]:
                reasons.append(f"{label}: dispute {dispute['id']} is {dispute['status']} at the provider, "
                               f"{recorded.get(dispute['id'])} on the order")
        return reasons

    # -- invariants ---------------------------------------------------------------------------------

    def check(self, orders, transferred: Counter, earned: dict) -> list[str]:
        """The after-sales invariants; `transferred` is (order, vendor) -> net at the provider, `earned`
        vendor -> order -> its entitlement by its ledger (scripts/bench_chaos.py)."""
        run = self.run
        violations = self._refunds(orders)
        attention = [item for item in self.attention() if item["order_id"] in {o.order_id for o in orders}]
        visible = {(item["order_id"], item["vendor_id"]) for item in attention if item["kind"] != "refund"}
        for item in attention:
            run.checked[f"admin_{item['kind']}s"] += 1
            run.log(f"left for an admin in /admin/refunds: {item['kind']} of order {item['order_id']} vendor "
                    f"{item['vendor_id']}, {item['amount']['amount']} ({item['failure_code']})")
        violations += self._vendor_money(orders, transferred, earned, visible)
        violations += self._returns_and_disputes(orders)
        return violations

    def _refunds(self, orders) -> list[str]:
        run, violations = self.run, []
        refunds_of = defaultdict(list)  # charge -> every refund made on it, as it is now
        for created in run.provider_events("refund.created"):
            refunds_of[created["charge"]].append(run.provider(f"/v1/refunds/{created['id']}"))
        for order in orders:
            if order.order_id is None:
                continue
            view = run.shopper_view(order)
            intent_id = (view.get("payment") or {}).get("payment_intent_id")
            if not intent_id or view.get("status") not in ("paid", "refunded", "cancelled"):
                continue
            intent = run.provider(f"/v1/payment_intents/{intent_id}")
            if not intent.get("latest_charge") or intent.get("status") != "succeeded":
                continue
            charge = run.provider(f"/v1/charges/{intent['latest_charge']}")
            kept = [r for r in refunds_of[charge["id"]] if r["status"] in ("succeeded", "pending", "requires_action")]
            run.checked["refunds"] += len(kept)
            if charge["amount_refunded"] > charge["amount"] or sum(r["amount"] for r in kept) > charge["amount"]:
                violations.append(f"order {order.order_id}: refunded {charge['amount_refunded']} "
                                  f"({sum(r['amount'] for r in kept)} in refunds) of a {charge['amount']} charge")
            per_reason = Counter()
            for refund in kept:
                meta = refund.get("metadata") or {}
                if meta.get("case_id"):
                    per_reason[f"case {meta['case_id']}"] += 1
                elif meta.get("offer_id"):
                    per_reason[f"line {meta.get('vendor_id')}/{meta['offer_id']}"] += 1
            violations += [f"order {order.order_id}: {what} refunded {times} times"
                           for what, times in per_reason.items() if times > 1]
            said = (view.get("payment") or {}).get("refunded", {}).get("amount", 0)
            if view.get("status") != "cancelled" and said != charge["amount_refunded"]:
                violations.append(f"order {order.order_id} says {said} refunded, the provider "
                                  f"{charge['amount_refunded']}")
        return violations

    def _vendor_money(self, orders, transferred: Counter, earned: dict,
                      visible: set[tuple[str, str]]) -> list[str]:
        run, violations = self.run, []
        # What each vendor received, over every order (the seed's too), against its ledger's paid_out.
        received = Counter()
        for created in run.provider_events("transfer.created"):
            vendor_id = (created.get("metadata") or {}).get("vendor_id")
            if vendor_id in run.vendors:
                transfer = run.provider(f"/v1/transfers/{created['id']}")
                received[vendor_id] += transfer["amount"] - transfer["amount_reversed"]
        for vendor_id, vendor in run.vendors.items():
            status, balance = vendor.call("GET", "/vendor/balance")
            if status != 200:
                violations.append(f"vendor {vendor_id}: /vendor/balance answered {status}")
                continue
            run.checked["vendor_balances"] += 1
            if balance["paid_out"] != received[vendor_id]:
                violations.append(f"vendor {vendor_id} received {received[vendor_id]} at the provider, its ledger "
                                  f"says {balance['paid_out']} paid out")
        # Per order: a settled part holds exactly what it is entitled to, unless an admin has it listed.
        for order in orders:
            if order.order_id is None:
                continue
            for vendor_id in order.vendors:
                part = run.vendor_view(order, vendor_id)
                if part.get("payout_status") not in FINAL_PAYOUTS or (order.order_id, vendor_id) in visible:
                    continue
                holds = transferred.get((order.order_id, vendor_id), 0)
                entitled = max(earned[vendor_id].get(order.order_id, 0), 0)
                run.checked["settled_parts"] += 1
                if holds != entitled:
                    violations.append(f"order {order.order_id}: vendor {vendor_id} holds {holds} after settling, "
                                      f"its entitlement is {entitled}")
        return violations

    def _returns_and_disputes(self, orders) -> list[str]:
        run, violations = self.run, []
        restocked = Counter()
        for order in orders:
            if order.order_id is None or order.scenario != "return":
                continue
            returned = self.order_return(order)
            if returned is None:
                continue
            run.checked[f"returns_{returned['state']}"] += 1
            if returned["state"] in ("received", "refunded", "refund_failed"):
                if returned["restock"] != order.restock:
                    violations.append(f"order {order.order_id}: the vendor said restock={order.restock}, the "
                                      f"return says {returned['restock']}")
                if returned["restock"]:
                    for line in returned["lines"]:
                        restocked[line["offer_id"]] += line["quantity"]
        for order in orders:
            if order.scenario == "dispute" and order.order_id:
                dispute = self.provider_dispute(order)
                if dispute is not None:
                    run.checked[f"disputes_{dispute['status']}"] += 1
        violations += self._sold(orders, restocked)
        return violations

    def _sold(self, orders, restocked: Counter) -> list[str]:
        """Units sold per offer: what paid orders kept (lines not cancelled), less restocked returns."""
        run = self.run
        expected = Counter()
        for order in orders:
            # "refunded" is a payment that came after the order was cancelled: its units were never sold.
            if order.order_id is None or run.shopper_view(order).get("status") != "paid":
                continue
            for vendor_id in order.vendors:
                for line in run.vendor_view(order, vendor_id).get("lines", []):
                    if not line["cancelled"]:
                        expected[line["offer_id"]] += line["quantity"]
        violations = []
        for vendor_id, offer_id in run.offers.items():
            _available, _reserved, sold = run._stock(vendor_id, offer_id)
            want = expected[offer_id] - restocked[offer_id]
            if sold != want:
                violations.append(f"offer {offer_id}: {sold} sold, the orders kept {expected[offer_id]} of which "
                                  f"{restocked[offer_id]} returned to stock by the vendor ({want} expected)")
        return violations

