"""Vendor onboarding use cases: the shop profile, the Stripe Connect account and its readiness.

- The profile (legal name, country, support e-mail, return policy, shipping origin, logo) is
  checked by chalicelib/domain/vendors.py and stored on the vendor.
- `start_onboarding` creates the vendor's connected account once (Stripe idempotency key derived
  from the vendor id; the account id is linked to the vendor by a conditional write) and mints a
  new Account Link on every click: links are single-use and expire within minutes.
- The Connect webhooks (`account.updated`, `capability.updated`, `account.application.deauthorized`)
  reach `on_account_event` through the payment-events queue; each writes the state only if its
  event is not older than the one stored (compare `created`), so duplicates and out-of-order
  deliveries change it once. When the vendor's "can sell" flips, its listings are recomputed.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.vendors import (
    DEAUTHORIZED,
    AccountState,
    onboarding_status,
    state_from_account,
    validate_profile,
)
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentGateway
from chalicelib.services.payment_messages import ProviderEvent
from chalicelib.settings import get_settings
from chalicelib.store import vendors as vendors_store

ACCOUNT_EVENTS = frozenset({"account.updated", "capability.updated", "account.application.deauthorized"})
ONBOARDING_ROUTE = "#/vendor/onboarding"


def _vendor(vendor_id: str) -> vendors_store.VendorItem:
    from chalicelib.services.vendors import registered_vendor

    return registered_vendor(vendor_id)


def profile_view(vendor: vendors_store.VendorItem) -> dict:
    return {"shop_name": vendor.name, "profile": vendor.profile or None}


def get_profile(vendor_id: str) -> dict:
    return profile_view(_vendor(vendor_id))


def update_profile(vendor_id: str, data: dict) -> dict:
    vendor = _vendor(vendor_id)
    profile = validate_profile(data)
    if vendor.stripe_account_id and vendor.profile and vendor.profile.get("country") != profile.country:
        # The connected account was opened in that country; Stripe cannot move it.
        raise Conflict("The country cannot change once your Stripe account exists.", code="country_locked",
                       fields={"country": f"stays {vendor.profile.get('country')}"})
    return profile_view(vendors_store.save_profile(vendor_id, profile.to_json()))


def status_view(vendor: vendors_store.VendorItem) -> dict:
    state = vendor.account_state()
    status = onboarding_status(state, approval=vendor.approval_status, suspended_reason=vendor.approval_reason,
                               has_profile=bool(vendor.profile))
    return {
        "step": status.step.value,
        "next_step": status.next_step,
        "can_sell": status.can_sell,
        "needs": status.needs,
        "approval": vendor.approval_status or "pending",
        "suspended_reason": vendor.approval_reason if vendor.approval_status == "suspended" else None,
        "has_profile": bool(vendor.profile),
        "account": {
            "connected": bool(vendor.stripe_account_id),
            "charges_enabled": state.charges_enabled,
            "payouts_enabled": state.payouts_enabled,
            "transfers": state.transfers,
            "currently_due": list(state.currently_due),
            "disabled_reason": state.disabled_reason,
        },
    }


def get_status(vendor_id: str) -> dict:
    return status_view(_vendor(vendor_id))


def start_onboarding(vendor_id: str, email: str | None, *, gateway: PaymentGateway | None = None) -> dict:
    """The vendor clicked "Continue onboarding": its account (created once) and a fresh Account Link."""
    from chalicelib.services.wiring import payment_gateway

    vendor = _vendor(vendor_id)
    if not vendor.profile:
        raise Conflict("Fill in your shop profile first: Stripe needs your country.", code="profile_required",
                       fields={"profile": "required before onboarding"})
    gateway = gateway or payment_gateway()
    account_id = vendor.stripe_account_id
    if not account_id:
        account = gateway.create_connected_account(
            vendor_id=vendor_id, email=vendor.profile.get("support_email") or email,
            country=vendor.profile["country"], business_name=vendor.profile.get("legal_name") or vendor.name,
            idempotency_key=f"connect-account-{vendor_id}")
        account_id = account["id"]
        if not vendors_store.link_account(vendor_id, account_id):
            # Another click linked one first (the same, thanks to the idempotency key, unless it predates it).
            account_id = vendors_store.get_vendor(vendor_id).stripe_account_id
        else:
            logger.info("connected account created", extra={"vendor_id": vendor_id, "account": account_id})
            count("ConnectAccountsCreated", 1)
    base = get_settings().frontend_url.rstrip("/")
    link = gateway.create_account_link(account_id=account_id, refresh_url=f"{base}/{ONBOARDING_ROUTE}?refresh=1",
                                       return_url=f"{base}/{ONBOARDING_ROUTE}?return=1")
    return {"url": link["url"], "expires_at": link.get("expires_at")}


# --- the Connect webhooks ------------------------------------------------------------------------

def _vendor_of(account_id: str, account: dict[str, Any]) -> str | None:
    """The vendor whose account this is: by the index, else by the metadata we set at creation (checked)."""
    vendor_id = vendors_store.vendor_for_account(account_id)
    if vendor_id:
        return vendor_id
    claimed = (account.get("metadata") or {}).get("vendor_id") if isinstance(account.get("metadata"), dict) else None
    if isinstance(claimed, str) and claimed:
        vendor = vendors_store.get_vendor(claimed)
        if vendor is not None and vendor.stripe_account_id == account_id:
            return claimed
    return None


def record_account(vendor_id: str, state: AccountState, event_created: int) -> bool:
    """Store the account's state as of an event (unless a newer one is stored); recompute the vendor's
    listings when whether it can sell changed. True when written."""
    before = vendors_store.get_vendor(vendor_id)
    if before is None:
        raise NotFound("No such vendor.", fields={"vendor_id": "unknown"})
    written = vendors_store.record_account_state(vendor_id, state, event_created)
    if written:
        after = vendors_store.get_vendor(vendor_id)
        if after.can_sell != before.can_sell:
            from chalicelib.services.vendor_admin import refresh_vendor_listings

            refresh_vendor_listings(vendor_id)
        _announce_step(before, after, event_created)
    return written


def _announce_step(before: vendors_store.VendorItem, after: vendors_store.VendorItem, event_created: int) -> None:
    """Tell the vendor when its onboarding moved to another step (not on every account update)."""
    old, new = status_view(before), status_view(after)
    if old["step"] == new["step"]:
        return
    from chalicelib.domain.events import VendorOnboardingChanged
    from chalicelib.events import publish_after_the_fact

    publish_after_the_fact(VendorOnboardingChanged(vendor_id=after.vendor_id, step=new["step"],
                                                   can_sell=new["can_sell"], next_step=new["next_step"],
                                                   at=int(event_created)))


def on_account_event(event: ProviderEvent) -> str:
    """Apply one Connect event about a vendor's account; returns what happened."""
    obj = event.object
    account_id = event.account or (obj.get("id") if event.type == "account.updated" else obj.get("account"))
    if not isinstance(account_id, str) or not account_id:
        return "ignored_no_account"
    vendor_id = _vendor_of(account_id, obj if event.type == "account.updated" else {})
    if vendor_id is None:
        logger.warning("connect event for an account of no vendor", extra={"event_type": event.type,
                                                                           "account": account_id})
        count("ConnectEventsIgnored", 1, reason="unknown_account")
        return "ignored_unknown_account"
    vendor = vendors_store.get_vendor(vendor_id)
    current = vendor.account_state()
    if event.type == "account.updated":
        state = state_from_account(obj)
    elif event.type == "capability.updated":
        from chalicelib.domain.vendors import with_capability

        state = with_capability(current, obj)
    else:  # account.application.deauthorized
        state = AccountState(account_id=account_id, disabled_reason=DEAUTHORIZED, currently_due=current.currently_due,
                             details_submitted=current.details_submitted)
    written = record_account(vendor_id, state, event.created)
    count("ConnectEventsApplied" if written else "ConnectEventsStale", 1, event_type=event.type)
    logger.info("connect event applied" if written else "connect event older than the stored state",
                extra={"event_type": event.type, "vendor_id": vendor_id, "account": account_id})
    return "applied" if written else "stale"
