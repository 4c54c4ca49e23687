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
- `describe` / `answer`: the token (chalicelib/domain/surveys.py) is the only proof. An answer is
  stored once (a conditional write with its counters); a second one is a polite 409.
- A CSAT of 2 or less opens an `other` claim for the vendor on the shopper's behalf
  (services/claims.py), once per survey: its idempotency key is the survey id.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

from chalicelib.domain import surveys as rules
from chalicelib.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from chalicelib.domain.events import OrderDelivered, SurveyRequested
from chalicelib.domain.return_analytics import last_weeks, week_monday
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.settings import get_settings
from chalicelib.store import surveys as store

PAGE = 100
MAX_PER_RUN = 20000  # a daily run stops there; the rest stays in the index for the next run
TOP_PRODUCTS = 20

REFUSALS = {
    "expired": "This survey link has expired. Thank you for your time all the same.",
    "tampered": "This survey link is not valid (it may have been cut or altered). Use the link of the e-mail.",
    "malformed": "This survey link is not valid (it may have been cut or altered). Use the link of the e-mail.",
}
ALREADY_ANSWERED = "Thank you, this survey has already been answered: we have your opinion."


def _days(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name) or default))
    except ValueError:
        return default


def after_days() -> int:
    return _days("HALLES_SURVEY_AFTER_DAYS", rules.DEFAULT_AFTER_DAYS)


def reminder_days() -> int:
    return _days("HALLES_SURVEY_REMINDER_DAYS", rules.DEFAULT_REMINDER_DAYS)


def _secrets() -> tuple[str, ...]:
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
    token = rules.sign_token(_secrets()[0], order_id=survey["order_id"], vendor_id=survey["vendor_id"],
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
    if not _secrets():
        raise RuntimeError("surveys need HALLES_UNSUBSCRIBE_SECRET (their links are signed with it)")
    for survey in list(_each_in_queue(store.DUE, iso(now - timedelta(days=after_days())))):
        if not _consents_to_surveys(survey["shopper_id"], consent):
            if store.leave_queue(survey["survey_id"], from_queue=store.DUE, state="skipped", at=at):
                done["without_consent"] += 1
            continue
        publish(_request(survey, "request", now))
        if store.mark_sent(survey, at=at):
            done["sent"] += 1
    for survey in list(_each_in_queue(store.REMIND, iso(now - timedelta(days=reminder_days())))):
        if _consents_to_surveys(survey["shopper_id"], consent):
            publish(_request(survey, "reminder", now))
        # Reminded or not (consent withdrawn since), the survey never comes up again.
        if store.leave_queue(survey["survey_id"], from_queue=store.REMIND, state="reminded", at=at):
            done["reminded"] += 1
    count("SurveysSent", done["sent"])
    count("SurveyRemindersSent", done["reminded"])
    logger.info("surveys sent", extra=done)
    return done


# --- the survey page ---------------------------------------------------------------------------------


def _survey_of(token: str) -> dict:
    try:
        order_id, vendor_id = rules.verify_token(_secrets(), token, now=int(time.time()))
    except rules.BadSurveyToken as bad:
        raise InvalidInput(REFUSALS[bad.reason], code=f"survey_token_{bad.reason}", fields={"token": bad.reason}) from None
    survey = store.get(rules.survey_id(order_id, vendor_id))
    if survey is None or not survey.get("sent_at"):
        raise NotFound("This survey does not exist.", code="survey_not_found", fields={"token": "no such survey"})
    return survey


def _view(survey: dict) -> dict:
    return {"survey_id": survey["survey_id"], "order_number": survey.get("order_number") or "",
            "vendor_name": survey.get("vendor_name") or "", "products": [p.get("title") or p["product_id"]
                                                                          for p in survey.get("products") or []],
            "delivered_at": survey.get("delivered_at"), "answered": bool(survey.get("answered_at")),
            "answered_at": survey.get("answered_at")}


def describe(token: str) -> dict:
    return _view(_survey_of(token))


def answer(token: str, *, order: int, vendor: int, delivery: int, nps: int, comment: str = "",
           now: datetime | None = None) -> dict:
    survey = _survey_of(token)
    if survey.get("answered_at"):
        raise Conflict(ALREADY_ANSWERED, code="survey_already_answered", fields={"token": "already answered"})
    given = rules.Answer(order=order, vendor=vendor, delivery=delivery, nps=nps, comment=comment.strip())
    at = iso(now or datetime.now(UTC))
    if not store.record_answer(survey, given.to_json(), given.increments(), at=at):
        raise Conflict(ALREADY_ANSWERED, code="survey_already_answered", fields={"token": "already answered"})
    count("SurveysAnswered", 1)
    follow_up = _follow_up(survey, given) if given.low_scores else None
    view = _view({**survey, "answered_at": at})
    view["follow_up"] = follow_up is not None
    return view


def _follow_up(survey: dict, given: rules.Answer) -> str | None:
    """A low score: an `other` claim for the vendor on the shopper's behalf, once per survey."""
    from chalicelib.services import claims

    try:
        claim = claims.open_claim(survey["shopper_id"], survey["order_id"], vendor_id=survey["vendor_id"],
                                  reason="other", text=rules.follow_up_text(given, survey.get("order_number") or ""),
                                  key=f"survey:{survey['survey_id']}")
    except DomainError as refused:
        # Already an open claim on this part (the vendor is on it), or no longer claimable: nothing to add.
        logger.info("no follow-up claim for a low survey score",
                    extra={"survey_id": survey["survey_id"], "code": refused.code})
        return None
    store.set_follow_up(survey["survey_id"], claim["claim_id"])
    count("SurveyFollowUps", 1)
    return claim["claim_id"]


# --- figures -----------------------------------------------------------------------------------------


def _weeks(weeks: int, today: date | None) -> list[str]:
    try:
        return last_weeks(today or datetime.now(UTC).date(), weeks)
    except ValueError:
        raise InvalidInput("weeks must be 1 to 104.", fields={"weeks": "1 to 104"}) from None


def _trend(weekly: dict[str, dict[str, int]], weeks: list[str]) -> list[dict]:
    return [{"week": week, "starts": week_monday(week).isoformat(),
             **rules.figures_of([weekly.get(week, {})]).to_json()} for week in weeks]


def _grouped(rows, key) -> dict:
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row[-1])
    return grouped


def _products(vendor_id: str, weeks: list[str]) -> list[dict]:
    rows = store.per_product(vendor_id, weeks)
    titles = {product_id: title for product_id, title, _ in rows}
    out = [{"product_id": product_id, "title": titles[product_id], **rules.figures_of(counters).to_json()}
           for product_id, counters in _grouped(rows, lambda r: r[0]).items()]
    # The least satisfying first: what the vendor should look at.
    out.sort(key=lambda p: (p["csat"]["order"]["average"] is None, p["csat"]["order"]["average"] or 0,
                            -p["answered"], p["product_id"]))
    return out[:TOP_PRODUCTS]


def vendor_report(vendor_id: str, *, weeks: int, today: date | None = None) -> dict:
    period = _weeks(weeks, today)
    weekly = store.weekly(f"vendor#{vendor_id}", period)
    return {"weeks": period, "totals": rules.figures_of(weekly.values()).to_json(), "trend": _trend(weekly, period),
            "products": _products(vendor_id, period)}


def platform_report(*, vendor_id: str | None, weeks: int, today: date | None = None) -> dict:
    from chalicelib.store import vendors as vendors_store

    period = _weeks(weeks, today)
    if vendor_id:
        names = vendors_store.vendor_names([vendor_id])
        if not names:
            raise NotFound("No such vendor.", fields={"vendor_id": "unknown"})
        report = vendor_report(vendor_id, weeks=weeks, today=today)
        totals = report["totals"]
        report["vendors"] = [{"vendor_id": vendor_id, "vendor_name": names.get(vendor_id, ""), **totals}] \
            if totals["sent"] or totals["answered"] else []
        return report
    weekly = store.weekly(store.PLATFORM, period)
    per_vendor = _grouped(store.per_vendor(period), lambda r: r[0])
    names = vendors_store.vendor_names(sorted(per_vendor)) if per_vendor else {}
    vendors = [{"vendor_id": v, "vendor_name": names.get(v, ""), **rules.figures_of(rows).to_json()}
               for v, rows in per_vendor.items()]
    vendors.sort(key=lambda v: (v["csat"]["vendor"]["average"] is None, v["csat"]["vendor"]["average"] or 0,
                                v["vendor_id"]))
    return {"weeks": period, "totals": rules.figures_of(weekly.values()).to_json(), "trend": _trend(weekly, period),
            "products": [], "vendors": vendors}
