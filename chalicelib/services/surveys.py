"""Satisfaction surveys: scheduled when a sub-order is delivered, sent by a daily job, answered from a
signed link without signing in, counted as answers land, followed up when a score is low.

- `schedule_for`: the notifications consumer calls it on `order.delivered` (once per event); the
  survey is put in the `due` queue of the sparse `by_queue` index (chalicelib/store/surveys.py).
- `send_surveys` (schedule, daily): Queries the index for surveys due since HALLES_SURVEY_AFTER_DAYS
  (default 3) and reminders due since HALLES_SURVEY_REMINDER_DAYS (default 4) after sending; never
  a scan. Only with the shopper's `surveys` consent (without it the survey is dropped, never sent
  later). The mail goes out through the notifications path (`survey.requested`, FR/EN, with the
  unsubscribe link). One reminder, never more: a reminded survey leaves the index.
  The event is published BEFORE the survey moves along its queue: a crash in between publishes the
  same event again next run, with the same event id, which the consumer acts on once.
- Answering and the figures: chalicelib/services/survey_answers.py.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from chalicelib.domain import surveys as rules
from chalicelib.domain.events import OrderDelivered, SurveyRequested
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.settings import get_settings
from chalicelib.store import surveys as store

PAGE = 100
MAX_PER_RUN = 20000  # a daily run stops there; the rest stays in the index for the next run



def _days(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name) or default))
    except ValueError:
        return default


def after_days() -> int:
    return _days("HALLES_SURVEY_AFTER_DAYS", rules.DEFAULT_AFTER_DAYS)


def reminder_days() -> int:
    return _days("HALLES_SURVEY_REMINDER_DAYS", rules.DEFAULT_REMINDER_DAYS)


def secrets() -> tuple[str, ...]:
    """Survey links are signed with the mail links' key (HALLES_UNSUBSCRIBE_SECRET, `new,old` while
    rolling); the purpose in the MAC keeps the two kinds of token apart."""
    return get_settings().unsubscribe_secrets


# --- scheduling on delivery --------------------------------------------------------------------------


def schedule_for(event: OrderDelivered) -> bool:
    """Make the delivered sub-order's survey due from its delivery; once (False: it exists)."""
    from chalicelib.store import orders as order_store

    if not event.vendor_id or not event.order.shopper_id:
        return False  # not a sub-order's delivery (nobody to ask about no one)
    order = order_store.get_order(event.order.order_id) or {}
    lines = [line for line in order.get("lines", []) if line.get("vendor_id") == event.vendor_id]
    products = list({line["product_id"]: {"product_id": line["product_id"], "title": line.get("title", "")}
                     for line in lines if line.get("product_id")}.values())
    vendor_name = next((line.get("vendor_name") for line in lines if line.get("vendor_name")), "") or event.vendor_id
    return store.schedule(rules.survey_id(event.order.order_id, event.vendor_id), order_id=event.order.order_id,
                          order_number=event.order.order_number, vendor_id=event.vendor_id, vendor_name=vendor_name,
                          shopper_id=event.order.shopper_id, products=products,
                          delivered_at=event.delivered_at or iso(datetime.now(UTC)))


# --- the daily job -----------------------------------------------------------------------------------


def _consents_to_surveys(shopper_id: str, cache: dict[str, bool]) -> bool:
    from chalicelib.domain.notifications import Purpose, may_send
    from chalicelib.store import notifications as notification_store

    if shopper_id not in cache:
        granted = {p: c["granted"] for p, c in notification_store.consents(shopper_id).items()}
        cache[shopper_id] = may_send(Purpose.SURVEYS, granted)
    return cache[shopper_id]


def _request(survey: dict, kind: str, now: datetime) -> SurveyRequested:
    expires = int(now.timestamp()) + rules.LINK_DAYS * 86400
    token = rules.sign_token(secrets()[0], order_id=survey["order_id"], vendor_id=survey["vendor_id"],
                             expires_at=expires)
    link = f"#/survey?token={token}"
    return SurveyRequested(
        survey_id=survey["survey_id"], order_id=survey["order_id"], order_number=survey.get("order_number") or "",
        shopper_id=survey["shopper_id"], vendor_id=survey["vendor_id"],
        vendor_name=survey.get("vendor_name") or survey["vendor_id"], kind=kind,
        survey_url=f"{get_settings().frontend_url.rstrip('/')}/{link}", survey_link=link,
        expires_at=iso(datetime.fromtimestamp(expires, UTC)))


def _each_in_queue(queue: str, until: str):
    cursor, seen = None, 0
    while seen < MAX_PER_RUN:
        batch, cursor = store.in_queue(queue, until=until, limit=PAGE, cursor=cursor)
        yield from batch
        seen += len(batch)
        if not cursor:
            return


def send_surveys(now: datetime | None = None, *, publish=None) -> dict:
    """Send the surveys due and the reminders due (see the module docstring); returns what it did."""
    from chalicelib import events

    publish = publish or events.publish
    now = now or datetime.now(UTC)
    at = iso(now)
    consent: dict[str, bool] = {}
    done = {"sent": 0, "reminded": 0, "without_consent": 0}
    if not secrets():
        raise RuntimeError("surveys need HALLES_UNSUBSCRIBE_SECRET (their links are signed with it)")
    for survey in list(_each_in_queue(store.DUE, iso(now - timedelta(days=after_days())))):
        if not _consents_to_surveys(survey["shopper_id"], consent):
            if store.leave_queue(survey["survey_id"], from_queue=store.DUE, state="skipped", at=at):
                done["without_consent"] += 1
            continue
        publish(_request(survey, "request", now))
        # Counted in the week the mail really goes out, as its answer is: a run fired as of another day
        # (`devstack fire send_surveys --at +3d`) still reads "sent" in the week the answers land.
        if store.mark_sent(survey, at=at, counted_at=iso(datetime.now(UTC))):
            done["sent"] += 1
    for survey in list(_each_in_queue(store.REMIND, iso(now - timedelta(days=reminder_days())))):
        consents = _consents_to_surveys(survey["shopper_id"], consent)
        if consents:
            publish(_request(survey, "reminder", now))
        # Reminded or not (consent withdrawn since), the survey never comes up again.
        if store.leave_queue(survey["survey_id"], from_queue=store.REMIND, state="reminded" if consents else "closed",
                             at=at) and consents:
            done["reminded"] += 1
    count("SurveysSent", done["sent"])
    count("SurveyRemindersSent", done["reminded"])
    logger.info("surveys sent", extra=done)
    return done
