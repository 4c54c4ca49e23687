"""DynamoDB storage of what each user is told and agreed to (table `notifications`, pk `owner`, sk `item`).

One partition per user (`owner` = `user#<user id>`; `email#<address>` for a bare address):

- `profile`: the e-mail, name, role and locale notifications use (written from `user.signed_up`, from
  the user's own preferences, or looked up once in Cognito for accounts older than this table);
- `consent#<purpose>`: the consent that stands (granted or not, when, from where), and one
  `consent-log#<at>#<purpose>` per change: the history GDPR asks us to be able to show;
- `inbox#<notification id>`: one in-app notification; ids sort by time, so a descending query
  lists the newest first. While unread it carries `unread_owner` (sparse index `unread`), which
  the unread count queries (Select=COUNT) and "mark read" removes under a condition;
- `sent#<event id>#<template>#email`: the dedupe key that makes each e-mail to a bare address go out
  at most once when SQS redelivers (expires with TTL after a week, longer than the queue's
  retention). An inbox entry needs none: its id is derived from the event, so the entry itself is
  put only where none exists, and it carries the claim of the same delivery's e-mail (`emailed_at`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import BooleanAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.store import cursors
from chalicelib.store.base import bind, conditional_failed, register

DEDUPE_RETENTION = timedelta(days=7)
PROFILE = "profile"


class Unread(GlobalSecondaryIndex):
    class Meta:
        index_name = "unread"
        projection = KeysOnlyProjection()

    unread_owner = UnicodeAttribute(hash_key=True)
    item = UnicodeAttribute(range_key=True)


@register
class NotificationItem(Model):
    class Meta:
        short_name = "notifications"
        table_name = None
        region = None

    owner = UnicodeAttribute(hash_key=True)
    item = UnicodeAttribute(range_key=True)
    # profile
    email = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    # consent and consent-log
    purpose = UnicodeAttribute(null=True)
    granted = BooleanAttribute(null=True)
    source = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)
    # inbox
    event_type = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    link = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    read_at = UnicodeAttribute(null=True)
    unread_owner = UnicodeAttribute(null=True)
    emailed_at = UnicodeAttribute(null=True)  # the e-mail of the same delivery was claimed (claim_email)
    # sent markers
    expires_at = TTLAttribute(null=True)

    unread = Unread()


def user_owner(user_id: str) -> str:
    return f"user#{user_id}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- profile ---------------------------------------------------------------------------------------


def get_profile(user_id: str) -> dict | None:
    bind()
    try:
        item = NotificationItem.get(user_owner(user_id), PROFILE)
    except NotificationItem.DoesNotExist:
        return None
    return {"email": item.email, "name": item.name or "", "role": item.role or "", "locale": item.locale}


def put_profile_if_absent(user_id: str, *, email: str, name: str, role: str, locale: str | None) -> None:
    """The profile as first known; a profile already there (the user set their locale) is kept."""
    bind()
    try:
        NotificationItem(user_owner(user_id), PROFILE, email=email, name=name, role=role, locale=locale).save(
            condition=NotificationItem.owner.does_not_exist())
    except PutError as err:
        if not conditional_failed(err):
            raise


def set_profile(user_id: str, *, email: str | None = None, name: str | None = None,
                locale: str | None = None) -> None:
    """Set the fields given (an update: creates the profile when missing, keeps the others)."""
    bind()
    actions = [getattr(NotificationItem, field).set(value)
               for field, value in (("email", email), ("name", name), ("locale", locale)) if value]
    if actions:
        NotificationItem(user_owner(user_id), PROFILE).update(actions=actions)


# --- consent ---------------------------------------------------------------------------------------


def consents(user_id: str) -> dict[str, dict]:
    """purpose -> {granted, at, source} for every purpose the user ever decided on."""
    bind()
    return {item.purpose: {"granted": bool(item.granted), "at": item.at, "source": item.source}
            for item in NotificationItem.query(user_owner(user_id), NotificationItem.item.startswith("consent#"),
                                               consistent_read=True)}


def record_consent(user_id: str, purpose: str, granted: bool, source: str) -> bool:
    """Set the standing consent and log the change, in one transaction; False when it already stood so
    (nothing written: the history records changes, not repeats)."""
    bind()
    at = _now()
    owner = user_owner(user_id)
    try:
        with TransactWrite(connection=NotificationItem._get_connection().connection) as tx:
            tx.save(NotificationItem(owner, f"consent#{purpose}", purpose=purpose, granted=granted, at=at,
                                     source=source),
                    condition=NotificationItem.granted.does_not_exist() | (NotificationItem.granted != granted))
            tx.save(NotificationItem(owner, f"consent-log#{at}#{purpose}", purpose=purpose, granted=granted, at=at,
                                     source=source))
    except TransactWriteError as err:
        reasons = getattr(err, "cancellation_reasons", None) or []
        if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
            return False
        raise
    return True


def consent_history(user_id: str, limit: int = 100) -> list[dict]:
    """The latest changes first."""
    bind()
    return [{"purpose": item.purpose, "granted": bool(item.granted), "at": item.at, "source": item.source}
            for item in NotificationItem.query(user_owner(user_id), NotificationItem.item.startswith("consent-log#"),
                                               scan_index_forward=False, limit=limit)]


# --- deliveries ------------------------------------------------------------------------------------


def _marker(owner: str, event_id: str, template: str, channel: str) -> NotificationItem:
    expires = datetime.now(UTC) + DEDUPE_RETENTION
    return NotificationItem(owner, f"sent#{event_id}#{template}#{channel}", expires_at=expires)


def deliver_to_inbox(owner: str, *, event_id: str, template: str, notification_id: str, event_type: str,
                     title: str, body: str, link: str, created_at: str, claim_email: bool = False) -> bool:
    """Put one inbox entry once per (event, recipient, template): ONE conditional put. The entry is its
    own dedupe key: `notification_id` is derived from the event, recipient and template
    (chalicelib/domain/notifications.py), and an entry is never deleted, so a redelivered event finds
    it. False when it was delivered before. With `claim_email`, the same put also claims the e-mail of
    this delivery (`emailed_at`; see `claim_email`). (A separate `sent#...#inbox` marker in a
    transaction with the entry, and one `sent#...#email` marker, cost three times the write units.)"""
    bind()
    try:
        NotificationItem(owner, f"inbox#{notification_id}", event_type=event_type, title=title, body=body,
                         link=link, created_at=created_at, unread_owner=owner,
                         emailed_at=_now() if claim_email else None,
                         ).save(condition=NotificationItem.owner.does_not_exist())
    except PutError as err:
        if conditional_failed(err):
            return False
        raise
    return True


def claim_email(owner: str, *, event_id: str, template: str, notification_id: str | None = None) -> bool:
    """Take the right to send this e-mail; False when it was taken before. A recipient with an inbox
    claims it on the delivery's inbox entry (`emailed_at` set where absent: the entry was put by
    `deliver_to_inbox`, normally with the claim already); a bare address, on a `sent#...#email` marker
    (a conditional put)."""
    bind()
    try:
        if notification_id is not None:
            NotificationItem(owner, f"inbox#{notification_id}").update(
                actions=[NotificationItem.emailed_at.set(_now())],
                condition=NotificationItem.owner.exists() & NotificationItem.emailed_at.does_not_exist())
        else:
            _marker(owner, event_id, template, "email").save(condition=NotificationItem.owner.does_not_exist())
    except (PutError, UpdateError) as err:
        if conditional_failed(err):
            return False
        raise
    return True


def release_email(owner: str, *, event_id: str, template: str, notification_id: str | None = None) -> None:
    """The send failed: give the claim back so the redelivered message tries again."""
    bind()
    try:
        if notification_id is not None:
            NotificationItem(owner, f"inbox#{notification_id}").update(
                actions=[NotificationItem.emailed_at.remove()], condition=NotificationItem.owner.exists())
        else:
            NotificationItem(owner, f"sent#{event_id}#{template}#email").delete()
    except (DeleteError, UpdateError):
        pass


# --- inbox -----------------------------------------------------------------------------------------

INBOX_CURSOR_KEYS = ("owner", "item")


def _entry(item: NotificationItem) -> dict:
    return {"notification_id": item.item.removeprefix("inbox#"), "event_type": item.event_type,
            "title": item.title or "", "body": item.body or "", "link": item.link or "",
            "created_at": item.created_at, "read": item.read_at is not None, "read_at": item.read_at}


def list_inbox(user_id: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    bind()
    owner = user_owner(user_id)
    path = f"inbox:{user_id}"
    start = cursors.decode(cursor, path, INBOX_CURSOR_KEYS, {"owner": owner})
    result = NotificationItem.query(owner, NotificationItem.item.startswith("inbox#"), scan_index_forward=False,
                                    limit=limit, last_evaluated_key=start, page_size=limit)
    entries = [_entry(item) for item in result]
    last = result.last_evaluated_key
    return entries, cursors.encode(path, last) if last else None


def unread_count(user_id: str) -> int:
    bind()
    return NotificationItem.unread.count(user_owner(user_id))


def mark_read(user_id: str, notification_id: str) -> bool | None:
    """True when marked now, False when it was read already, None when there is no such notification."""
    bind()
    owner = user_owner(user_id)
    try:
        NotificationItem(owner, f"inbox#{notification_id}").update(
            actions=[NotificationItem.read_at.set(_now()), NotificationItem.unread_owner.remove()],
            condition=NotificationItem.unread_owner.exists())
    except UpdateError as err:
        if not conditional_failed(err):
            raise
        try:
            NotificationItem.get(owner, f"inbox#{notification_id}")
        except NotificationItem.DoesNotExist:
            return None
        return False
    return True


def mark_all_read(user_id: str, budget: int = 500) -> int:
    """Mark every unread entry read (at most `budget` per call); returns how many changed."""
    bind()
    owner = user_owner(user_id)
    marked = 0
    for key in NotificationItem.unread.query(owner, limit=budget):
        if mark_read(user_id, key.item.removeprefix("inbox#")):
            marked += 1
    return marked
