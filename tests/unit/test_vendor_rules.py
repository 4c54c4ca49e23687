"""Vendor rules: the profile's field checks, readiness from Stripe's account, the words a vendor reads,
and the gate that decides whether a vendor's offers are live."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.vendors import (
    AccountState,
    Approval,
    can_sell,
    deauthorized,
    onboarding_status,
    state_from_account,
    validate_profile,
    with_capability,
)

PROFILE = {"legal_name": "  Maison   Verte SAS ", "country": "fr", "support_email": "Help@Maison.example",
           "return_policy": "Returns within 30 days, in the original packaging.", "shipping_origin": "Nantes, FR"}
READY = {"id": "acct_1", "charges_enabled": True, "payouts_enabled": True, "details_submitted": True,
         "capabilities": {"card_payments": "active", "transfers": "active"},
         "requirements": {"currently_due": [], "disabled_reason": None}}


def test_a_valid_profile_is_normalised():
    profile = validate_profile(PROFILE)

    assert (profile.legal_name, profile.country, profile.support_email) == ("Maison Verte SAS", "FR",
                                                                            "help@maison.example")
    assert profile.logo_url is None


def test_every_wrong_field_of_a_profile_is_named_at_once():
    with pytest.raises(InvalidInput) as refused:
        validate_profile({"country": "ZZ", "support_email": "not-an-address", "return_policy": "short",
                          "logo_url": "javascript:alert(1)"})

    assert set(refused.value.fields) == {"legal_name", "country", "support_email", "return_policy",
                                         "shipping_origin", "logo_url"}


@pytest.mark.parametrize("approval,transfers,disabled,expected", [
    (Approval.APPROVED, "active", None, True),
    (Approval.PENDING, "active", None, False),  # not approved yet
    (Approval.SUSPENDED, "active", None, False),  # suspended
    (Approval.APPROVED, "inactive", None, False),  # cannot receive transfers
    (Approval.APPROVED, "pending", None, False),
    (Approval.APPROVED, "active", "platform_deauthorized", False),
    (None, "active", None, False),  # a record older than approvals counts as pending
])
def test_a_vendor_sells_only_when_approved_not_suspended_and_transfers_are_active(approval, transfers, disabled,
                                                                                  expected):
    assert can_sell(approval=approval, transfers=transfers, disabled_reason=disabled) is expected


def test_requirements_due_are_said_in_plain_words_once_each():
    account = {**READY, "charges_enabled": False, "payouts_enabled": False,
               "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
               "requirements": {"currently_due": ["individual.dob.day", "individual.dob.month",
                                                  "external_account", "company.some_new_field"],
                                "disabled_reason": "requirements.past_due"}}

    status = onboarding_status(state_from_account(account), approval=Approval.PENDING)

    assert status.step == "continue_onboarding" and not status.can_sell
    assert status.next_step == ("Stripe needs: your date of birth, a bank account for your payouts, "
                                "some new field. Continue onboarding to give them.")


def test_the_steps_a_vendor_goes_through():
    ready = state_from_account(READY)

    assert onboarding_status(AccountState(), approval=None, has_profile=False).next_step.startswith(
        "Fill in your shop profile")
    assert onboarding_status(ready, approval=Approval.PENDING).step == "wait_for_approval"
    assert onboarding_status(ready, approval=Approval.APPROVED).next_step == "Ready to sell"
    suspended = onboarding_status(ready, approval=Approval.SUSPENDED, suspended_reason="Late shipments")
    assert suspended.step == "suspended" and "Late shipments" in suspended.next_step and not suspended.can_sell
    submitted = AccountState(account_id="acct_1", details_submitted=True,
                             disabled_reason="requirements.pending_verification")
    assert onboarding_status(submitted, approval=None).step == "wait_for_stripe"


def test_capability_events_change_only_their_capability_and_deauthorization_stops_everything():
    state = state_from_account({**READY, "capabilities": {"card_payments": "active", "transfers": "inactive"}})

    after = with_capability(state, {"id": "transfers", "object": "capability", "status": "active"})
    gone = deauthorized(after)

    assert (after.transfers, after.card_payments, after.can_receive_transfers) == ("active", "active", True)
    assert not gone.can_receive_transfers and not gone.charges_enabled
    assert "disconnected" in onboarding_status(gone, approval=Approval.APPROVED).next_step
