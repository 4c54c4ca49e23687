"""Balances on the local provider: the platform's and each connected account's, per currency.

A balance is derived from the objects the provider holds, so it can never drift from them:

    platform  = opening balance (or what `set_balance` set)
              + charges captured (gross: no processing fee is taken locally, so amounts in tests stay exact)
              - refunds not failed             + application fees kept - application fees refunded
              - transfers                      + transfer reversals
              + dispute balance transactions (the disputed amount and a 15.00 dispute fee withdrawn when a
                chargeback opens; both given back when it is won)
    connected = transfers received - transfers reversed - application fees paid + fees refunded
              + what `set_balance` set (e.g. 0: the vendor was paid out to its bank)

Everything is `available` at once (Stripe holds charges `pending` for days: the test card
4000000000000077 skips that; here every card does). The platform starts with
`DEFAULT_OPENING_BALANCE`: a live marketplace holds the money of its other sales, so a refund
right after the vendors were paid goes through, as it would there; set the balance lower
(`LocalPaymentProvider.set_balance` or `POST /_localpay/balance`) to see `balance_insufficient`.

What needs the balance, as on Stripe: a transfer without `source_transaction` (one with it draws
on that charge), a refund (net of the transfer it reverses), and a reversal of a transfer that
was not made for a destination charge (the connected account must cover it).
"""

from __future__ import annotations

from typing import Any

from devstack.localpay.forms import StripeAPIError, check_known, get_currency, get_str, invalid

PLATFORM = "platform"
DEFAULT_OPENING_BALANCE = {"eur": 10_000_000}  # 100,000.00 EUR of earlier sales
DISPUTE_FEE = 1500
PLATFORM_INSUFFICIENT = (
    "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
    "available balance by creating Charges using the 4000000000000077 test card."
)


class BalanceMixin:
    """Mixed into `Ledger` (which provides objects, of_kind, get)."""

    balance_adjustments: dict[str, dict[str, int]]  # account (or PLATFORM) -> currency -> amount

    def available_balance(self, currency: str, account: str | None = None) -> int:
        currency = currency.lower()
        return self._derived_balance(currency, account) + self.balance_adjustments.get(
            account or PLATFORM, {}).get(currency, 0)

    def platform_available_balance(self, currency: str) -> int:
        return self.available_balance(currency)

    def set_balance(self, amount: int, currency: str = "eur", account: str | None = None) -> dict:
        """Make the available balance `amount` from now on (a local test control, not a Stripe API)."""
        currency = currency.lower()
        if account is not None:
            self.get("account", account, param="account")
        adjustments = self.balance_adjustments.setdefault(account or PLATFORM, {})
        adjustments[currency] = amount - self._derived_balance(currency, account)
        return self.balance_object(account)

    def require_balance(self, amount: int, currency: str, account: str | None = None, *, message: str = "") -> None:
        """`balance_insufficient` unless the available balance covers `amount`."""
        if amount > self.available_balance(currency, account):
            raise StripeAPIError(400, message or PLATFORM_INSUFFICIENT, code="balance_insufficient",
                                 param="amount")

    def balance_object(self, account: str | None = None) -> dict:
        """Stripe's `balance` object (`GET /v1/balance`, with `Stripe-Account` for a connected account)."""
        currencies = sorted(self._currencies(account)) or ["eur"]
        available = [{"amount": self.available_balance(c, account), "currency": c, "source_types": {"card": 0}}
                     for c in currencies]
        for entry in available:
            entry["source_types"]["card"] = entry["amount"]
        balance: dict[str, Any] = {
            "object": "balance",
            "available": available,
            "livemode": False,
            "pending": [{"amount": 0, "currency": c, "source_types": {"card": 0}} for c in currencies],
        }
        if account is None:
            balance["connect_reserved"] = [{"amount": 0, "currency": c} for c in currencies]
        return balance

    def retrieve_balance(self, params: dict, account: str | None) -> dict:
        check_known(params, set())
        if account is not None:
            self.get("account", account)
        return self.balance_object(account)

    def set_balance_from_form(self, params: dict) -> dict:
        """`POST /_localpay/balance`: amount (may be negative), currency (default eur), account (optional)."""
        check_known(params, {"amount", "currency", "account"})
        raw = get_str(params, "amount", required=True)
        try:
            amount = int(raw)
        except ValueError:
            raise invalid(f"Invalid integer: {raw}", param="amount", code="parameter_invalid_integer") from None
        currency = get_currency(params, required=False) or "eur"
        return self.set_balance(amount, currency, get_str(params, "account"))

    # -- derivation -----------------------------------------------------------------------

    def _derived_balance(self, currency: str, account: str | None) -> int:
        if account is not None:
            return self._connected_balance(currency, account)
        captured = sum(c.get("amount_captured") or 0 for c in self.of_kind("charge", status="succeeded")
                       if c["currency"] == currency)
        refunded = sum(r["amount"] for r in self.of_kind("refund")
                       if r["currency"] == currency and r["status"] not in ("failed", "canceled"))
        transferred = sum(t["amount"] for t in self.of_kind("transfer") if t["currency"] == currency)
        reversed_ = sum(r["amount"] for r in self.of_kind("transfer_reversal") if r["currency"] == currency)
        fees = sum(f["amount"] - f["amount_refunded"] for f in self.of_kind("application_fee")
                   if f["currency"] == currency)
        disputes = sum(t["net"] for d in self.of_kind("dispute") if d["currency"] == currency
                       for t in d["balance_transactions"])
        opening = DEFAULT_OPENING_BALANCE.get(currency, 0)
        return opening + captured - refunded - transferred + reversed_ + fees + disputes

    def _connected_balance(self, currency: str, account: str) -> int:
        transfers = [t for t in self.of_kind("transfer", destination=account) if t["currency"] == currency]
        received = sum(t["amount"] - t["amount_reversed"] for t in transfers)
        fees = sum(f["amount"] - f["amount_refunded"] for f in self.of_kind("application_fee", account=account)
                   if f["currency"] == currency)
        return received - fees

    def _currencies(self, account: str | None) -> set[str]:
        if account is not None:
            seen = {t["currency"] for t in self.of_kind("transfer", destination=account)}
        else:
            seen = {c["currency"] for c in self.of_kind("charge", status="succeeded")}
            seen |= set(DEFAULT_OPENING_BALANCE)
        return seen | set(self.balance_adjustments.get(account or PLATFORM, {}))
