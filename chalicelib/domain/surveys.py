"""Satisfaction surveys: the link's token, what an answer is, when a score is low, and the figures.

Pure rules (no AWS, no I/O). The use cases are in chalicelib/services/surveys.py, storage in
chalicelib/store/surveys.py.

One survey per sub-order (an order's part from one vendor), sent N days after it was delivered,
with one reminder M days later when unanswered. Its link carries a signed token (HMAC-SHA256 over
purpose `survey`, order, vendor and expiry): the page opens without signing in, so the token is
the only proof; single use is enforced by storage (an answer is written only where none is).

Figures are counters, never recomputed from answers: per (scope, week) how many surveys went out,
how many were answered, and the distribution of each score. Averages, response rate and NPS are
derived from the distributions (a sum is a distribution times its values), so an answer is a
handful of increments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

PURPOSE = "survey"
LINK_DAYS = 30  # how long a survey link works (the reminder carries a fresh one)
DEFAULT_AFTER_DAYS = 3
DEFAULT_REMINDER_DAYS = 4
LOW_SCORE = 2  # a CSAT of 2 or less on any of the three questions opens a follow-up claim

CSAT_QUESTIONS = ("order", "vendor", "delivery")
CSAT_VALUES = range(1, 6)
NPS_VALUES = range(0, 11)
SURVEY_ID = re.compile(r"^srv_ord_[A-Za-z0-9]{1,60}\.[A-Za-z0-9_.:-]{1,160}$")

# Counter names: `sent`, `answered`, `<question>_<score>` for the CSAT questions, `nps_<score>`.
COUNTERS: tuple[str, ...] = ("sent", "answered", *(f"{q}_{v}" for q in CSAT_QUESTIONS for v in CSAT_VALUES),
                             *(f"nps_{v}" for v in NPS_VALUES))


def survey_id(order_id: str, vendor_id: str) -> str:
    """`srv_<order id>.<vendor id>`: one survey per sub-order, whatever retries happen."""
    return f"srv_{order_id}.{vendor_id}"


def parts_of(survey: str) -> tuple[str, str]:
    order_id, _, vendor_id = survey.removeprefix("srv_").partition(".")
    return order_id, vendor_id


# --- the link's token ------------------------------------------------------------------------------


class BadSurveyToken(ValueError):
    """Altered, not ours, not a survey's, or expired; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> bytes:
    # The purpose is in the MAC's input: an unsubscribe token signed with the same key never verifies here.
    return hmac.new(secret.encode(), f"{PURPOSE}.{payload}".encode(), hashlib.sha256).digest()


def sign_token(secret: str, *, order_id: str, vendor_id: str, expires_at: int) -> str:
    if not secret:
        raise ValueError("no secret to sign survey links with")
    payload = _b64(json.dumps({"p": PURPOSE, "o": order_id, "v": vendor_id, "e": expires_at},
                              separators=(",", ":")).encode())
    return f"{payload}.{_b64(_mac(secret, payload))}"


def verify_token(secrets: Iterable[str], token: str, *, now: int) -> tuple[str, str]:
    """(order_id, vendor_id) of a genuine, unexpired survey token; BadSurveyToken otherwise."""
    payload, _, mac = (token or "").partition(".")
    if not payload or not mac or len(token) > 1000:
        raise BadSurveyToken("malformed")
    try:
        given = _unb64(mac)
    except ValueError:
        raise BadSurveyToken("malformed") from None
    if not any(secret and hmac.compare_digest(_mac(secret, payload), given) for secret in secrets):
        raise BadSurveyToken("tampered")
    try:
        claims = json.loads(_unb64(payload))
        purpose, order_id, vendor_id, expires_at = claims["p"], str(claims["o"]), str(claims["v"]), int(claims["e"])
    except (ValueError, KeyError, TypeError):
        raise BadSurveyToken("malformed") from None
    if purpose != PURPOSE or not SURVEY_ID.match(survey_id(order_id, vendor_id)):
        raise BadSurveyToken("malformed")
    if expires_at < now:
        raise BadSurveyToken("expired")
    return order_id, vendor_id


# --- answers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A shopper's answers to a satisfaction survey."""

    order: int
    vendor: int
    delivery: int
    nps: int
    comment: str = ""

    def __post_init__(self) -> None:
        for question in CSAT_QUESTIONS:
            if getattr(self, question) not in CSAT_VALUES:
                raise ValueError(f"{question} must be 1 to 5")
        if self.nps not in NPS_VALUES:
            raise ValueError("nps must be 0 to 10")

    @property
    def low_scores(self) -> dict[str, int]:
        """The CSAT questions scored LOW_SCORE or less: each one is a reason to follow up."""
        return {q: getattr(self, q) for q in CSAT_QUESTIONS if getattr(self, q) <= LOW_SCORE}

    def increments(self) -> dict[str, int]:
        """What this answer adds to its scopes' counters."""
        return {"answered": 1, **{f"{q}_{getattr(self, q)}": 1 for q in CSAT_QUESTIONS}, f"nps_{self.nps}": 1}

    def to_json(self) -> dict:
        return {"order": self.order, "vendor": self.vendor, "delivery": self.delivery, "nps": self.nps,
                "comment": self.comment}


_FOLLOW_UP_WORDS = {
    "en": {"questions": {"order": "order", "vendor": "vendor", "delivery": "delivery"},
           "intro": "Satisfaction survey for order {number}: low score ({scores}).",
           "quote": ' The shopper wrote: "{comment}"'},
    "fr": {"questions": {"order": "commande", "vendor": "vendeur", "delivery": "livraison"},
           "intro": "Enquête de satisfaction de la commande {number} : note basse ({scores}).",
           "quote": " Le client a écrit : « {comment} »"},
}


def follow_up_text(answer: Answer, order_number: str, locale: str = "en") -> str:
    """The follow-up claim's description, in the shopper's language (the claim is opened in their name):
    the low scores and their own words."""
    words = _FOLLOW_UP_WORDS.get(locale, _FOLLOW_UP_WORDS["en"])
    scores = ", ".join(f"{words['questions'][q]} {s}/5" for q, s in answer.low_scores.items())
    text = words["intro"].format(number=order_number, scores=scores)
    if answer.comment.strip():
        text += words["quote"].format(comment=answer.comment.strip())
    return text[:1000]


# --- figures ---------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Survey counts: sent, answered and each question's distribution."""

    sent: int = 0
    answered: int = 0
    distributions: dict[str, dict[int, int]] = field(default_factory=lambda: {
        **{q: dict.fromkeys(CSAT_VALUES, 0) for q in CSAT_QUESTIONS}, "nps": dict.fromkeys(NPS_VALUES, 0)})

    def add(self, counters: Mapping[str, int]) -> None:
        self.sent += int(counters.get("sent", 0) or 0)
        self.answered += int(counters.get("answered", 0) or 0)
        for question, values in self.distributions.items():
            for value in values:
                values[value] += int(counters.get(f"{question}_{value}", 0) or 0)

    def to_json(self) -> dict:
        csat = {}
        for question in CSAT_QUESTIONS:
            dist = self.distributions[question]
            total = sum(dist.values())
            csat[question] = {
                "responses": total,
                "average": round(sum(v * n for v, n in dist.items()) / total, 2) if total else None,
                # CSAT as usually quoted: the share of 4s and 5s.
                "satisfied_rate": round((dist[4] + dist[5]) / total, 4) if total else None,
                "distribution": [{"score": v, "count": n} for v, n in dist.items()]}
        nps_dist = self.distributions["nps"]
        nps_total = sum(nps_dist.values())
        promoters = sum(n for v, n in nps_dist.items() if v >= 9)
        detractors = sum(n for v, n in nps_dist.items() if v <= 6)
        return {
            "sent": self.sent, "answered": self.answered,
            # Answers over surveys sent in the same weeks (an answer may land a week after its survey).
            "response_rate": round(min(self.answered / self.sent, 1.0), 4) if self.sent else None,
            "csat": csat,
            "nps": {"responses": nps_total, "promoters": promoters, "passives": nps_total - promoters - detractors,
                    "detractors": detractors,
                    "score": round(100 * (promoters - detractors) / nps_total, 1) if nps_total else None,
                    "distribution": [{"score": v, "count": n} for v, n in nps_dist.items()]}}


def figures_of(counter_rows: Iterable[Mapping[str, int]]) -> Figures:
    figures = Figures()
    for row in counter_rows:
        figures.add(row)
    return figures
