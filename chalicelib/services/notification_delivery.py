"""Telling people about an event: each recipient by e-mail (SES) and in their in-app inbox.

For one event: the recipients table (chalicelib/domain/notifications.py) names who hears about it
and which template they read (a group, the platform's `admins`, stands for each of its Cognito members); each recipient's e-mail address and locale come from their profile
(the notifications table; an account older than it is looked up once in Cognito by its id); the
message is rendered in that locale (chalicelib/services/notification_templates.py); a
non-transactional message goes out only with the recipient's consent, with a signed unsubscribe
link and the RFC 8058 one-click headers.

Each delivery happens at most once per (event id, recipient, template, channel): the inbox entry's
id is derived from those, so it is one put where none exists, and that put also claims the e-mail
(a bare address claims a dedupe marker); an e-mail is claimed before sending and the claim given
back when SES fails, so the redelivered message sends it then. A failure
raises: the record fails alone and SQS redelivers it (the DLQ after 5 receives).
"""

from __future__ import annotations

import time

from chalicelib import mailer
from chalicelib.domain.events import DomainEvent
from chalicelib.domain.notifications import (
    DEFAULT_LOCALE,
    Purpose,
    Recipient,
    may_send,
    notification_id,
    purpose_of,
    recipients_of,
    sign_unsubscribe,
    supported_locale,
)
from chalicelib.observability import count, logger
from chalicelib.settings import get_settings
from chalicelib.store import notifications as store

UNSUBSCRIBE_LINK_DAYS = 90
ADDRESS_FIELDS = ("name", "line1", "line2", "postal_code", "city", "country")


def profile_of(recipient: Recipient, data: dict, event_type: str) -> dict | None:
    """{email, name, role, locale} of the recipient; None when they have no reachable address."""
    if recipient.user_id is None:
        return {"email": recipient.email, "name": "", "role": "", "locale": None}
    profile = store.get_profile(recipient.user_id)
    if profile and profile.get("email"):
        return profile
    if event_type == "user.signed_up" and data.get("email"):
        store.put_profile_if_absent(recipient.user_id, email=data["email"], name=data.get("name", ""),
                                    role=data.get("role", ""), locale=data.get("locale") or None)
        return store.get_profile(recipient.user_id)
    from chalicelib.auth import cognito

    user = cognito.find_by_sub(recipient.user_id)
    if user is None or not user.email:
        return None
    # An update: a profile that holds only the locale the user chose keeps it.
    store.set_profile(recipient.user_id, email=user.email, name=user.name)
    return store.get_profile(recipient.user_id)


def order_context(data: dict, vendor_id: str | None) -> dict:
    """The order's lines (a vendor's own only, for a vendor), its address and totals, for the templates."""
    if not data.get("order_id"):
        return {"order": None, "lines": [], "address": None}
    from chalicelib.store import orders as order_store

    order = order_store.get_order(data["order_id"])
    if order is None:
        return {"order": None, "lines": [], "address": None}
    lines = [{"title": line.get("title", ""), "quantity": int(line.get("quantity", 0)),
              "vendor_name": line.get("vendor_name", ""),
              "amount": (int(line.get("unit_price", 0)) - int(line.get("unit_discount", 0) or 0))
              * int(line.get("quantity", 0))}
             for line in order.get("lines", []) if vendor_id is None or line.get("vendor_id") == vendor_id]
    stored = order.get("shipping_address") or None
    address = {k: str(stored.get(k) or "") for k in ADDRESS_FIELDS} if stored else None
    return {"order": {"order_number": order.get("order_number", ""), "currency": order.get("currency", "EUR"),
                      "total": int(order.get("total", 0))},
            "lines": lines, "address": address}


def _vendor_view(recipient: Recipient) -> bool:
    return recipient.template.endswith(".vendor") or recipient.link.startswith("#/vendor")


def context_for(recipient: Recipient, profile: dict, event_type: str, data: dict, *,
                unsubscribe_url: str | None, orders: dict) -> dict:
    frontend = get_settings().frontend_url.rstrip("/")
    vendor_id = recipient.user_id if _vendor_view(recipient) else None
    key = vendor_id or ""
    if key not in orders:
        orders[key] = order_context(data, vendor_id)
    return {"event_type": event_type, "event": data, "name": profile.get("name") or "",
            **orders[key], "link": f"{frontend}/{recipient.link}" if recipient.link else frontend,
            "frontend_url": frontend, "unsubscribe_url": unsubscribe_url}


def unsubscribe_url(user_id: str | None, purpose: Purpose) -> str | None:
    settings = get_settings()
    if purpose is Purpose.TRANSACTIONAL or not user_id:
        return None
    if not settings.unsubscribe_secrets or not settings.public_api_url:
        raise RuntimeError("non-transactional mail needs HALLES_UNSUBSCRIBE_SECRET and HALLES_PUBLIC_API_URL")
    token = sign_unsubscribe(settings.unsubscribe_secrets[0], user_id=user_id, purpose=purpose,
                             expires_at=int(time.time()) + UNSUBSCRIBE_LINK_DAYS * 86400)
    return f"{settings.public_api_url}/unsubscribe?token={token}"


GROUP_CACHE_SECONDS = 300
_group_members: dict[str, tuple[float, tuple[str, ...]]] = {}


def members_of(group: str) -> tuple[str, ...]:
    """The user ids of a Cognito group (the platform's `admins`), listed once per container and kept
    five minutes: escalations are rare, and an operator added to the group hears from the next ones on.
    Each member's address is saved in their profile, so delivering to them reads no more of Cognito."""
    cached = _group_members.get(group)
    if cached and time.monotonic() - cached[0] < GROUP_CACHE_SECONDS:
        return cached[1]
    from chalicelib.auth import cognito

    users = cognito.members_of_group(group)
    for user in users:
        if user.email and not (store.get_profile(user.sub) or {}).get("email"):
            store.set_profile(user.sub, email=user.email, name=user.name)
    ids = tuple(sorted(user.sub for user in users))
    _group_members[group] = (time.monotonic(), ids)
    return ids


def expand_groups(recipients: list[Recipient]) -> list[Recipient]:
    """A group recipient becomes one recipient per member (each once, if several rules name them)."""
    out, seen = [], set()
    for recipient in recipients:
        people = ([Recipient(member, recipient.template, link=recipient.link) for member in members_of(recipient.group)]
                  if recipient.group else [recipient])
        if not people and recipient.group:
            logger.warning("notification group has no members", extra={"group": recipient.group,
                                                                       "template": recipient.template})
        for person in people:
            if (person.key, person.template) not in seen:
                seen.add((person.key, person.template))
                out.append(person)
    return out


def notify(event: DomainEvent, envelope) -> None:
    """Deliver `envelope`'s event to everyone the recipients table names (see the module docstring)."""
    from chalicelib.services.notification_templates import render

    data, event_type = envelope.data, envelope.type
    purpose = purpose_of(event_type)
    occurred_at = envelope.occurred_at.isoformat()
    orders: dict = {}
    for recipient in expand_groups(recipients_of(event_type, data)):
        profile = profile_of(recipient, data, event_type)
        if profile is None or not profile.get("email"):
            logger.warning("notification recipient has no address; skipped",
                           extra={"event_type": event_type, "template": recipient.template})
            count("NotificationsWithoutRecipient", 1, event_type=event_type)
            continue
        if purpose is not Purpose.TRANSACTIONAL:
            granted = {p: c["granted"] for p, c in store.consents(recipient.user_id or "").items()}
            if not may_send(purpose, granted):
                count("NotificationsWithoutConsent", 1, event_type=event_type)
                continue
        locale = supported_locale(profile.get("locale") or DEFAULT_LOCALE)
        link = unsubscribe_url(recipient.user_id, purpose)
        rendered = render(recipient.template, locale,
                          context_for(recipient, profile, event_type, data, unsubscribe_url=link, orders=orders))
        owner = recipient.key
        nid = None
        if recipient.user_id:
            nid = notification_id(envelope.event_id, owner, recipient.template, occurred_at)
            # The entry's put claims its e-mail too (one write for both); on a redelivery the claim is
            # taken on the entry that exists, unless it was taken (and the mail sent) before.
            if store.deliver_to_inbox(owner, event_id=envelope.event_id, template=recipient.template,
                                      notification_id=nid, event_type=event_type, title=rendered.subject,
                                      body=rendered.text[:2000], link=recipient.link, created_at=occurred_at,
                                      claim_email=True):
                count("InboxNotifications", 1, event_type=event_type)
                _send_claimed(owner, envelope.event_id, recipient.template, profile["email"], rendered, link, nid)
                continue
        _email_once(owner, envelope.event_id, recipient.template, profile["email"], rendered, link, nid)


def _email_once(owner: str, event_id: str, template: str, to: str, rendered, unsubscribe: str | None,
                inbox_id: str | None) -> None:
    if not store.claim_email(owner, event_id=event_id, template=template, notification_id=inbox_id):
        count("NotificationEmailsDeduplicated", 1)
        return
    _send_claimed(owner, event_id, template, to, rendered, unsubscribe, inbox_id)


def _send_claimed(owner: str, event_id: str, template: str, to: str, rendered, unsubscribe: str | None,
                  inbox_id: str | None) -> None:
    """Send the e-mail whose claim this delivery holds; give the claim back if SES fails."""
    try:
        headers = {"List-Unsubscribe": f"<{unsubscribe}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"} if unsubscribe else {}
        mailer.send_mime(to, rendered.subject, rendered.text, rendered.html, headers)
    except Exception:
        store.release_email(owner, event_id=event_id, template=template, notification_id=inbox_id)
        raise
    count("NotificationEmailsSent", 1, template=template)
