"""Surveys and their figures in DynamoDB (table `surveys`, pk/sk), never scanned.

- `survey#<survey id>` / `survey`: one sub-order's survey, put once when the sub-order is delivered
  (only where none is: a redelivered event changes nothing). While something is to be done it
  carries `queue` + `queue_at`, the keys of the sparse `by_queue` index the daily job queries:
  `due` (at = delivered) then `remind` (at = sent); answered, reminded or skipped, both are removed
  and the item leaves the index. An answer with a low score enters `follow_up` (at = answered) in the
  answer's own transaction: the outbox of its follow-up claim, left once the claim is opened (or
  refused for good), so a claim that failed to open is retried, never forgotten.
- counters, one item per scope and ISO week: `vendor#<id>` / `week#<week>`, `vendor#<id>` /
  `product#<product id>#<week>`, `platform` / `week#<week>`, `platform` / `vendor#<id>#<week>`.
  Each holds `sent`, `answered` and one count per score (domain COUNTERS).

Sending moves the survey along its queue on condition it is still where the job read it, in the
same transaction as the `sent` increments; answering writes the answer on condition none is there,
in the same transaction as the score increments: a retry or a race never counts twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.return_analytics import iso_week
from chalicelib.domain.surveys import COUNTERS
from chalicelib.store.base import bind, conditional_failed, register

DUE, REMIND, FOLLOW_UP = "due", "remind", "follow_up"
PLATFORM = "platform"
MAX_PRODUCTS = 40  # product counters per transaction (with the survey and 3 scope counters: under 100 items)
SURVEY_SK = "survey"


class ByQueue(GlobalSecondaryIndex):
    """Sparse: only surveys with something left to do (send, remind) are in it."""

    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    queue_at = UnicodeAttribute(range_key=True)


def _counter_attributes() -> dict:
    return {name: NumberAttribute(null=True) for name in COUNTERS}


class _SurveyBase(Model):
    class Meta:
        short_name = "surveys"
        table_name = None
        region = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # survey rows
    order_id = UnicodeAttribute(null=True)
    order_number = UnicodeAttribute(null=True)
    vendor_id = UnicodeAttribute(null=True)
    vendor_name = UnicodeAttribute(null=True)
    shopper_id = UnicodeAttribute(null=True)
    products = ListAttribute(of=MapAttribute, null=True)  # [{"product_id", "title"}]
    delivered_at = UnicodeAttribute(null=True)
    state = UnicodeAttribute(null=True)  # scheduled | sent | reminded | answered | skipped
    queue = UnicodeAttribute(null=True)
    queue_at = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    reminded_at = UnicodeAttribute(null=True)
    answered_at = UnicodeAttribute(null=True)
    answer = MapAttribute(null=True)
    follow_up_claim_id = UnicodeAttribute(null=True)
    follow_up_refused = UnicodeAttribute(null=True)  # why no claim could be opened (an error code)
    # counter rows
    product_id = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    week = UnicodeAttribute(null=True)

    by_queue = ByQueue()


SurveyItem = register(type("SurveyItem", (_SurveyBase,), {**_counter_attributes(), "__module__": __name__}))


def survey_key(survey: str) -> str:
    return f"survey#{survey}"


def _connection():
    return SurveyItem._get_connection().connection


# --- survey rows ------------------------------------------------------------------------------------


def schedule(survey: str, *, order_id: str, order_number: str, vendor_id: str, vendor_name: str,
             shopper_id: str, products: list[dict], delivered_at: str) -> bool:
    """Put the survey of a delivered sub-order, due from `delivered_at`. False: it exists already."""
    bind()
    item = SurveyItem(survey_key(survey), SURVEY_SK, order_id=order_id, order_number=order_number,
                      vendor_id=vendor_id, vendor_name=vendor_name, shopper_id=shopper_id,
                      products=[{"product_id": p["product_id"], "title": p.get("title", "")} for p in products],
                      delivered_at=delivered_at, state="scheduled", queue=DUE, queue_at=delivered_at)
    try:
        item.save(condition=SurveyItem.pk.does_not_exist())
    except PutError as err:
        if conditional_failed(err):
            return False
        raise
    return True


def get(survey: str) -> dict | None:
    bind()
    try:
        item = SurveyItem.get(survey_key(survey), SURVEY_SK, consistent_read=True)
    except SurveyItem.DoesNotExist:
        return None
    return as_dict(item)


def as_dict(item) -> dict:
    data = {name: getattr(item, name) for name in (
        "order_id", "order_number", "vendor_id", "vendor_name", "shopper_id", "delivered_at", "state", "queue",
        "queue_at", "sent_at", "reminded_at", "answered_at", "follow_up_claim_id", "follow_up_refused")}
    data["products"] = [dict(p.as_dict() if hasattr(p, "as_dict") else p) for p in (item.products or [])]
    data["answer"] = item.answer.as_dict() if item.answer is not None else None
    data["survey_id"] = item.pk.removeprefix("survey#")
    return data


def in_queue(queue: str, *, until: str, limit: int, cursor: dict | None = None) -> tuple[list[dict], dict | None]:
    """Surveys waiting in `queue` since `until` or earlier, oldest first: one Query on the sparse index."""
    bind()
    result = SurveyItem.by_queue.query(queue, SurveyItem.queue_at <= until, limit=limit, page_size=limit,
                                       last_evaluated_key=cursor)
    items = [as_dict(item) for item in result]
    return items, result.last_evaluated_key


def _scope_keys(vendor_id: str, week: str, product_ids: Iterable[str]) -> list[tuple[str, str, dict]]:
    keys = [(f"vendor#{vendor_id}", f"week#{week}", {}), (PLATFORM, f"week#{week}", {}),
            (PLATFORM, f"vendor#{vendor_id}#{week}", {"vendor_id": vendor_id})]
    for product_id in list(dict.fromkeys(product_ids))[:MAX_PRODUCTS]:
        keys.append((f"vendor#{vendor_id}", f"product#{product_id}#{week}", {"product_id": product_id}))
    return keys


def _add_counters(tx: TransactWrite, survey: dict, week: str, increments: dict[str, int]) -> None:
    titles = {p["product_id"]: p.get("title", "") for p in survey.get("products") or []}
    for pk, sk, extra in _scope_keys(survey["vendor_id"], week, titles):
        actions = [getattr(SurveyItem, name).add(value) for name, value in increments.items()]
        actions.append(SurveyItem.week.set(week))
        if extra.get("vendor_id"):
            actions.append(SurveyItem.vendor_id.set(extra["vendor_id"]))
        if extra.get("product_id"):
            actions += [SurveyItem.product_id.set(extra["product_id"]),
                        SurveyItem.title.set(titles.get(extra["product_id"]) or extra["product_id"])]
        tx.update(SurveyItem(pk, sk), actions=actions)


def _first_failed(exc: TransactWriteError) -> bool:
    reasons = list(exc.cancellation_reasons or []) + [None]
    return reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed"


def mark_sent(survey: dict, *, at: str, counted_at: str | None = None) -> bool:
    """`due` -> `remind` (at = `at`), counting it sent in the week of `counted_at` (default `at`). False:
    moved already."""
    bind()
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.update(SurveyItem(survey_key(survey["survey_id"]), SURVEY_SK),
                      actions=[SurveyItem.queue.set(REMIND), SurveyItem.queue_at.set(at), SurveyItem.sent_at.set(at),
                               SurveyItem.state.set("sent")],
                      condition=(SurveyItem.queue == DUE) & SurveyItem.answered_at.does_not_exist())
            _add_counters(tx, survey, iso_week(counted_at or at), {"sent": 1})
    except TransactWriteError as exc:
        if _first_failed(exc):
            return False
        raise
    return True


def leave_queue(survey_id: str, *, from_queue: str, state: str, at: str) -> bool:
    """Take the survey out of the index (reminded, or skipped without consent). False: moved already."""
    bind()
    item = SurveyItem(survey_key(survey_id), SURVEY_SK)
    actions = [SurveyItem.queue.remove(), SurveyItem.queue_at.remove(), SurveyItem.state.set(state)]
    if state == "reminded":
        actions.append(SurveyItem.reminded_at.set(at))
    try:
        item.update(actions=actions, condition=SurveyItem.queue == from_queue)
    except Exception as err:  # UpdateError
        if conditional_failed(err):
            return False
        raise
    return True


def record_answer(survey: dict, answer: dict, increments: dict[str, int], *, at: str, follow_up: bool = False) -> bool:
    """Store the answer once and count it in the week of `at`; with `follow_up`, the survey enters the
    `follow_up` queue in the same transaction (see the module docstring). False: it was answered already."""
    bind()
    queue = [SurveyItem.queue.set(FOLLOW_UP), SurveyItem.queue_at.set(at)] if follow_up \
        else [SurveyItem.queue.remove(), SurveyItem.queue_at.remove()]
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.update(SurveyItem(survey_key(survey["survey_id"]), SURVEY_SK),
                      actions=[SurveyItem.answer.set(answer), SurveyItem.answered_at.set(at),
                               SurveyItem.state.set("answered"), *queue],
                      condition=SurveyItem.answered_at.does_not_exist() & SurveyItem.sent_at.exists())
            _add_counters(tx, survey, iso_week(at), increments)
    except TransactWriteError as exc:
        if _first_failed(exc):
            return False
        raise
    return True


def follow_up_done(survey_id: str, *, claim_id: str | None = None, refused: str | None = None) -> bool:
    """The follow-up claim is opened (`claim_id`) or could not be (`refused`, a code): the survey leaves
    the `follow_up` queue. False: it had left it already."""
    bind()
    actions = [SurveyItem.queue.remove(), SurveyItem.queue_at.remove()]
    if claim_id:
        actions.append(SurveyItem.follow_up_claim_id.set(claim_id))
    if refused:
        actions.append(SurveyItem.follow_up_refused.set(refused))
    try:
        SurveyItem(survey_key(survey_id), SURVEY_SK).update(actions=actions, condition=SurveyItem.queue == FOLLOW_UP)
    except Exception as err:  # UpdateError
        if conditional_failed(err):
            return False
        raise
    return True


# --- figures ----------------------------------------------------------------------------------------


def _counters(item) -> dict[str, int]:
    return {name: int(getattr(item, name) or 0) for name in COUNTERS}


def weekly(scope: str, weeks: list[str]) -> dict[str, dict[str, int]]:
    """week -> counters of `vendor#<id>` or `platform` over `weeks` (one Query)."""
    bind()
    rows = SurveyItem.query(scope, SurveyItem.sk.between(f"week#{weeks[0]}", f"week#{weeks[-1]}"))
    return {item.sk.removeprefix("week#"): _counters(item) for item in rows}


def per_product(vendor_id: str, weeks: list[str]) -> list[tuple[str, str, dict[str, int]]]:
    """(product id, title, counters) per product and week of `weeks` (one Query on the vendor's partition)."""
    bind()
    wanted = set(weeks)
    rows = SurveyItem.query(f"vendor#{vendor_id}", SurveyItem.sk.startswith("product#"))
    return [(item.product_id, item.title or item.product_id, _counters(item)) for item in rows
            if item.week in wanted]


def per_vendor(weeks: list[str]) -> list[tuple[str, dict[str, int]]]:
    """(vendor id, counters) per vendor and week of `weeks` (one Query on the platform's partition)."""
    bind()
    wanted = set(weeks)
    rows = SurveyItem.query(PLATFORM, SurveyItem.sk.startswith("vendor#"))
    return [(item.vendor_id, _counters(item)) for item in rows if item.week in wanted]
