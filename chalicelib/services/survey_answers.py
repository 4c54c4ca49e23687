"""Satisfaction surveys, the answering side: the page's token, one answer per survey, the follow-up claim
of a low score, and the vendor's and admin's figures. The sending side (scheduling on delivery, the
daily job) is chalicelib/services/surveys.py; kept apart so the schedule's function reaches (and is
granted) only what sending needs, not the claims centre.

- `describe` / `answer`: the token (chalicelib/domain/surveys.py) is the only proof. An answer is
  stored once (a conditional write with its counters); a second one is a polite 409.
- A CSAT of 2 or less opens an `other` claim for the vendor on the shopper's behalf
  (services/claims.py), once per survey: its idempotency key is the survey id (a retry finds the claim
  it opened, never a second one). Reliable, not best effort: the answer's own transaction puts the
  survey in the `follow_up` queue (its outbox, chalicelib/store/surveys.py); the answering request
  tries the claim at once, and `retry_follow_ups` (schedule `follow_up_surveys`, every 5 minutes)
  opens whatever is still queued, until done. A claim refused for good (one is already open on that
  part, the order is no longer claimable) takes the survey out of the queue with the reason.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from chalicelib.domain import surveys as rules
from chalicelib.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from chalicelib.domain.return_analytics import last_weeks, week_monday
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.services.surveys import secrets
from chalicelib.store import surveys as store

TOP_PRODUCTS = 20
PAGE = 100
# The retry leaves a fresh follow-up to the answering request that is opening it right now.
FOLLOW_UP_GRACE = timedelta(minutes=1)
OPENED, REFUSED, DONE_BEFORE = "opened", "refused", "done_before"

REFUSALS = {
    "expired": "This survey link has expired. Thank you for your time all the same.",
    "tampered": "This survey link is not valid (it may have been cut or altered). Use the link of the e-mail.",
    "malformed": "This survey link is not valid (it may have been cut or altered). Use the link of the e-mail.",
}
ALREADY_ANSWERED = "Thank you, this survey has already been answered: we have your opinion."


# --- the survey page ---------------------------------------------------------------------------------


def _survey_of(token: str) -> dict:
    try:
        order_id, vendor_id = rules.verify_token(secrets(), token, now=int(time.time()))
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
    low = bool(given.low_scores)
    if not store.record_answer(survey, given.to_json(), given.increments(), at=at, follow_up=low):
        raise Conflict(ALREADY_ANSWERED, code="survey_already_answered", fields={"token": "already answered"})
    count("SurveysAnswered", 1)
    view = _view({**survey, "answered_at": at})
    view["follow_up"] = _follow_up_now(survey["survey_id"]) if low else False
    return view


def _follow_up_now(survey_id: str) -> bool:
    """At once, so the shopper and the vendor see the claim right away. True: opened, or queued for the
    retry (the answer is stored whatever happens here); False: refused for good."""
    try:
        return follow_up(survey_id) != REFUSED
    except Exception:
        logger.exception("follow-up claim not opened yet: the follow_up_surveys schedule retries it",
                         extra={"survey_id": survey_id})
        count("SurveyFollowUpsDeferred", 1)
        return True


def follow_up(survey_id: str, *, now: datetime | None = None) -> str:
    """Open the follow-up claim of a survey in the `follow_up` queue: OPENED, REFUSED (for good, the
    reason kept), or DONE_BEFORE (not queued: done by an earlier try). Raises on a passing failure
    (the survey stays queued and is tried again)."""
    from chalicelib.services import claims

    survey = store.get(survey_id)
    if survey is None or survey.get("queue") != store.FOLLOW_UP or not survey.get("answer"):
        return DONE_BEFORE
    stored = survey["answer"]
    given = rules.Answer(**{q: int(stored[q]) for q in (*rules.CSAT_QUESTIONS, "nps")},
                         comment=str(stored.get("comment") or ""))
    text = rules.follow_up_text(given, survey.get("order_number") or "", _locale_of(survey["shopper_id"]))
    try:
        claim = claims.open_claim(survey["shopper_id"], survey["order_id"], vendor_id=survey["vendor_id"],
                                  reason="other", text=text, key=f"survey:{survey_id}", now=now)
    except DomainError as refused:
        # Already an open claim on this part (the vendor is on it), or no longer claimable: nothing to add.
        logger.info("no follow-up claim for a low survey score", extra={"survey_id": survey_id, "code": refused.code})
        store.follow_up_done(survey_id, refused=refused.code)
        return REFUSED
    store.follow_up_done(survey_id, claim_id=claim["claim_id"])
    count("SurveyFollowUps", 1)
    return OPENED


def _locale_of(user_id: str) -> str:
    """The language the shopper reads (their profile's, as their e-mails): the claim speaks in their name."""
    from chalicelib.domain.notifications import supported_locale
    from chalicelib.store import notifications as notification_store

    return supported_locale((notification_store.get_profile(user_id) or {}).get("locale"))


def retry_follow_ups(now: datetime | None = None) -> dict:
    """The schedule's run: every follow-up still queued (answered before now less FOLLOW_UP_GRACE),
    one Query on the sparse index, never a scan. A failure is logged and left queued for the next run."""
    now = now or datetime.now(UTC)
    until = iso(now - FOLLOW_UP_GRACE)
    done = {OPENED: 0, REFUSED: 0, "failed": 0}
    cursor = None
    while True:
        batch, cursor = store.in_queue(store.FOLLOW_UP, until=until, limit=PAGE, cursor=cursor)
        for survey in batch:
            try:
                outcome = follow_up(survey["survey_id"])
            except Exception:
                logger.exception("follow-up claim failed again; next run retries it",
                                 extra={"survey_id": survey["survey_id"]})
                done["failed"] += 1
                continue
            if outcome in done:
                done[outcome] += 1
        if not cursor:
            break
    count("SurveyFollowUpsRetried", done[OPENED])
    count("SurveyFollowUpsFailed", done["failed"])
    logger.info("survey follow-ups retried", extra=done)
    return done


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
