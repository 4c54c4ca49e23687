"""What a user reads and decides about their notifications: the in-app inbox, their language, their
consents (with history), and unsubscribing from an e-mail link without signing in."""

from __future__ import annotations

import time

from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.notifications import (
    CONSENT_PURPOSES,
    DEFAULT_LOCALE,
    NOTIFICATION_ID,
    BadToken,
    Purpose,
    verify_unsubscribe,
)
from chalicelib.observability import count
from chalicelib.settings import get_settings
from chalicelib.store import notifications as store


def list_notifications(user_id: str, limit: int, cursor: str | None) -> dict:
    items, next_cursor = store.list_inbox(user_id, limit, cursor)
    return {"items": items, "next_cursor": next_cursor}


def unread_count(user_id: str) -> dict:
    return {"unread": store.unread_count(user_id)}


def mark_read(user_id: str, notification_id: str) -> dict:
    if not NOTIFICATION_ID.match(notification_id or ""):
        raise NotFound("No such notification.", fields={"notification_id": "unknown"})
    outcome = store.mark_read(user_id, notification_id)
    if outcome is None:
        raise NotFound("No such notification.", fields={"notification_id": "unknown"})
    return {"notification_id": notification_id, "read": True}


def mark_all_read(user_id: str) -> dict:
    return {"marked": store.mark_all_read(user_id)}


# --- preferences -----------------------------------------------------------------------------------


def preferences(principal) -> dict:
    profile = store.get_profile(principal.user_id) or {}
    return {"locale": profile.get("locale") or DEFAULT_LOCALE}


def set_preferences(principal, *, locale: str) -> dict:
    """Store the language; the address and name come from the account (the token, else Cognito)."""
    from chalicelib.services.accounts import profile as account_profile

    who = account_profile(principal)
    store.set_profile(principal.user_id, email=who.get("email") or None, name=who.get("name") or None, locale=locale)
    return {"locale": locale}


# --- consent ---------------------------------------------------------------------------------------


def consents_view(user_id: str) -> dict:
    standing = store.consents(user_id)
    return {
        "consents": {purpose.value: {"granted": bool(standing.get(purpose.value, {}).get("granted")),
                                     "at": standing.get(purpose.value, {}).get("at"),
                                     "source": standing.get(purpose.value, {}).get("source")}
                     for purpose in CONSENT_PURPOSES},
        "history": store.consent_history(user_id),
    }


def set_consents(user_id: str, changes: dict[str, bool], *, source: str) -> dict:
    if not changes:
        raise InvalidInput("Say which consent to give or withdraw.",
                           fields={purpose.value: "true or false" for purpose in CONSENT_PURPOSES})
    for purpose, granted in changes.items():
        if store.record_consent(user_id, purpose, granted, source):
            count("ConsentsChanged", 1, purpose=purpose, granted=str(granted).lower())
    return consents_view(user_id)


class UnsubscribeRefused(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_unsubscribe(token: str) -> tuple[str, Purpose]:
    """(user, purpose) of a genuine, unexpired unsubscribe token; UnsubscribeRefused otherwise."""
    try:
        return verify_unsubscribe(get_settings().unsubscribe_secrets, token, now=int(time.time()))
    except BadToken as err:
        count("UnsubscribeRefused", 1, reason=err.reason)
        raise UnsubscribeRefused(err.reason) from None


def unsubscribe(token: str) -> Purpose:
    """Withdraw the consent the token names (a repeat changes nothing); returns the purpose."""
    user_id, purpose = check_unsubscribe(token)
    if store.record_consent(user_id, purpose.value, False, "unsubscribe_link"):
        count("ConsentsChanged", 1, purpose=purpose.value, granted="false")
    return purpose
