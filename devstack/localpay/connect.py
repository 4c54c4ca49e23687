"""Connect on the local provider: connected accounts, onboarding links and Transfers.

Accounts look like Stripe's: the `type` given is kept, or derived from the `controller`
properties (fees/losses on the application + Express dashboard = `express`; Stripe's full
dashboard = `standard`; no dashboard = `custom`; otherwise `none`), the controller is stored as
given (plus `is_controller` and `type: application`), and the capabilities requested
(`card_payments`, `transfers`) start `inactive` with their onboarding requirements due.

An account link leads to a local hosted onboarding page with two buttons:
- "Complete onboarding": capabilities active, charges and payouts enabled, nothing due;
- "Leave requirements due": details submitted but Stripe still needs the person's date of birth
  and ID document (`requirements.currently_due`), nothing enabled.
Either sends the same signed `account.updated` and one `capability.updated` per capability whose
status changed to the Connect endpoint (events carry `account`), then redirects to `return_url`.
Links are single-use and expire after LINK_TTL_SECONDS (then the page redirects to `refresh_url`).

A Transfer to an account without the capability, from a charge that did not succeed, or beyond
what the charge can fund is refused as Stripe refuses it; a Transfer without `source_transaction`
is paid from the platform's available balance, and refused with `balance_insufficient` when that
does not cover it.

Transfer Reversals (`POST /v1/transfers/{id}/reversals`) take back part or all of a transfer, as
many times as wanted until nothing is left; more than what is left is refused. Each reversal
updates the transfer (`amount_reversed`, `reversed`, its `reversals` list) and sends
`transfer.reversed` (partial reversals included) and `transfer.updated` to the platform endpoint:
transfers are the platform's objects, so their events carry no `account`.
"""

from __future__ import annotations

import secrets
from typing import Any

from devstack.localpay.forms import (
    StripeAPIError,
    check_known,
    get_choice,
    get_currency,
    get_int,
    get_metadata,
    get_str,
    invalid,
    missing,
)
from devstack.localpay.ids import format_money, new_id

ONBOARDING_REQUIREMENTS = ["business_profile.url", "external_account", "tos_acceptance.date", "tos_acceptance.ip"]
# What "Leave requirements due" leaves: Stripe still needs to verify the person.
VERIFICATION_REQUIREMENTS = ["individual.dob.day", "individual.dob.month", "individual.dob.year",
                             "individual.verification.document"]
DEFAULT_CAPABILITIES = ("card_payments", "transfers")
LINK_TTL_SECONDS = 300
CURRENCY_BY_COUNTRY = {"US": "usd", "GB": "gbp", "CH": "chf", "SE": "sek", "DK": "dkk", "PL": "pln"}


class ConnectMixin:
    """Mixed into `Ledger` (which provides objects, get, emit, now, _store)."""

    ACCOUNT_PARAMS = {"type", "country", "email", "capabilities", "business_type", "business_profile", "metadata",
                      "controller", "default_currency", "settings", "tos_acceptance", "individual", "company",
                      "external_account"}

    def create_account(self, params: dict, request: dict, *, account_id: str | None = None) -> dict:
        check_known(params, self.ACCOUNT_PARAMS)
        controller = _controller(params.get("controller"))
        kind = get_choice(params, "type", ("express", "custom", "standard")) or _type_of(controller)
        country = (get_str(params, "country") or "DE").upper()
        requested = params.get("capabilities") if isinstance(params.get("capabilities"), dict) else {}
        asked = [name for name, value in requested.items()
                 if not isinstance(value, dict) or str(value.get("requested", "true")).lower() == "true"]
        capabilities = {name: "inactive" for name in asked or DEFAULT_CAPABILITIES}
        profile = params.get("business_profile") if isinstance(params.get("business_profile"), dict) else {}
        account = {
            "id": account_id or new_id("acct", 16),
            "object": "account",
            "business_profile": {"mcc": None, "name": profile.get("name"), "product_description": None,
                                 "support_email": None, "support_phone": None, "url": profile.get("url")},
            "business_type": get_choice(params, "business_type",
                                        ("individual", "company", "non_profit", "government_entity")),
            "capabilities": capabilities,
            "charges_enabled": False,
            "controller": controller,
            "country": country,
            "created": self.now(),
            "default_currency": get_currency(params, required=False) or CURRENCY_BY_COUNTRY.get(country, "eur"),
            "details_submitted": False,
            "email": get_str(params, "email"),
            "external_accounts": {"object": "list", "data": [], "has_more": False, "url": ""},
            "future_requirements": _requirements([]),
            "metadata": get_metadata(params),
            "payouts_enabled": False,
            "requirements": _requirements(list(ONBOARDING_REQUIREMENTS)),
            "settings": {"payouts": {"schedule": {"delay_days": 7, "interval": "daily"}}},
            "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
            "type": kind,
        }
        account["external_accounts"]["url"] = f"/v1/accounts/{account['id']}/external_accounts"
        return self._store(account)

    def update_account(self, account_id: str, params: dict, request: dict) -> dict:
        check_known(params, {"email", "metadata", "business_profile", "settings"})
        account = self.get("account", account_id)
        previous: dict[str, Any] = {}
        if "email" in params:
            previous["email"] = account["email"]
            account["email"] = get_str(params, "email")
        if "metadata" in params:
            previous["metadata"] = account["metadata"]
            account["metadata"] = get_metadata(params, account["metadata"])
        if isinstance(params.get("business_profile"), dict):
            previous["business_profile"] = dict(account["business_profile"])
            account["business_profile"].update({k: v for k, v in params["business_profile"].items()
                                                if k in account["business_profile"]})
        self.emit("account.updated", account, request, account=account_id, previous=previous)
        return account

    def add_account(self, account_id: str | None = None, *, onboarded: bool = True, email: str | None = None,
                    metadata: dict | None = None) -> dict:
        """Test/seed helper: a connected account (optionally with a chosen id), ready for transfers."""
        if account_id is not None and not account_id.startswith("acct_"):
            raise ValueError("connected account ids start with acct_")
        with self.lock:
            if account_id in self.objects:
                return self.objects[account_id]
            params: dict[str, Any] = {"metadata": dict(metadata or {})}
            if email:
                params["email"] = email
            account = self.create_account(params, {}, account_id=account_id)
            if onboarded:
                _activate(account)
            return account

    def create_account_link(self, params: dict, request: dict, public_url: str) -> dict:
        check_known(params, {"account", "refresh_url", "return_url", "type", "collect", "collection_options"})
        account = self.get("account", get_str(params, "account", required=True), param="account")
        get_choice(params, "type", ("account_onboarding", "account_update"))
        get_str(params, "type", required=True)
        return_url = get_str(params, "return_url", required=True)
        refresh_url = get_str(params, "refresh_url", required=True)
        token = secrets.token_urlsafe(18)
        expires_at = self.now() + LINK_TTL_SECONDS
        self.onboarding[token] = {"account": account["id"], "return_url": return_url, "refresh_url": refresh_url,
                                  "expires_at": expires_at}
        return {"object": "account_link", "created": self.now(), "expires_at": expires_at,
                "url": f"{public_url}/connect/onboarding/{token}"}

    def onboarding_link(self, token: str) -> dict | None:
        link = self.onboarding.get(token)
        if link is None or link["expires_at"] < self.now():
            return None
        return link

    def complete_onboarding(self, token: str, request: dict, *, leave_due: bool = False) -> str:
        """The onboarding page's submit: activates the account (or leaves the person's verification due);
        answers where to send the browser."""
        link = self.onboarding.pop(token, None)  # account links are single-use
        if link is None:
            raise missing("account_link", token)
        if link["expires_at"] < self.now():
            return link["refresh_url"]
        account = self.get("account", link["account"])
        previous = {"charges_enabled": account["charges_enabled"], "payouts_enabled": account["payouts_enabled"],
                    "details_submitted": account["details_submitted"],
                    "capabilities": dict(account["capabilities"]), "requirements": dict(account["requirements"])}
        if leave_due:
            _leave_due(account)
        else:
            _activate(account)
        self.emit("account.updated", account, request, account=account["id"], previous=previous)
        for name, status in account["capabilities"].items():
            if previous["capabilities"].get(name) != status:
                self.emit("capability.updated", _capability(account, name), request, account=account["id"],
                          previous={"status": previous["capabilities"].get(name)})
        return link["return_url"]

    # -- transfers ------------------------------------------------------------------------

    def create_transfer(self, params: dict, request: dict) -> dict:
        check_known(params, {"amount", "currency", "destination", "source_transaction", "transfer_group",
                             "metadata", "description", "source_type"})
        amount = get_int(params, "amount", required=True, minimum=1)
        currency = get_currency(params)
        destination = get_str(params, "destination", required=True)
        account = self.objects.get(destination)
        if not account or account.get("object") != "account":
            raise StripeAPIError(400, f"No such destination: '{destination}'", code="resource_missing",
                                 param="destination", saved=False)
        if account["capabilities"].get("transfers") != "active":
            raise StripeAPIError(400, "Your destination account needs to have at least one of the following "
                                 "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                                 code="insufficient_capabilities_for_transfer", param="destination")
        source = get_str(params, "source_transaction")
        if source:
            charge = self.get("charge", source, param="source_transaction")
            if charge["status"] != "succeeded":
                raise invalid(f"The source_transaction {source} has not succeeded.", param="source_transaction")
            if charge["currency"] != currency:
                raise invalid(f"The currency of source_transaction's balance transaction ({charge['currency']}) "
                              f"must be the same as the transfer currency ({currency})", param="currency")
            # What was reversed went back to the platform and may be transferred again.
            already = sum(t["amount"] - t["amount_reversed"]
                          for t in self.of_kind("transfer", source_transaction=source))
            if already + amount > charge["amount"]:
                left = charge["amount"] - already
                raise StripeAPIError(400, f"Insufficient funds: the source transaction {source} only has "
                                     f"{format_money(left, currency)} left to transfer.",
                                     code="balance_insufficient", param="amount")
        else:  # without a source transaction the transfer is paid from the platform's available balance
            self.require_balance(amount, currency)
        transfer = self.new_transfer(amount, currency, destination, source=source,
                                     transfer_group=get_str(params, "transfer_group"),
                                     description=get_str(params, "description"), metadata=get_metadata(params))
        self.emit("transfer.created", transfer, request)
        return transfer

    def new_transfer(self, amount: int, currency: str, destination: str, *, source: str | None,
                     transfer_group: str | None, description: str | None = None,
                     metadata: dict | None = None) -> dict:
        """A Transfer object (the caller checked it may be made and sends `transfer.created`)."""
        transfer_id = new_id("tr")
        return self._store({
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": new_id("txn"),
            "created": self.now(),
            "currency": currency,
            "description": description,
            "destination": destination,
            "destination_payment": new_id("py", 14),
            "livemode": False,
            "metadata": dict(metadata or {}),
            "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                          "url": f"/v1/transfers/{transfer_id}/reversals"},
            "reversed": False,
            "source_transaction": source,
            "source_type": "card",
            "transfer_group": transfer_group,
        })

    # -- transfer reversals ---------------------------------------------------------------

    def create_transfer_reversal(self, transfer_id: str, params: dict, request: dict) -> dict:
        check_known(params, {"amount", "description", "metadata", "refund_application_fee"})
        transfer = self.get("transfer", transfer_id)
        left = transfer["amount"] - transfer["amount_reversed"]
        if left <= 0:
            # Modelled on the refund case: a full reversal leaves nothing, and asking for more is too much.
            raise StripeAPIError(400, f"Transfer {transfer_id} has already been fully reversed.",
                                 code="amount_too_large", param="amount")
        amount = get_int(params, "amount", minimum=1)
        amount = left if amount is None else amount
        if amount > left:
            raise StripeAPIError(
                400, f"Reversal amount ({format_money(amount, transfer['currency'])}) is greater than the unreversed "
                f"amount on transfer {transfer_id} ({format_money(left, transfer['currency'])}).",
                code="amount_too_large", param="amount")
        if not self.for_destination_charge(transfer):
            # A separate transfer is taken back from the connected account's balance, which must cover it.
            self.require_balance(amount, transfer["currency"], transfer["destination"], message=(
                f"Insufficient funds in the destination account {transfer['destination']} to reverse "
                f"{format_money(amount, transfer['currency'])} of transfer {transfer_id}: its available balance "
                f"is {format_money(self.available_balance(transfer['currency'], transfer['destination']), transfer['currency'])}."))
        return self.reverse(transfer, amount, request, metadata=get_metadata(params))

    def for_destination_charge(self, transfer: dict) -> bool:
        """Made by a destination charge (`transfer_data`), rather than by `POST /v1/transfers`."""
        charge = self.objects.get(transfer.get("source_transaction") or "") or {}
        return charge.get("transfer") == transfer["id"]

    def reverse(self, transfer: dict, amount: int, request: dict, *, metadata: dict | None = None,
                source_refund: str | None = None) -> dict:
        """Take `amount` back (checked by the caller): the reversal, the transfer updated, its events."""
        reversal = self._store({
            "id": new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "created": self.now(),
            "currency": transfer["currency"],
            "destination_payment_refund": new_id("pyr", 14),
            "metadata": dict(metadata or {}),
            "source_refund": source_refund,
            "transfer": transfer["id"],
        })
        previous = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"],
                    "reversals": {"data": [dict(r) for r in transfer["reversals"]["data"]],
                                  "total_count": transfer["reversals"]["total_count"]}}
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        reversals = [reversal, *transfer["reversals"]["data"]]  # newest first, as Stripe lists them
        transfer["reversals"].update(data=[dict(r) for r in reversals[:10]], has_more=len(reversals) > 10,
                                     total_count=len(reversals))
        self.emit("transfer.reversed", transfer, request, previous=previous)
        self.emit("transfer.updated", transfer, request, previous=previous)
        return reversal

    def list_transfer_reversals(self, transfer_id: str, params: dict) -> dict:
        check_known(params, {"limit", "starting_after", "ending_before"})
        self.get("transfer", transfer_id)
        return self.listing(self.of_kind("transfer_reversal", transfer=transfer_id), params,
                            f"/v1/transfers/{transfer_id}/reversals")

    def get_transfer_reversal(self, transfer_id: str, reversal_id: str) -> dict:
        reversal = self.get("transfer_reversal", reversal_id)
        if reversal["transfer"] != transfer_id:
            raise missing("transfer_reversal", reversal_id)
        return reversal


def _requirements(due: list[str]) -> dict:
    return {"alternatives": [], "current_deadline": None, "currently_due": list(due),
            "disabled_reason": "requirements.past_due" if due else None, "errors": [], "eventually_due": list(due),
            "past_due": list(due), "pending_verification": []}


def _controller(value: object) -> dict:
    """The controller as Stripe reports it: what was asked, with defaults for the rest."""
    given = value if isinstance(value, dict) else {}
    fees = given.get("fees") if isinstance(given.get("fees"), dict) else {}
    losses = given.get("losses") if isinstance(given.get("losses"), dict) else {}
    dashboard = given.get("stripe_dashboard") if isinstance(given.get("stripe_dashboard"), dict) else {}
    controller = {
        "fees": {"payer": fees.get("payer") or "application"},
        "is_controller": True,
        "losses": {"payments": losses.get("payments") or "application"},
        "requirement_collection": given.get("requirement_collection") or "stripe",
        "stripe_dashboard": {"type": dashboard.get("type") or "express"},
        "type": "application",
    }
    return controller


def _type_of(controller: dict) -> str:
    """The legacy account type a set of controller properties amounts to (Stripe reports both)."""
    dashboard = controller["stripe_dashboard"]["type"]
    on_platform = controller["fees"]["payer"] == "application" and controller["losses"]["payments"] == "application"
    if dashboard == "full" and not on_platform:
        return "standard"
    if dashboard == "express" and on_platform and controller["requirement_collection"] == "stripe":
        return "express"
    if dashboard == "none" and on_platform and controller["requirement_collection"] == "application":
        return "custom"
    return "none"


def _capability(account: dict, name: str) -> dict:
    """A `capability` object, as `capability.updated` carries it."""
    due = account["requirements"]["currently_due"] if account["capabilities"][name] != "active" else []
    return {"id": name, "object": "capability", "account": account["id"], "requested": True,
            "requested_at": account["created"], "status": account["capabilities"][name],
            "requirements": _requirements(list(due)), "future_requirements": _requirements([])}


def _leave_due(account: dict) -> None:
    account.update(charges_enabled=False, payouts_enabled=False, details_submitted=True,
                   requirements=_requirements(list(VERIFICATION_REQUIREMENTS)))
    account["capabilities"] = {name: "inactive" for name in account["capabilities"]}


def _activate(account: dict) -> None:
    account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True,
                   requirements=_requirements([]))
    account["capabilities"] = {name: "active" for name in account["capabilities"]}
    account["tos_acceptance"] = {"date": account["created"], "ip": "127.0.0.1", "user_agent": "localpay"}
