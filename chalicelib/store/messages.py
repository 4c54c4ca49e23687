"""DynamoDB storage of buyer-vendor threads (table `messages`, pk + sk, one index `by_inbox`).

One table, four kinds of items, so a message and every count it changes are written in ONE
transaction (a message never exists without the unread counts that announce it):

* `thread#<id>` / `#thread`: the thread (order, vendor, case, shopper, message count, escalation).
  Its `message_count` is the optimistic lock: a post is conditional on the count it read, so two
  concurrent posts get consecutive sequence numbers, never the same one.
* `thread#<id>` / `msg#<seq:06d>`: one message (already masked), in order.
* `thread#<id>` / `client#<party>#<client id>`: the author's client message id, put first in the
  transaction with a does-not-exist condition: a double click (the same client id) posts once.
* `inbox#<party>` / `<thread id>`: a participant's view of a thread (unread count, last message read,
  a copy of the thread's summary for the list); `inbox#<party>` / `#total`: their total unread count,
  the header badge. Each is one GetItem or one Query, never a scan.

`by_inbox` (hash `inbox`, range `activity` = last message time + thread id) is sparse: inbox items
carry it (a participant's threads, latest activity first), and so do thread items under the
`#all` feed (every thread, for the platform). `admin` is the platform's shared inbox: the escalated
threads.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.messages import Party
from chalicelib.store.base import bind, register
from chalicelib.store.cursors import collect_page
from chalicelib.store.cursors import decode as decode_cursor

THREAD_SK, TOTAL_SK = "#thread", "#total"
ALL_THREADS = "#all"
MAX_MESSAGES_READ = 500  # a thread's messages returned at once (the newest ones)


class ByInbox(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_inbox"
        projection = AllProjection()

    inbox = UnicodeAttribute(hash_key=True)
    activity = UnicodeAttribute(range_key=True)


@register
class MessageItem(Model):
    class Meta:
        short_name = "messages"
        table_name = None
        region = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    by_inbox = ByInbox()
    inbox = UnicodeAttribute(null=True)
    activity = UnicodeAttribute(null=True)
    # the thread (copied onto inbox items for the list)
    thread_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    order_number = UnicodeAttribute(null=True)
    vendor_id = UnicodeAttribute(null=True)
    vendor_name = UnicodeAttribute(null=True)
    shopper_id = UnicodeAttribute(null=True)
    case_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    message_count = NumberAttribute(null=True)
    last_message_at = UnicodeAttribute(null=True)
    last_excerpt = UnicodeAttribute(null=True)
    last_author_role = UnicodeAttribute(null=True)
    escalated = BooleanAttribute(null=True)
    escalated_at = UnicodeAttribute(null=True)
    escalation_reason = UnicodeAttribute(null=True)
    # a message
    seq = NumberAttribute(null=True)
    author_role = UnicodeAttribute(null=True)
    author_id = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)
    client_message_id = UnicodeAttribute(null=True)
    # an inbox item / a total
    unread = NumberAttribute(null=True)
    last_read_seq = NumberAttribute(null=True)


def thread_pk(thread_id: str) -> str:
    return f"thread#{thread_id}"


def inbox_pk(party: Party) -> str:
    return f"inbox#{party.key}"


def message_sk(seq: int) -> str:
    return f"msg#{seq:06d}"


def client_sk(party: Party, client_message_id: str) -> str:
    return f"client#{party.key}#{client_message_id}"


def activity_of(at: str, thread_id: str) -> str:
    return f"{at}#{thread_id}"


class ThreadChanged(Exception):
    """Another post (or an escalation) changed the thread since it was read: read it again, retry."""


class AlreadyPosted(Exception):
    """This author already posted with this client message id: the message stored then is the answer."""


class ReadStateChanged(Exception):
    """The unread count moved (a message arrived) while a read was being recorded: retry."""


@dataclass(frozen=True)
class ThreadSummary:
    """What the thread and every inbox item carry (so the list needs no second read)."""

    thread_id: str
    order_id: str
    order_number: str
    vendor_id: str
    vendor_name: str
    shopper_id: str
    case_id: str


def _connection() -> Connection:
    return MessageItem._get_connection().connection


def _get(pk: str, sk: str) -> MessageItem | None:
    bind()
    try:
        return MessageItem.get(pk, sk, consistent_read=True)
    except MessageItem.DoesNotExist:
        return None


def get_thread(thread_id: str) -> MessageItem | None:
    return _get(thread_pk(thread_id), THREAD_SK)


def get_inbox_item(party: Party, thread_id: str) -> MessageItem | None:
    return _get(inbox_pk(party), thread_id)


def posted_with(party: Party, thread_id: str, client_message_id: str) -> MessageItem | None:
    """The message this author posted with this client id in this thread, if any."""
    marker = _get(thread_pk(thread_id), client_sk(party, client_message_id))
    return None if marker is None else _get(thread_pk(thread_id), message_sk(int(marker.seq)))


def unread_total(party: Party) -> int:
    item = _get(inbox_pk(party), TOTAL_SK)
    return max(0, int(item.unread or 0)) if item else 0


def messages(thread_id: str) -> list[MessageItem]:
    """The thread's messages, oldest first (at most the newest MAX_MESSAGES_READ)."""
    bind()
    newest = list(MessageItem.query(thread_pk(thread_id), MessageItem.sk.startswith("msg#"),
                                    scan_index_forward=False, limit=MAX_MESSAGES_READ, consistent_read=True))
    return list(reversed(newest))


def _summary_actions(summary: ThreadSummary, *, at: str, excerpt: str, author_role: str, count: int,
                     escalated: bool, inbox: str) -> list:
    M = MessageItem
    return [M.inbox.set(inbox), M.activity.set(activity_of(at, summary.thread_id)),
            M.thread_id.set(summary.thread_id), M.order_id.set(summary.order_id),
            M.order_number.set(summary.order_number), M.vendor_id.set(summary.vendor_id),
            M.vendor_name.set(summary.vendor_name), M.shopper_id.set(summary.shopper_id),
            M.case_id.set(summary.case_id), M.message_count.set(count), M.last_message_at.set(at),
            M.last_excerpt.set(excerpt), M.last_author_role.set(author_role), M.escalated.set(escalated)]


def post(summary: ThreadSummary, *, expected_count: int | None, author: Party, author_id: str, text: str,
         excerpt: str, at: str, client_message_id: str, inboxes: tuple[Party, ...], recipients: tuple[Party, ...],
         escalated: bool) -> int:
    """Store one message and every count it changes, in one transaction; returns its sequence number.

    `expected_count` is the thread's message count as read (None: the thread does not exist yet).
    Raises AlreadyPosted (the client id was used by this author in this thread) or ThreadChanged.
    """
    bind()
    M = MessageItem
    seq = (expected_count or 0) + 1
    pk = thread_pk(summary.thread_id)
    try:
        with TransactWrite(connection=_connection()) as tx:
            # Puts go first, in call order: the client-id marker is reason 0 when the transaction fails.
            tx.save(M(pk, client_sk(author, client_message_id), seq=seq, at=at), condition=M.pk.does_not_exist())
            tx.save(M(pk, message_sk(seq), seq=seq, author_role=author.role, author_id=author_id, text=text, at=at,
                      client_message_id=client_message_id), condition=M.pk.does_not_exist())
            thread_actions = _summary_actions(summary, at=at, excerpt=excerpt, author_role=author.role, count=seq,
                                              escalated=escalated, inbox=ALL_THREADS)
            if expected_count is None:
                thread_actions.append(M.created_at.set(at))
                condition = M.pk.does_not_exist()
            else:
                condition = M.message_count == expected_count
                if not escalated:  # an escalation meanwhile must reach the platform: read again
                    condition = condition & M.escalated_at.does_not_exist()
            tx.update(M(pk, THREAD_SK), actions=thread_actions, condition=condition)
            for party in inboxes:
                actions = _summary_actions(summary, at=at, excerpt=excerpt, author_role=author.role, count=seq,
                                           escalated=escalated, inbox=party.key)
                if party in recipients:
                    actions.append(M.unread.add(1))
                else:  # the author (or a side that is neither): its own message is read
                    actions.append(M.unread.set(M.unread | 0))
                    if party == author:
                        actions.append(M.last_read_seq.set(seq))
                tx.update(M(inbox_pk(party), summary.thread_id), actions=actions)
            for party in recipients:
                tx.update(M(inbox_pk(party), TOTAL_SK), actions=[M.unread.add(1)])
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            raise AlreadyPosted from exc
        if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
            raise ThreadChanged from exc
        raise
    return seq


def mark_read(party: Party, thread_id: str, *, up_to_seq: int, unread_seen: int) -> None:
    """The party has read the thread up to `up_to_seq`: its unread count (and its total) drop by what it had.

    Conditional on the unread count read (`unread_seen`): a message arriving meanwhile is not lost.
    """
    bind()
    M = MessageItem
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.update(M(inbox_pk(party), thread_id), actions=[M.unread.set(0), M.last_read_seq.set(up_to_seq)],
                      condition=M.unread == unread_seen)
            if unread_seen:
                tx.update(M(inbox_pk(party), TOTAL_SK), actions=[M.unread.add(-unread_seen)])
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
            raise ReadStateChanged from exc
        raise


def escalate(summary: ThreadSummary, *, thread: MessageItem | None, at: str, reason: str,
             sides: tuple[Party, ...], platform: Party) -> bool:
    """Open the thread to the platform (once): it lands in the platform's inbox, every message unread.

    Creates an empty thread when none exists yet (a case escalated before anyone wrote). False when
    it already was escalated. Raises ThreadChanged when a post raced it (read again, retry).
    """
    bind()
    M = MessageItem
    count = int(thread.message_count or 0) if thread else 0
    at_activity = thread.last_message_at if thread and thread.last_message_at else at
    excerpt = thread.last_excerpt or "" if thread else ""
    author_role = thread.last_author_role or "" if thread else ""
    pk = thread_pk(summary.thread_id)
    common = dict(at=at_activity, excerpt=excerpt, author_role=author_role, count=count, escalated=True)
    try:
        with TransactWrite(connection=_connection()) as tx:
            actions = _summary_actions(summary, inbox=ALL_THREADS, **common) + [
                M.escalated_at.set(at), M.escalation_reason.set(reason)]
            if thread is None:
                tx.update(M(pk, THREAD_SK), actions=actions + [M.created_at.set(at)], condition=M.pk.does_not_exist())
            else:
                tx.update(M(pk, THREAD_SK), actions=actions,
                          condition=(M.message_count == count) & M.escalated_at.does_not_exist())
            tx.update(M(inbox_pk(platform), summary.thread_id),
                      actions=_summary_actions(summary, inbox=platform.key, **common)
                      + [M.unread.set(count), M.last_read_seq.set(0)])
            if count:
                tx.update(M(inbox_pk(platform), TOTAL_SK), actions=[M.unread.add(count)])
                for side in sides:  # their lists show the thread as escalated
                    tx.update(M(inbox_pk(side), summary.thread_id), actions=[M.escalated.set(True)],
                              condition=M.pk.exists())
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
            current = get_thread(summary.thread_id)
            if current is not None and current.escalated_at:
                return False
            raise ThreadChanged from exc
        raise
    return True


def list_inbox(inbox: str, *, limit: int, cursor: str | None) -> tuple[list[MessageItem], str | None]:
    """An inbox's threads (or every thread, `#all`), latest activity first, one page and the cursor after it."""
    bind()
    path, key_names = f"messages:{inbox}", ("pk", "sk", "inbox", "activity")
    start = decode_cursor(cursor, path, key_names, {"inbox": inbox})
    iterator = MessageItem.by_inbox.query(inbox, scan_index_forward=False, last_evaluated_key=start,
                                          page_size=limit + 1)
    return collect_page(iterator.page_iter, path, key_names, limit,
                        lambda raws: [MessageItem.from_raw_data(raw) for raw in raws])
