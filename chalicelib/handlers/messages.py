"""Buyer-vendor message routes: the shopper's (`/messages/...`, `/orders/{id}/messages`), the vendor's
(`/vendor/messages/...`, `/vendor/orders/{id}/messages`) and the platform's (`/admin/messages/...`).

Who the caller is comes from the token (or a vendor's API key), never from a body: bodies forbid
unknown fields, and a vendor never names a vendor. Someone else's thread or order is a 404 by any id.
A post is answered 201 the first time and 200 (the same message) when its `client_message_id` is repeated.
"""

from typing import Literal

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import json_response, route
from chalicelib.domain.input_limits import MESSAGE_MAX_TEXT as MAX_TEXT
from chalicelib.schema import ApiModel, MultilineText, QueryModel, Text, bounded

bp = Blueprint(__name__)
SHOPPER, VENDOR, ADMIN = ("shopper",), ("vendor",), ("admin",)
TAGS = ("messages",)

CLIENT_MESSAGE_ID = Field(pattern=r"^[A-Za-z0-9_.:-]{8,64}$",
                          description="8 to 64 characters, new per message and the same when retrying it: "
                                      "a repeated post answers the message stored the first time (200)")
MessageText = bounded(MultilineText, 1, MAX_TEXT,
                      description="e-mail addresses and phone numbers are masked before it is stored")


class ShopperWriteIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    vendor_id: bounded(Text, 1, 128, description="the order's vendor you write to")
    case_id: bounded(Text, 0, 64, description="a return (ret_...) or claim (clm_...) of this order with "
                                              "that vendor; absent: the order itself") | None = None
    text: MessageText
    client_message_id: str = CLIENT_MESSAGE_ID


class VendorWriteIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    case_id: bounded(Text, 0, 64, description="a return (ret_...) or claim (clm_...) of yours on this order; "
                                              "absent: the order itself") | None = None
    text: MessageText
    client_message_id: str = CLIENT_MESSAGE_ID


class ReplyIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    text: MessageText
    client_message_id: str = CLIENT_MESSAGE_ID


class JoinIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    reason: bounded(Text, 3, 500, description="why the platform joins (kept on the thread)")


class ThreadsQuery(QueryModel):
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=2048)


class AdminThreadsQuery(ThreadsQuery):
    scope: Literal["escalated", "all"] = Field("escalated", description="escalated: the platform's queue; "
                                                                        "all: every thread")


class ThreadOut(ApiModel):
    thread_id: str
    order_id: str
    order_number: str | None
    vendor_id: str
    vendor_name: str
    case_id: str | None = Field(description="the return or claim it is about; null: the order")
    message_count: int
    last_message_at: str | None
    last_excerpt: str
    last_author_role: str | None
    unread: int = Field(description="messages you have not read yet")
    escalated: bool = Field(description="the platform has joined (it may post)")


class ThreadPage(ApiModel):
    items: list[ThreadOut]
    next_cursor: str | None
    unread_total: int


class MessageOut(ApiModel):
    message_id: str
    seq: int
    author_role: str = Field(description="shopper | vendor | admin")
    mine: bool
    text: str
    sent_at: str


class ThreadDetail(ThreadOut):
    escalated_at: str | None
    escalation_reason: str | None
    read_up_to: dict[str, int] = Field(description="per side (shopper, vendor, admin): the last message it read")
    can_post: bool
    messages: list[MessageOut]


class PostOut(ApiModel):
    thread: ThreadOut
    message: MessageOut


class UnreadOut(ApiModel):
    unread: int


class ReadOut(ApiModel):
    thread_id: str
    unread: int
    unread_total: int


def _posted(req, result: tuple[dict, bool]):
    view, created = result
    return json_response(PostOut.model_validate(view).model_dump(mode="json"), 201 if created else 200,
                         req.correlation_id)


def _shopper(req):
    from chalicelib.services import messages

    return messages.shopper(req.principal.user_id)


def _vendor(req):
    from chalicelib.services import messages

    return messages.vendor(req.principal.user_id)


def _platform():
    from chalicelib.domain.messages import PLATFORM

    return PLATFORM


# --- shoppers ----------------------------------------------------------------------------------


@route(bp, "/orders/{order_id}/messages", "POST", body=ShopperWriteIn, response=PostOut, roles=SHOPPER, status=201,
       also=(200,), tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Write to one of your order's vendors (about the order, or one of its returns or claims)")
def shopper_write(req):
    from chalicelib.services import messages

    return _posted(req, messages.write_about_order(
        _shopper(req), req.params["order_id"], vendor_id=req.body.vendor_id, case_id=req.body.case_id,
        text=req.body.text, client_message_id=req.body.client_message_id))


@route(bp, "/messages/threads", query=ThreadsQuery, response=ThreadPage, roles=SHOPPER, tags=TAGS,
       errors=(400, 401, 403), summary="Your conversations with vendors, latest first, with unread counts")
def shopper_threads(req):
    from chalicelib.services import messages

    return ThreadPage.model_validate(messages.list_threads(_shopper(req), limit=req.query.limit,
                                                           cursor=req.query.cursor))


@route(bp, "/messages/unread-count", response=UnreadOut, roles=SHOPPER, tags=TAGS, errors=(401, 403),
       summary="How many messages you have not read (the header badge)")
def shopper_unread(req):
    from chalicelib.services import messages

    return UnreadOut.model_validate(messages.unread_count(_shopper(req)))


@route(bp, "/messages/threads/{thread_id}", response=ThreadDetail, roles=SHOPPER, tags=TAGS, errors=(401, 403, 404),
       summary="One of your conversations with its messages")
def shopper_thread(req):
    from chalicelib.services import messages

    return ThreadDetail.model_validate(messages.read_thread(_shopper(req), req.params["thread_id"]))


@route(bp, "/messages/threads/{thread_id}", "POST", body=ReplyIn, response=PostOut, roles=SHOPPER, status=201,
       also=(200,), tags=TAGS, errors=(400, 401, 403, 404, 409), summary="Reply in one of your conversations")
def shopper_reply(req):
    from chalicelib.services import messages

    return _posted(req, messages.reply(_shopper(req), req.params["thread_id"], text=req.body.text,
                                       client_message_id=req.body.client_message_id))


@route(bp, "/messages/threads/{thread_id}/read", "POST", response=ReadOut, roles=SHOPPER, tags=TAGS,
       errors=(401, 403, 404), summary="Mark one of your conversations read (safe to repeat)")
def shopper_read(req):
    from chalicelib.services import messages

    return ReadOut.model_validate(messages.mark_read(_shopper(req), req.params["thread_id"]))


# --- vendors -----------------------------------------------------------------------------------


@route(bp, "/vendor/orders/{order_id}/messages", "POST", body=VendorWriteIn, response=PostOut, roles=VENDOR,
       status=201, also=(200,), tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Write to the shopper of one of your paid orders (about it, or one of your returns or claims on it)")
def vendor_write(req):
    from chalicelib.services import messages

    return _posted(req, messages.write_about_order(
        _vendor(req), req.params["order_id"], vendor_id=None, case_id=req.body.case_id, text=req.body.text,
        client_message_id=req.body.client_message_id))


@route(bp, "/vendor/messages/threads", query=ThreadsQuery, response=ThreadPage, roles=VENDOR, tags=TAGS,
       errors=(400, 401, 403), summary="Your conversations with shoppers, latest first, with unread counts")
def vendor_threads(req):
    from chalicelib.services import messages

    return ThreadPage.model_validate(messages.list_threads(_vendor(req), limit=req.query.limit,
                                                           cursor=req.query.cursor))


@route(bp, "/vendor/messages/unread-count", response=UnreadOut, roles=VENDOR, tags=TAGS, errors=(401, 403),
       summary="How many shoppers' messages you have not read")
def vendor_unread(req):
    from chalicelib.services import messages

    return UnreadOut.model_validate(messages.unread_count(_vendor(req)))


@route(bp, "/vendor/messages/threads/{thread_id}", response=ThreadDetail, roles=VENDOR, tags=TAGS,
       errors=(401, 403, 404), summary="One of your conversations with its messages")
def vendor_thread(req):
    from chalicelib.services import messages

    return ThreadDetail.model_validate(messages.read_thread(_vendor(req), req.params["thread_id"]))


@route(bp, "/vendor/messages/threads/{thread_id}", "POST", body=ReplyIn, response=PostOut, roles=VENDOR, status=201,
       also=(200,), tags=TAGS, errors=(400, 401, 403, 404, 409), summary="Reply in one of your conversations")
def vendor_reply(req):
    from chalicelib.services import messages

    return _posted(req, messages.reply(_vendor(req), req.params["thread_id"], text=req.body.text,
                                       client_message_id=req.body.client_message_id))


@route(bp, "/vendor/messages/threads/{thread_id}/read", "POST", response=ReadOut, roles=VENDOR, tags=TAGS,
       errors=(401, 403, 404), summary="Mark one of your conversations read (safe to repeat)")
def vendor_read(req):
    from chalicelib.services import messages

    return ReadOut.model_validate(messages.mark_read(_vendor(req), req.params["thread_id"]))


# --- the platform ------------------------------------------------------------------------------


@route(bp, "/admin/messages/threads", query=AdminThreadsQuery, response=ThreadPage, roles=ADMIN, tags=TAGS,
       errors=(400, 401, 403), summary="Escalated conversations (the platform's queue), or every conversation")
def admin_threads(req):
    from chalicelib.services import messages

    if req.query.scope == "all":
        return ThreadPage.model_validate(messages.list_all_threads(limit=req.query.limit, cursor=req.query.cursor))
    return ThreadPage.model_validate(messages.list_threads(_platform(), limit=req.query.limit,
                                                           cursor=req.query.cursor))


@route(bp, "/admin/messages/unread-count", response=UnreadOut, roles=ADMIN, tags=TAGS, errors=(401, 403),
       summary="Unread messages in escalated conversations")
def admin_unread(req):
    from chalicelib.services import messages

    return UnreadOut.model_validate(messages.unread_count(_platform()))


@route(bp, "/admin/messages/threads/{thread_id}", response=ThreadDetail, roles=ADMIN, tags=TAGS,
       errors=(401, 403, 404), summary="Any conversation with its messages (the platform moderates)")
def admin_thread(req):
    from chalicelib.services import messages

    return ThreadDetail.model_validate(messages.read_thread(_platform(), req.params["thread_id"]))


@route(bp, "/admin/messages/threads/{thread_id}", "POST", body=ReplyIn, response=PostOut, roles=ADMIN, status=201,
       also=(200,), tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Post in an escalated conversation (403 naming thread_id until it is escalated or joined)")
def admin_reply(req):
    from chalicelib.services import messages

    return _posted(req, messages.reply(_platform(), req.params["thread_id"], text=req.body.text,
                                       client_message_id=req.body.client_message_id))


@route(bp, "/admin/messages/threads/{thread_id}/read", "POST", response=ReadOut, roles=ADMIN, tags=TAGS,
       errors=(401, 403, 404), summary="Mark an escalated conversation read for the platform")
def admin_read(req):
    from chalicelib.services import messages

    return ReadOut.model_validate(messages.mark_read(_platform(), req.params["thread_id"]))


@route(bp, "/admin/messages/threads/{thread_id}/join", "POST", body=JoinIn, response=ThreadDetail, roles=ADMIN,
       tags=TAGS, errors=(400, 401, 403, 404),
       summary="Join a conversation with a reason: it is escalated, the platform may post (safe to repeat)")
def admin_join(req):
    from chalicelib.services import messages

    return ThreadDetail.model_validate(messages.join_thread(req.params["thread_id"], reason=req.body.reason))
