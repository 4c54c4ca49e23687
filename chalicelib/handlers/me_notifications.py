"""The signed-in user's notifications: inbox, unread count, read marks, language and consents; and the
unsubscribe link of non-transactional e-mails, which works without signing in (a signed token).

Every `/me/...` route acts on the token's user only: no user id is accepted from a path or a body.
"""

import html
from typing import Literal

from chalice import Blueprint, Response
from pydantic import ConfigDict, Field

from chalicelib.api import route
from chalicelib.domain.errors import InvalidInput
from chalicelib.schema import ApiModel, QueryModel

bp = Blueprint(__name__)
ANYONE_SIGNED_IN = ()
TAGS = ("notifications",)


class InboxQuery(QueryModel):
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=2048)


class NotificationOut(ApiModel):
    notification_id: str
    event_type: str | None
    title: str
    body: str
    link: str = Field(description="the frontend page it is about (`#/orders/<id>`)")
    created_at: str | None
    read: bool
    read_at: str | None


class InboxOut(ApiModel):
    items: list[NotificationOut]
    next_cursor: str | None


class UnreadOut(ApiModel):
    unread: int


class ReadOut(ApiModel):
    notification_id: str
    read: bool


class ReadAllOut(ApiModel):
    marked: int


class PreferencesIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    locale: Literal["en", "fr"] = Field(description="the language of every message we send you")


class PreferencesOut(ApiModel):
    locale: str


class ConsentsIn(ApiModel):
    """Give (true) or withdraw (false) a consent; a purpose left out is unchanged."""

    model_config = ConfigDict(extra="forbid")

    marketing: bool | None = Field(None, description="news and offers from Halles")
    surveys: bool | None = Field(None, description="satisfaction surveys after a delivery")


class ConsentOut(ApiModel):
    granted: bool
    at: str | None
    source: str | None


class ConsentChangeOut(ApiModel):
    purpose: str
    granted: bool
    at: str | None
    source: str | None


class ConsentsOut(ApiModel):
    consents: dict[str, ConsentOut]
    history: list[ConsentChangeOut] = Field(description="every change, latest first")


class UnsubscribeQuery(QueryModel):
    token: str = Field(min_length=1, max_length=1000)


@route(bp, "/me/notifications", "GET", query=InboxQuery, response=InboxOut, roles=ANYONE_SIGNED_IN, tags=TAGS,
       errors=(400, 401))
def list_my_notifications(req):
    """Your notifications, newest first."""
    from chalicelib.services import inbox

    return inbox.list_notifications(req.principal.user_id, req.query.limit, req.query.cursor)


@route(bp, "/me/notifications/unread-count", "GET", response=UnreadOut, roles=ANYONE_SIGNED_IN, tags=TAGS,
       errors=(401,))
def my_unread_count(req):
    """How many of your notifications are unread."""
    from chalicelib.services import inbox

    return inbox.unread_count(req.principal.user_id)


@route(bp, "/me/notifications/read-all", "POST", response=ReadAllOut, roles=ANYONE_SIGNED_IN, tags=TAGS,
       errors=(401,))
def read_all_my_notifications(req):
    """Mark every notification read."""
    from chalicelib.services import inbox

    return inbox.mark_all_read(req.principal.user_id)


@route(bp, "/me/notifications/{notification_id}/read", "POST", response=ReadOut, roles=ANYONE_SIGNED_IN,
       tags=TAGS, errors=(401, 404))
def read_my_notification(req):
    """Mark one notification read (again is fine)."""
    from chalicelib.services import inbox

    return inbox.mark_read(req.principal.user_id, req.params["notification_id"])


@route(bp, "/me/preferences", "GET", response=PreferencesOut, roles=ANYONE_SIGNED_IN, tags=TAGS, errors=(401,))
def my_preferences(req):
    """Your notification preferences (the language of our messages)."""
    from chalicelib.services import inbox

    return inbox.preferences(req.principal)


@route(bp, "/me/preferences", "PUT", body=PreferencesIn, response=PreferencesOut, roles=ANYONE_SIGNED_IN,
       tags=TAGS, errors=(400, 401))
def set_my_preferences(req):
    """Choose the language of our messages (`en` or `fr`)."""
    from chalicelib.services import inbox

    return inbox.set_preferences(req.principal, locale=req.body.locale)


@route(bp, "/me/consents", "GET", response=ConsentsOut, roles=ANYONE_SIGNED_IN, tags=TAGS, errors=(401,))
def my_consents(req):
    """Your consents (marketing, surveys) and every change to them. Transactional messages need none."""
    from chalicelib.services import inbox

    return inbox.consents_view(req.principal.user_id)


@route(bp, "/me/consents", "PUT", body=ConsentsIn, response=ConsentsOut, roles=ANYONE_SIGNED_IN, tags=TAGS,
       errors=(400, 401))
def set_my_consents(req):
    """Give or withdraw consents; each change is recorded with its time and source."""
    from chalicelib.services import inbox

    changes = req.body.model_dump(exclude_none=True)
    return inbox.set_consents(req.principal.user_id, changes, source="account_settings")


# --- unsubscribe (no sign-in: the signed token is the proof) ----------------------------------------

PURPOSE_WORDS = {"marketing": "news and offers", "surveys": "satisfaction surveys"}
REFUSALS = {
    "expired": "This unsubscribe link has expired. Sign in and change your consents in your settings instead.",
    "tampered": "This unsubscribe link is not valid (it may have been cut or altered). "
                "Use the link of a more recent e-mail, or sign in and change your consents in your settings.",
    "malformed": "This unsubscribe link is not valid (it may have been cut or altered). "
                 "Use the link of a more recent e-mail, or sign in and change your consents in your settings.",
}


def _page(title: str, body_html: str, status: int, correlation_id: str) -> Response:
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width"><title>{html.escape(title)}</title></head><body style="font-family:'
            f'system-ui,sans-serif;max-width:560px;margin:40px auto;padding:0 16px"><h1>{html.escape(title)}</h1>'
            f"{body_html}</body></html>")
    return Response(body=page, status_code=status, headers={"Content-Type": "text/html; charset=utf-8",
                                                            "X-Correlation-Id": correlation_id,
                                                            "Cache-Control": "no-store",
                                                            "Referrer-Policy": "no-referrer"})


def _wants_json(req) -> bool:
    """A browser (or a mail client opening the link) asks for text/html and reads a page; anything else
    gets the API's JSON."""
    accept = req.header("Accept") or ""
    return "text/html" not in accept


def _refused(req, reason: str):
    if _wants_json(req):
        raise InvalidInput(REFUSALS[reason], code=f"unsubscribe_token_{reason}", fields={"token": reason})
    return _page("Link not valid", f"<p>{html.escape(REFUSALS[reason])}</p>", 400, req.correlation_id)


@route(bp, "/unsubscribe", "GET", query=UnsubscribeQuery, tags=TAGS, errors=(400,), content_type="text/html",
       summary="The unsubscribe link of an e-mail: a page confirming what it stops (no sign-in)")
def unsubscribe_page(req):
    from chalicelib.services import inbox

    # A GET changes nothing (mail scanners follow links): the page's button POSTs.
    try:
        _, purpose = inbox.check_unsubscribe(req.query.token)
    except inbox.UnsubscribeRefused as err:
        return _refused(req, err.reason)
    words = PURPOSE_WORDS.get(purpose.value, purpose.value)
    token = html.escape(req.query.token, quote=True)
    return _page("Unsubscribe", f"<p>Stop receiving {words} from Halles by e-mail?</p>"
                 f'<form method="post" action="?token={token}"><button type="submit">Unsubscribe</button></form>'
                 "<p>Messages about your orders and your account are not affected.</p>", 200, req.correlation_id)


@route(bp, "/unsubscribe", "POST", query=UnsubscribeQuery, tags=TAGS, errors=(400,), content_type="text/html",
       accepts=("application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data"),
       summary="Unsubscribe (RFC 8058 one-click, or the page's button): withdraws that consent, no sign-in")
def unsubscribe(req):
    from chalicelib.services import inbox

    try:
        purpose = inbox.unsubscribe(req.query.token)
    except inbox.UnsubscribeRefused as err:
        return _refused(req, err.reason)
    if _wants_json(req):
        return {"purpose": purpose.value, "granted": False}
    words = PURPOSE_WORDS.get(purpose.value, purpose.value)
    return _page("You are unsubscribed", f"<p>You will no longer receive {words} from Halles by e-mail. "
                 "You can change this at any time in your settings.</p>", 200, req.correlation_id)
