"""Buyer-vendor messages: open a thread about an order (or one of its returns / claims), post,
reply, read, list one's threads with unread counts; the platform reads every thread and joins an
escalated one.

Who is in a thread is derived from the order, never from a request: its shopper, and the vendor
with lines in it. A thread opens only on a paid order (a vendor never sees an unpaid one). Anyone
else gets the answer a missing thread or order gets (404), whatever id they try; a role that has no
business with a route gets 403 from the route itself.

Text is cleaned by the route's model, then masked (chalicelib/domain/messages.py) BEFORE it is
stored: the unmasked text exists nowhere. Each post carries the author's client message id: the
same id again (a double click, a retried request) answers the message stored the first time.
After a message is stored, `message.received` is published for its recipients (a failed publish
is logged; a retried post publishes again, with the same event id, so consumers still act once).

`escalate_thread(order_id, vendor_id, case_id)` is what a return or claim calls when its case goes
to the platform; an admin can also join a thread explicitly, with a reason.
"""

from __future__ import annotations

from chalicelib.domain import messages as rules
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.events import MessageReceived
from chalicelib.domain.messages import ADMIN, PLATFORM, SHOPPER, VENDOR, Participants, Party, ThreadKey
from chalicelib.domain.orders import Order, OrderStatus
from chalicelib.domain.timestamps import now_iso
from chalicelib.observability import count, logger
from chalicelib.store import messages as store

RETRIES = 5
ESCALATED_BY_CASE = "the case was escalated to the platform"


# --- who ---------------------------------------------------------------------------------------


def shopper(user_id: str) -> Party:
    return Party(SHOPPER, user_id)


def vendor(vendor_id: str) -> Party:
    return Party(VENDOR, vendor_id)


def _thread_not_found() -> NotFound:
    return NotFound("No such conversation among yours.", fields={"thread_id": "not found"})


def _order_not_found() -> NotFound:
    return NotFound("No such order among yours.", fields={"order_id": "not found"})


def _load_order(order_id: str) -> Order | None:
    from chalicelib.services import wiring

    if not (order_id.startswith("ord_") and len(order_id) <= 64):
        return None
    return wiring.order_repository().get(order_id)


def _case_vendor(order: Order, case_id: str) -> str | None:
    """The vendor of the order's return or claim `case_id` (None: the order has no such case)."""
    cases = getattr(order, "returns" if case_id.startswith("ret_") else "claims", None) or {}
    case = cases.get(case_id)
    if case is None:
        return None
    return case.get("vendor_id") if isinstance(case, dict) else getattr(case, "vendor_id", None)


def _vendor_name(order: Order, vendor_id: str) -> str:
    sub = order.vendor_orders.get(vendor_id)
    if sub is not None and sub.vendor_name:
        return sub.vendor_name
    return next((line.vendor_name for line in order.lines if line.vendor_id == vendor_id and line.vendor_name), "")


def _thread_of_order(order: Order, vendor_id: str, case_id: str) -> store.ThreadSummary:
    return store.ThreadSummary(thread_id=ThreadKey(order.order_id, vendor_id, case_id).thread_id,
                               order_id=order.order_id, order_number=order.order_number or "", vendor_id=vendor_id,
                               vendor_name=_vendor_name(order, vendor_id), shopper_id=order.shopper_id,
                               case_id=case_id)


def _open_on(order: Order | None, author: Party, vendor_id: str | None, case_id: str) -> store.ThreadSummary:
    """The thread `author` may open on this order with this vendor (and case), or 404 naming what is wrong."""
    if order is None:
        raise _order_not_found()
    if author.role == SHOPPER:
        if order.shopper_id != author.id:
            raise _order_not_found()
        if not vendor_id:
            raise InvalidInput("Say which of the order's vendors you write to.", fields={"vendor_id": "required"})
    else:
        vendor_id = author.id  # a vendor writes only as itself
    sells_here = bool(order.vendor_lines(vendor_id)) and vendor_id in order.vendor_orders
    if not sells_here or order.status is not OrderStatus.PAID:
        # An unpaid order is not the vendor's yet; another vendor's order is not its business at all.
        if author.role == SHOPPER and order.status is OrderStatus.PAID:
            raise NotFound("This order has no lines from that vendor.", fields={"vendor_id": "not in this order"})
        raise _order_not_found()
    if case_id:
        if not rules.is_case_id(case_id):
            raise InvalidInput("A case id is a return (ret_...) or claim (clm_...) id.",
                               fields={"case_id": "not a return or claim id"})
        if _case_vendor(order, case_id) != vendor_id:
            raise NotFound("This order has no such return or claim with that vendor.", fields={"case_id": "not found"})
    return _thread_of_order(order, vendor_id, case_id)


def _participants(thread: store.MessageItem) -> Participants:
    return Participants(thread.shopper_id or "", thread.vendor_id or "", escalated=bool(thread.escalated_at))


def _summary(thread: store.MessageItem) -> store.ThreadSummary:
    return store.ThreadSummary(thread_id=thread.thread_id, order_id=thread.order_id,
                               order_number=thread.order_number or "", vendor_id=thread.vendor_id,
                               vendor_name=thread.vendor_name or "", shopper_id=thread.shopper_id,
                               case_id=thread.case_id or "")


def _readable_thread(thread_id: str, reader: Party) -> store.MessageItem:
    thread = store.get_thread(thread_id) if rules.is_thread_id(thread_id) else None
    if thread is None or not _participants(thread).may_read(reader):
        raise _thread_not_found()
    return thread


# --- views -------------------------------------------------------------------------------------


def _message_view(item: store.MessageItem, reader: Party) -> dict:
    mine = item.author_role == reader.role and (reader.role == ADMIN or item.author_id == reader.id)
    return {"message_id": f"{item.pk.removeprefix('thread#')}:{int(item.seq)}", "seq": int(item.seq),
            "author_role": item.author_role, "mine": mine, "text": item.text, "sent_at": item.at}


def _thread_view(item: store.MessageItem, *, unread: int, escalated: bool) -> dict:
    return {"thread_id": item.thread_id, "order_id": item.order_id, "order_number": item.order_number or None,
            "vendor_id": item.vendor_id, "vendor_name": item.vendor_name or "", "case_id": item.case_id or None,
            "message_count": int(item.message_count or 0), "last_message_at": item.last_message_at or None,
            "last_excerpt": item.last_excerpt or "", "last_author_role": item.last_author_role or None,
            "unread": max(0, unread), "escalated": escalated}


# --- posting -----------------------------------------------------------------------------------


def _check_client_id(client_message_id: str) -> str:
    if not rules.is_client_message_id(client_message_id):
        raise InvalidInput("Send a client_message_id of 8 to 64 letters, digits or _.:- (a new one per message, the "
                           "same one when retrying it).", fields={"client_message_id": "8-64 characters [A-Za-z0-9_.:-]"})
    return client_message_id


def _post(summary: store.ThreadSummary, author: Party, text: str, client_message_id: str) -> tuple[dict, bool]:
    masked = rules.mask_contacts(text)
    excerpt = rules.excerpt(masked)
    for _ in range(RETRIES):
        thread = store.get_thread(summary.thread_id)
        participants = (Participants(summary.shopper_id, summary.vendor_id) if thread is None
                        else _participants(thread))
        if not participants.may_write(author):
            if author.role == ADMIN:
                raise Forbidden("The platform writes in a conversation only once it is escalated; join it first.",
                                code="thread_not_escalated", fields={"thread_id": "not escalated"})
            raise _thread_not_found()
        recipients = participants.recipients(author)
        at = now_iso(precise=True)  # lists are ordered by it: two messages in one second keep their order
        try:
            seq = store.post(summary, expected_count=None if thread is None else int(thread.message_count or 0),
                             author=author, author_id=author.id, text=masked, excerpt=excerpt, at=at,
                             client_message_id=client_message_id, inboxes=participants.inboxes(),
                             recipients=recipients, escalated=participants.escalated)
        except store.AlreadyPosted:
            return _posted_before(summary, author, client_message_id), False
        except store.ThreadChanged:
            continue
        count("MessagesPosted", 1)
        if masked != text:
            count("MessageContactsMasked", 1)
        _announce(summary, seq=seq, author=author, recipients=recipients, excerpt=excerpt, at=at)
        return _posted(summary.thread_id, author, client_message_id), True
    raise Conflict("The conversation is busy; send the message again.", code="thread_busy",
                   fields={"thread_id": "changed while posting"})


def _posted_before(summary: store.ThreadSummary, author: Party, client_message_id: str) -> dict:
    """The message this author already posted with this client id (announced again: same event id)."""
    view = _posted(summary.thread_id, author, client_message_id)
    thread = store.get_thread(summary.thread_id)
    message = view["message"]
    _announce(summary, seq=message["seq"], author=author, recipients=_participants(thread).recipients(author),
              excerpt=rules.excerpt(message["text"]), at=message["sent_at"])
    return view


def _posted(thread_id: str, author: Party, client_message_id: str) -> dict:
    item = store.posted_with(author, thread_id, client_message_id)
    thread = store.get_thread(thread_id)
    inbox = store.get_inbox_item(author, thread_id)
    return {"thread": _thread_view(thread, unread=int(inbox.unread or 0) if inbox else 0,
                                   escalated=bool(thread.escalated_at)),
            "message": _message_view(item, author)}


def _announce(summary: store.ThreadSummary, *, seq: int, author: Party, recipients: tuple[Party, ...], excerpt: str,
              at: str) -> None:
    from chalicelib import events

    try:
        events.publish(MessageReceived(
            thread_id=summary.thread_id, order_id=summary.order_id, order_number=summary.order_number,
            vendor_id=summary.vendor_id, case_id=summary.case_id, seq=seq, author_role=author.role,
            recipients=[{"role": p.role, "id": p.id} for p in recipients], excerpt=excerpt, sent_at=at))
    except Exception:  # noqa: BLE001 - the message is stored; a lost notification must not fail the post
        logger.exception("could not publish message.received", extra={"thread_id": summary.thread_id})


def write_about_order(author: Party, order_id: str, *, vendor_id: str | None, case_id: str | None, text: str,
                      client_message_id: str) -> tuple[dict, bool]:
    """Post in the thread of (order, vendor, case), opening it on the first message. Returns (view, posted)."""
    _check_client_id(client_message_id)
    summary = _open_on(_load_order(order_id), author, vendor_id, case_id or "")
    return _post(summary, author, text, client_message_id)


def reply(author: Party, thread_id: str, *, text: str, client_message_id: str) -> tuple[dict, bool]:
    _check_client_id(client_message_id)
    thread = _readable_thread(thread_id, author)
    return _post(_summary(thread), author, text, client_message_id)


# --- reading -----------------------------------------------------------------------------------


def read_thread(reader: Party, thread_id: str) -> dict:
    """The thread, its messages (oldest first) and how far each side has read."""
    thread = _readable_thread(thread_id, reader)
    participants = _participants(thread)
    sides = {SHOPPER: participants.shopper, VENDOR: participants.vendor, ADMIN: PLATFORM}
    read_up_to = {}
    for role, party in sides.items():
        item = store.get_inbox_item(party, thread_id)
        read_up_to[role] = int(item.last_read_seq or 0) if item else 0
    mine = store.get_inbox_item(reader, thread_id)
    return {**_thread_view(thread, unread=int(mine.unread or 0) if mine else 0, escalated=participants.escalated),
            "escalated_at": thread.escalated_at, "escalation_reason": thread.escalation_reason,
            "read_up_to": read_up_to,
            "can_post": participants.may_write(reader),
            "messages": [_message_view(m, reader) for m in store.messages(thread_id)]}


def mark_read(reader: Party, thread_id: str) -> dict:
    """The reader has seen every message so far: the thread's unread count (and the badge) drop."""
    thread = _readable_thread(thread_id, reader)
    for _ in range(RETRIES):
        item = store.get_inbox_item(reader, thread_id)
        if item is None:  # nothing was ever announced to this reader here (the platform, before escalation)
            break
        thread = store.get_thread(thread_id)
        try:
            store.mark_read(reader, thread_id, up_to_seq=int(thread.message_count or 0),
                            unread_seen=int(item.unread or 0))
            break
        except store.ReadStateChanged:
            continue
    return {"thread_id": thread_id, "unread": 0, "unread_total": store.unread_total(reader)}


def list_threads(reader: Party, *, limit: int = 20, cursor: str | None = None) -> dict:
    items, next_cursor = store.list_inbox(reader.key, limit=limit, cursor=cursor)
    return {"items": [_thread_view(i, unread=int(i.unread or 0), escalated=bool(i.escalated)) for i in items],
            "next_cursor": next_cursor, "unread_total": store.unread_total(reader)}


def list_all_threads(*, limit: int = 20, cursor: str | None = None) -> dict:
    """Every thread, latest activity first (the platform's moderation view)."""
    items, next_cursor = store.list_inbox(store.ALL_THREADS, limit=limit, cursor=cursor)
    unread = {}
    for item in items:
        if item.escalated_at:
            mine = store.get_inbox_item(PLATFORM, item.thread_id)
            unread[item.thread_id] = int(mine.unread or 0) if mine else 0
    return {"items": [_thread_view(i, unread=unread.get(i.thread_id, 0), escalated=bool(i.escalated_at))
                      for i in items],
            "next_cursor": next_cursor, "unread_total": store.unread_total(PLATFORM)}


def unread_count(reader: Party) -> dict:
    return {"unread": store.unread_total(reader)}


# --- the platform joins ------------------------------------------------------------------------


def _escalate(summary: store.ThreadSummary, reason: str) -> bool:
    participants = Participants(summary.shopper_id, summary.vendor_id)
    for _ in range(RETRIES):
        thread = store.get_thread(summary.thread_id)
        if thread is not None and thread.escalated_at:
            return False
        try:
            escalated = store.escalate(summary, thread=thread, at=now_iso(), reason=reason,
                                       sides=(participants.shopper, participants.vendor), platform=PLATFORM)
        except store.ThreadChanged:
            continue
        if escalated:
            count("MessageThreadsEscalated", 1)
            logger.info("thread escalated", extra={"thread_id": summary.thread_id})
        return escalated
    return False


def escalate_thread(order_id: str, vendor_id: str, case_id: str = "", *, reason: str = ESCALATED_BY_CASE) -> dict:
    """Open the thread of (order, vendor, case) to the platform: admins may now post in it, and it heads
    their queue. Safe to repeat (the first escalation stays). For returns/claims escalating a case."""
    order = _load_order(order_id)
    if order is None or vendor_id not in order.vendor_orders:
        raise _order_not_found()
    summary = _thread_of_order(order, vendor_id, case_id)
    _escalate(summary, reason)
    return read_thread(PLATFORM, summary.thread_id)


def join_thread(thread_id: str, *, reason: str) -> dict:
    """An admin joins a thread explicitly (the reason is kept on the thread): it is escalated from now on."""
    thread = _readable_thread(thread_id, PLATFORM)
    _escalate(_summary(thread), reason)
    return read_thread(PLATFORM, thread_id)


def thread_id_of(order_id: str, vendor_id: str, case_id: str = "") -> str:
    """The id of the thread of (order, vendor, case), whether it exists or not (for links from a case page)."""
    return ThreadKey(order_id, vendor_id, case_id).thread_id
