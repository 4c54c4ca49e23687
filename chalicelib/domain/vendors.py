"""Vendor rules: the shop profile, the Connect account's readiness, and when a vendor's offers are live.

Pure: no I/O. The readiness comes from the Stripe account object (its `charges_enabled`,
`payouts_enabled`, `capabilities.transfers`, `requirements`) as the Connect webhooks report it;
the words a vendor reads about it are written here, once.

A vendor sells (its offers are visible, addable to a cart and checkout-able) only when all of:
its account can receive transfers (capability `transfers` active), an admin approved it, and it
is not suspended. That is a vendor-level gate; an offer's own pause or delisting composes with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import InvalidInput

# --- profile ------------------------------------------------------------------------------------

LEGAL_NAME_MAX = 120
RETURN_POLICY_MAX = 2000
SHIPPING_ORIGIN_MAX = 120
LOGO_URL_MAX = 500
# Countries where Stripe Connect accounts can be opened and this marketplace ships from (ISO 3166-1 alpha-2).
CONNECT_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR", "HU", "IE", "IT",
    "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK", "US",
})
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                    r"[A-Za-z0-9])?)+$")
_LOGO = re.compile(r"^https://[^\s/$.?#][^\s]*$", re.IGNORECASE)
PROFILE_FIELDS = ("legal_name", "country", "support_email", "return_policy", "shipping_origin", "logo_url")


@dataclass(frozen=True)
class VendorProfile:
    """What a vendor tells shoppers about itself: legal name, country, support, policies."""

    legal_name: str
    country: str
    support_email: str
    return_policy: str
    shipping_origin: str
    logo_url: str | None = None

    def to_json(self) -> dict:
        return {name: getattr(self, name) for name in PROFILE_FIELDS}


def _text(data: Mapping[str, Any], name: str, errors: dict[str, str], low: int, high: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        errors[name] = "required"
        return ""
    value = value.strip()
    if not low <= len(value) <= high:
        errors[name] = f"must be {low} to {high} characters"
    return value


def validate_profile(data: Mapping[str, Any]) -> VendorProfile:
    """The profile a vendor submits, checked field by field; InvalidInput names every bad field."""
    errors: dict[str, str] = {}
    legal_name = " ".join(_text(data, "legal_name", errors, 2, LEGAL_NAME_MAX).split())
    country = _text(data, "country", errors, 2, 2).upper()
    if "country" not in errors and country not in CONNECT_COUNTRIES:
        errors["country"] = "not a country vendors can sell from (ISO code such as FR, DE, GB)"
    email = _text(data, "support_email", errors, 3, 254).lower()
    if "support_email" not in errors and not _EMAIL.match(email):
        errors["support_email"] = "not an e-mail address"
    return_policy = _text(data, "return_policy", errors, 20, RETURN_POLICY_MAX)
    origin = " ".join(_text(data, "shipping_origin", errors, 2, SHIPPING_ORIGIN_MAX).split())
    logo = data.get("logo_url")
    if logo in (None, ""):
        logo = None
    elif not isinstance(logo, str) or len(logo) > LOGO_URL_MAX or not _LOGO.match(logo.strip()):
        errors["logo_url"] = "must be an https:// address of an image"
    else:
        logo = logo.strip()
    if errors:
        raise InvalidInput("The shop profile is invalid.", code="validation_error", fields=errors)
    return VendorProfile(legal_name, country, email, return_policy, origin, logo)


# --- the connected account's readiness ----------------------------------------------------------

class Approval(StrEnum):
    PENDING = "pending"  # signed up, waiting for an admin
    APPROVED = "approved"
    SUSPENDED = "suspended"  # approved once, then paused by an admin (with a reason)


DEAUTHORIZED = "platform_deauthorized"  # our disabled_reason once the account disconnected from the platform


@dataclass(frozen=True)
class AccountState:
    """What we keep of a connected account (from the latest event about it)."""

    account_id: str | None = None
    charges_enabled: bool = False
    payouts_enabled: bool = False
    transfers: str = "inactive"  # the `transfers` capability: active | inactive | pending | unrequested
    card_payments: str = "inactive"
    currently_due: tuple[str, ...] = ()
    disabled_reason: str | None = None
    details_submitted: bool = False

    @property
    def can_receive_transfers(self) -> bool:
        return self.transfers == "active" and self.disabled_reason != DEAUTHORIZED


def _capability(value: Any) -> str:
    """Stripe writes a capability as its status string on the account, as an object on `capability.*`."""
    if isinstance(value, Mapping):
        value = value.get("status")
    return value if isinstance(value, str) and value else "inactive"


def state_from_account(account: Mapping[str, Any]) -> AccountState:
    """An `account` object (of `account.updated`) as the state we keep."""
    capabilities = account.get("capabilities") if isinstance(account.get("capabilities"), Mapping) else {}
    requirements = account.get("requirements") if isinstance(account.get("requirements"), Mapping) else {}
    due = requirements.get("currently_due") if isinstance(requirements.get("currently_due"), list) else []
    return AccountState(
        account_id=account.get("id") if isinstance(account.get("id"), str) else None,
        charges_enabled=account.get("charges_enabled") is True,
        payouts_enabled=account.get("payouts_enabled") is True,
        transfers=_capability(capabilities.get("transfers")),
        card_payments=_capability(capabilities.get("card_payments")),
        currently_due=tuple(str(item) for item in due),
        disabled_reason=requirements.get("disabled_reason") if isinstance(requirements.get("disabled_reason"),
                                                                          str) else None,
        details_submitted=account.get("details_submitted") is True,
    )


def with_capability(state: AccountState, capability: Mapping[str, Any]) -> AccountState:
    """A `capability` object (of `capability.updated`) applied to the state we had."""
    name, status = capability.get("id"), _capability(capability)
    requirements = capability.get("requirements") if isinstance(capability.get("requirements"), Mapping) else {}
    due = requirements.get("currently_due") if isinstance(requirements.get("currently_due"), list) else None
    changes: dict[str, Any] = {}
    if name == "transfers":
        changes["transfers"] = status
    elif name == "card_payments":
        changes["card_payments"] = status
    if due is not None and name == "transfers":
        changes["currently_due"] = tuple(dict.fromkeys((*state.currently_due, *map(str, due))))
    return AccountState(**{**state.__dict__, **changes})


def deauthorized(state: AccountState) -> AccountState:
    """The vendor disconnected its account from the platform: nothing can be paid to it any more."""
    return AccountState(account_id=state.account_id, transfers="inactive", card_payments="inactive",
                        disabled_reason=DEAUTHORIZED, currently_due=state.currently_due,
                        details_submitted=state.details_submitted)


def can_sell(*, approval: str | None, transfers: str | None, disabled_reason: str | None = None) -> bool:
    """The vendor-level gate of every offer: transfers capability active, approved, not suspended."""
    return (approval == Approval.APPROVED and transfers == "active" and disabled_reason != DEAUTHORIZED)


# --- what the vendor reads -----------------------------------------------------------------------

# Stripe's requirement ids -> what a person understands. Unknown ids fall back to a readable form of the id.
REQUIREMENT_WORDS = {
    "individual.dob.day": "your date of birth", "individual.dob.month": "your date of birth",
    "individual.dob.year": "your date of birth", "individual.first_name": "your first name",
    "individual.last_name": "your last name", "individual.address.line1": "your address",
    "individual.address.city": "your address", "individual.address.postal_code": "your address",
    "individual.email": "your e-mail address", "individual.phone": "your phone number",
    "individual.id_number": "your ID number", "individual.verification.document": "a photo of your ID document",
    "business_profile.url": "your shop's website", "business_profile.mcc": "what your business sells",
    "business_profile.product_description": "a description of what you sell",
    "business_profile.support_phone": "a support phone number",
    "business_type": "your business type", "company.name": "your company's name",
    "company.tax_id": "your company's tax ID", "company.address.line1": "your company's address",
    "external_account": "a bank account for your payouts",
    "tos_acceptance.date": "your acceptance of Stripe's terms", "tos_acceptance.ip": "your acceptance of Stripe's terms",
    "representative.first_name": "the name of your company's representative",
}
DISABLED_WORDS = {
    "requirements.past_due": "Stripe needs more information before you can be paid.",
    "requirements.pending_verification": "Stripe is checking the information you gave; this usually takes minutes.",
    "under_review": "Stripe is reviewing your account.",
    "rejected.fraud": "Stripe rejected your account.", "rejected.other": "Stripe rejected your account.",
    "rejected.terms_of_service": "Stripe rejected your account.",
    "listed": "Stripe is reviewing your account.",
    DEAUTHORIZED: "Your Stripe account was disconnected from Halles: connect it again to sell.",
}


def requirement_words(due: tuple[str, ...] | list[str]) -> list[str]:
    """Each thing Stripe asks for, in plain words, once, in Stripe's order."""
    words: list[str] = []
    for item in due:
        text = REQUIREMENT_WORDS.get(item) or item.rsplit(".", 1)[-1].replace("_", " ")
        if text not in words:
            words.append(text)
    return words


class OnboardingStep(StrEnum):
    START = "start_onboarding"  # no connected account yet
    CONTINUE = "continue_onboarding"  # Stripe needs something
    WAIT_STRIPE = "wait_for_stripe"  # submitted; Stripe is verifying
    WAIT_APPROVAL = "wait_for_approval"  # payouts ready; an admin has not approved yet
    SUSPENDED = "suspended"
    READY = "ready"


@dataclass(frozen=True)
class OnboardingStatus:
    """Where a vendor's onboarding stands, whether it can sell and what to do next."""

    step: OnboardingStep
    next_step: str  # plain words: what the vendor should do now
    can_sell: bool
    needs: list[str] = field(default_factory=list)


def onboarding_status(state: AccountState, *, approval: str | None, suspended_reason: str | None = None,
                      has_profile: bool = True) -> OnboardingStatus:
    """Where the vendor stands and what to do next, in words a vendor understands."""
    needs = requirement_words(state.currently_due)
    if approval == Approval.SUSPENDED:
        why = f" Reason: {suspended_reason}" if suspended_reason else ""
        return OnboardingStatus(OnboardingStep.SUSPENDED, f"Your shop is suspended by Halles.{why} "
                                "Your offers are hidden from shoppers; contact support.", False, needs)
    if state.account_id is None and not state.can_receive_transfers:
        first = "Fill in your shop profile, then continue" if not has_profile else "Continue"
        return OnboardingStatus(OnboardingStep.START, f"{first} onboarding with Stripe to get paid.", False, needs)
    if state.disabled_reason == DEAUTHORIZED:
        return OnboardingStatus(OnboardingStep.CONTINUE, DISABLED_WORDS[DEAUTHORIZED], False, needs)
    if not state.can_receive_transfers:
        if needs:
            return OnboardingStatus(OnboardingStep.CONTINUE, f"Stripe needs: {', '.join(needs)}. "
                                    "Continue onboarding to give them.", False, needs)
        if state.details_submitted:
            reason = DISABLED_WORDS.get(state.disabled_reason or "", "Stripe is verifying your account.")
            return OnboardingStatus(OnboardingStep.WAIT_STRIPE, reason, False, needs)
        return OnboardingStatus(OnboardingStep.CONTINUE, "Continue onboarding with Stripe to get paid.", False,
                                needs)
    if approval != Approval.APPROVED:
        return OnboardingStatus(OnboardingStep.WAIT_APPROVAL, "Your payouts are set up. Halles is reviewing your "
                                "shop; your offers go live once it is approved.", False, needs)
    return OnboardingStatus(OnboardingStep.READY, "Ready to sell", True, needs)
