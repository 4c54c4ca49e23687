"""Who hears about which event, under which purpose, and the rules of consent and unsubscribing.

Pure rules (no AWS, no I/O): the notifications service (chalicelib/services/notifications.py)
reads the recipients table to turn one event into deliveries, the consent rules to know whether a
delivery may go out, and the unsubscribe token to let a recipient withdraw consent from an e-mail
without signing in.

Adding a notification for a new event type is one line in `RECIPIENTS` (and a template pair per
locale in chalicelib/templates/notifications/; without one, the generic template is used).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

LOCALES = ("en", "fr")
DEFAULT_LOCALE = "en"


class Purpose(StrEnum):
    """Why a message is sent. Transactional messages (about the user's own orders, shop, account)
    always go out; the others only with the user's consent (GDPR art. 6(1)(a), withdrawable: art. 7(3))."""

    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"
    SURVEYS = "surveys"


CONSENT_PURPOSES: tuple[Purpose, ...] = (Purpose.MARKETING, Purpose.SURVEYS)


@dataclass(frozen=True)
class Recipient:
    """Who gets one notification: a user (by id; e-mail and locale come from their profile), or a bare
    address (someone with no usable account, e.g. the owner of an address a sign-up reused)."""

    user_id: str | None
    template: str  # the template's name: the event type, or `<event type>.<role>` when roles read differently
    email: str | None = None
    link: str = ""  # where the inbox entry leads in the frontend (`#/orders/<id>`)
    group: str = ""  # a whole user group (`admins`): the delivery service expands it into its members

    @property
    def key(self) -> str:
        if self.group:
            return f"group#{self.group}"
        return f"user#{self.user_id}" if self.user_id else f"email#{(self.email or '').lower()}"


Rule = Callable[[dict], list[Recipient]]


def _order_link(data: dict) -> str:
    return f"#/orders/{data.get('order_id', '')}"


def _vendor_order_link(data: dict) -> str:
    return "#/vendor/orders"


def shopper(template: str | None = None) -> Rule:
    """The order's shopper."""
    def rule(data: dict, *, _template=template) -> list[Recipient]:
        return [Recipient(data["shopper_id"], _template or "", link=_order_link(data))] if data.get("shopper_id") else []
    return rule


def every_vendor(template: str) -> Rule:
    """Each vendor of the order (its owner's account: a vendor id is its owner's user id)."""
    def rule(data: dict) -> list[Recipient]:
        return [Recipient(v, template, link=_vendor_order_link(data)) for v in data.get("vendor_ids", []) if v]
    return rule


def the_vendor(template: str | None = None, link: str = "#/vendor") -> Rule:
    """The vendor the event names (`vendor_id`)."""
    def rule(data: dict) -> list[Recipient]:
        return [Recipient(data["vendor_id"], template or "", link=link)] if data.get("vendor_id") else []
    return rule


def the_user(template: str | None = None) -> Rule:
    """The account the event is about (`user_id`, with its `email` for a profile not written yet)."""
    def rule(data: dict) -> list[Recipient]:
        return [Recipient(data.get("user_id") or None, template or "", email=data.get("email"), link="#/")]
    return rule


def the_address(template: str | None = None) -> Rule:
    """Only an address (no account to read a locale from, no inbox)."""
    def rule(data: dict) -> list[Recipient]:
        return [Recipient(None, template or "", email=data["email"])] if data.get("email") else []
    return rule


def listed(template: str | None = None) -> Rule:
    """The people the event lists (`recipients`: [{"role", "id"}]); the platform's ("" id) reads it elsewhere."""
    def rule(data: dict) -> list[Recipient]:
        thread = data.get("thread_id", "")
        links = {"shopper": f"#/messages?thread={thread}", "vendor": f"#/vendor/messages?thread={thread}"}
        return [Recipient(r["id"], template or "", link=links.get(r.get("role"), "#/"))
                for r in data.get("recipients", []) if isinstance(r, dict) and r.get("id") and r.get("role") != "admin"]
    return rule


ADMINS_GROUP = "admins"  # the Cognito group of platform operators (infra/template.json AdminsGroup)


def platform_admins(template: str, link: str) -> Rule:
    """Every platform operator (each member of the `admins` group, listed by the delivery service):
    what needs a person at Halles (a failed refund, a case escalated, a dispute) reaches each of them."""
    def rule(data: dict) -> list[Recipient]:
        return [Recipient(None, template, link=link, group=ADMINS_GROUP)]
    return rule


def first_time(rule: Rule) -> Rule:
    """Only the first of a series of attempts (`attempt` 0): a shopper told "our team is on it" once
    needs no second mail each time an admin's retry fails too."""
    def first(data: dict) -> list[Recipient]:
        return rule(data) if not data.get("attempt") else []
    return first


def both(*rules: Rule) -> Rule:
    def rule(data: dict) -> list[Recipient]:
        return [recipient for each in rules for recipient in each(data)]
    return rule


# event type -> who hears about it. An event type not listed here notifies nobody (an internal fact).
RECIPIENTS: dict[str, Rule] = {
    "user.signed_up": the_user(),
    "account.signup_repeated": the_address(),
    "order.placed": shopper(),
    "order.paid": both(shopper(), every_vendor("order.paid.vendor")),
    "payment.failed": shopper(),
    "order.cancelled": shopper(),
    "order.accepted": shopper(),
    "order.shipped": shopper(),
    "order.delivered": both(shopper(), the_vendor("order.delivered.vendor", "#/vendor/orders")),
    "order.line_cancelled": shopper(),
    "vendor.onboarding_changed": the_vendor(link="#/vendor/onboarding"),
    "vendor.approval_changed": the_vendor(link="#/vendor/onboarding"),
    "import.finished": the_vendor(link="#/vendor/imports"),
    "payout.sent": the_vendor(link="#/vendor/money"),
    "message.received": listed(),
    "claim.opened": both(shopper(), the_vendor("claim.opened.vendor", "#/vendor/claims")),
    "claim.answered": shopper(),
    "claim.escalated": both(shopper(), the_vendor("claim.escalated.vendor", "#/vendor/claims"),
                            platform_admins("claim.escalated.admin", "#/admin/cases")),
    "claim.resolved": both(shopper(), the_vendor("claim.resolved.vendor", "#/vendor/claims")),
    "dispute.opened": both(every_vendor("dispute.opened.vendor"), platform_admins("dispute.opened.admin", "#/admin/cases")),
    "dispute.closed": every_vendor("dispute.closed.vendor"),
    # after-sales: returns, failed refunds, and what the platform's operators must act on
    "return.requested": both(shopper(), the_vendor("return.requested.vendor", "#/vendor/returns")),
    "return.approved": shopper(),
    "return.rejected": shopper(),
    "return.shipped_back": the_vendor("return.shipped_back.vendor", "#/vendor/returns"),
    "return.received": shopper(),
    "return.refunded": shopper(),
    "return.escalated": both(shopper(), the_vendor("return.escalated.vendor", "#/vendor/returns"),
                             platform_admins("return.escalated.admin", "#/admin/returns")),
    "refund.failed": both(first_time(shopper()), platform_admins("refund.failed.admin", "#/admin/refunds")),
}

# event type -> purpose; absent means transactional.
PURPOSES: dict[str, Purpose] = {}


# --- satisfaction surveys: the shopper, by consent only ---------------------------------------------


def surveyed_shopper(data: dict) -> list[Recipient]:
    """The shopper asked to answer; the inbox entry opens the survey page."""
    return [Recipient(data["shopper_id"], "", link=data.get("survey_link") or "#/")] if data.get("shopper_id") else []


RECIPIENTS["survey.requested"] = surveyed_shopper
PURPOSES["survey.requested"] = Purpose.SURVEYS


def recipients_of(event_type: str, data: dict) -> list[Recipient]:
    """Who hears about this event, each once (a vendor that is also the shopper gets both roles' messages)."""
    rule = RECIPIENTS.get(event_type)
    if rule is None:
        return []
    seen: set[tuple[str, str]] = set()
    out = []
    for recipient in rule(data):
        template = recipient.template or event_type
        key = (recipient.key, template)
        if key not in seen:
            seen.add(key)
            out.append(Recipient(recipient.user_id, template, recipient.email, recipient.link, recipient.group))
    return out


def purpose_of(event_type: str) -> Purpose:
    return PURPOSES.get(event_type, Purpose.TRANSACTIONAL)


def may_send(purpose: Purpose, consents: dict[str, bool]) -> bool:
    """Transactional always; any other purpose only while the user's consent to it stands."""
    return purpose is Purpose.TRANSACTIONAL or bool(consents.get(purpose.value, False))


# --- locale ----------------------------------------------------------------------------------------

_LANGUAGE_RANGE = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$")


def locale_from_accept_language(header: str | None) -> str:
    """The best of our locales for an `Accept-Language` header (RFC 9110 12.5.4), else the default."""
    best, best_q = DEFAULT_LOCALE, 0.0
    for part in (header or "")[:500].split(","):
        match = _LANGUAGE_RANGE.match(part)
        if not match:
            continue
        language, q = match.group(1).lower(), float(match.group(2) or 1)
        # Earlier ranges win ties: the list is in the user's order.
        if language in LOCALES and q > best_q and q > 0:
            best, best_q = language, q
    return best


def supported_locale(value: str | None) -> str:
    return value if value in LOCALES else DEFAULT_LOCALE


# --- ids -------------------------------------------------------------------------------------------

_NOTIFICATION_NS = uuid.UUID("0b8f4a1e-96c3-4b55-8a3e-5d2f7f0e9c41")
NOTIFICATION_ID = re.compile(r"^n_\d{17}_[0-9a-f]{12}$")


def notification_id(event_id: str, recipient_key: str, template: str, occurred_at: str) -> str:
    """`n_<yyyymmddHHMMSSmmm>_<hash>`: sorts by time (the inbox lists newest first by key), unique per
    event, recipient and template."""
    digits = re.sub(r"\D", "", occurred_at)[:17].ljust(17, "0")
    digest = uuid.uuid5(_NOTIFICATION_NS, f"{event_id}|{recipient_key}|{template}").hex[:12]
    return f"n_{digits}_{digest}"


# --- unsubscribe tokens ----------------------------------------------------------------------------


class BadToken(ValueError):
    """A token that was altered, is not ours, or has expired; `reason` says which, in plain words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_unsubscribe(secret: str, *, user_id: str, purpose: Purpose, expires_at: int) -> str:
    """`<payload>.<mac>`: HMAC-SHA256 over the payload (user, purpose, expiry as epoch seconds)."""
    if not secret:
        raise ValueError("no unsubscribe secret configured")
    payload = _b64(json.dumps({"u": user_id, "p": purpose.value, "e": expires_at}, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), f"unsubscribe.{payload}".encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def verify_unsubscribe(secrets: tuple[str, ...], token: str, *, now: int) -> tuple[str, Purpose]:
    """(user_id, purpose) of a genuine, unexpired token; BadToken otherwise. Any of `secrets` verifies
    (rolling the secret keeps the links already sent working)."""
    payload, _, mac = (token or "").partition(".")
    if not payload or not mac or len(token) > 1000:
        raise BadToken("malformed")
    try:
        given = _unb64(mac)
    except ValueError:
        raise BadToken("malformed") from None
    if not any(secret and hmac.compare_digest(
            hmac.new(secret.encode(), f"unsubscribe.{payload}".encode(), hashlib.sha256).digest(), given)
            for secret in secrets):
        raise BadToken("tampered")
    try:
        claims = json.loads(_unb64(payload))
        user_id, purpose, expires_at = str(claims["u"]), Purpose(claims["p"]), int(claims["e"])
    except (ValueError, KeyError, TypeError):
        raise BadToken("malformed") from None
    if purpose is Purpose.TRANSACTIONAL:
        raise BadToken("malformed")
    if expires_at < now:
        raise BadToken("expired")
    return user_id, purpose
