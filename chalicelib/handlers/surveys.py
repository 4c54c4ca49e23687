"""Satisfaction surveys: the page's two routes (no sign-in: the signed token in the path is the proof),
the vendor's and the admin's figures, the daily schedule that sends them, and the schedule that retries
the follow-up claims of low scores.

The survey routes accept nothing that names who or what: the token says which sub-order, and the
survey stored for it says whose. The vendor route takes no vendor id (the signed-in vendor).
"""

from datetime import datetime

from chalice import Blueprint, Cron, Rate
from pydantic import ConfigDict, Field

from chalicelib.api import route
from chalicelib.domain.input_limits import ANALYTICS_MAX_WEEKS as MAX_WEEKS
from chalicelib.domain.input_limits import SURVEY_MAX_COMMENT as MAX_COMMENT
from chalicelib.schema import ApiModel, MultilineText, QueryModel, StrictInteger, bounded

bp = Blueprint(__name__)
TAGS = ("surveys",)


class SurveyOut(ApiModel):
    survey_id: str
    order_number: str
    vendor_name: str = Field(description="the vendor whose part of the order this survey is about")
    products: list[str] = Field(description="titles of that part's products")
    delivered_at: str | None
    answered: bool = Field(description="true once answered: a survey is answered once")
    answered_at: str | None


class AnsweredOut(SurveyOut):
    follow_up: bool = Field(description="a low score opens a follow-up claim with the vendor: at once, or by the "
                                          "retry when it could not be opened right away; false: none (one is open)")


class AnswerBody(ApiModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    order: StrictInteger = Field(ge=1, le=5, description="satisfaction with the order, 1 (very bad) to 5 (very good)")
    vendor: StrictInteger = Field(ge=1, le=5, description="satisfaction with the vendor, 1 to 5")
    delivery: StrictInteger = Field(ge=1, le=5, description="satisfaction with the delivery, 1 to 5")
    nps: StrictInteger = Field(ge=0, le=10, description="how likely to recommend Halles, 0 to 10")
    comment: bounded(MultilineText, 0, MAX_COMMENT, description="anything to add") = ""


@route(bp, "/surveys/{token}", response=SurveyOut, tags=TAGS, errors=(400, 404),
       summary="The survey a link opens (no sign-in: the signed token is the proof)")
def get_survey(req):
    from chalicelib.services import survey_answers as surveys

    return SurveyOut.model_validate(surveys.describe(req.params["token"]))


@route(bp, "/surveys/{token}", "POST", body=AnswerBody, response=AnsweredOut, tags=TAGS, errors=(400, 404, 409),
       summary="Answer a survey, once (no sign-in); a second answer is a 409")
def answer_survey(req):
    from chalicelib.services import survey_answers as surveys

    return AnsweredOut.model_validate(surveys.answer(req.params["token"], **req.body.model_dump()))


# --- figures -----------------------------------------------------------------------------------------


class SatisfactionQuery(QueryModel):
    weeks: int = Field(12, ge=1, le=MAX_WEEKS, description="How many ISO weeks, the current one included")


class AdminSatisfactionQuery(SatisfactionQuery):
    vendor_id: str | None = Field(None, max_length=160, pattern=r"^[A-Za-z0-9_.:-]+$",
                                  description="Only this vendor (default: every vendor)")


class ScoreCount(ApiModel):
    score: int
    count: int


class CsatOut(ApiModel):
    responses: int
    average: float | None = Field(description="mean score, 1 to 5; null without answers")
    satisfied_rate: float | None = Field(description="share of 4s and 5s")
    distribution: list[ScoreCount]


class CsatSet(ApiModel):
    order: CsatOut
    vendor: CsatOut
    delivery: CsatOut


class NpsOut(ApiModel):
    responses: int
    promoters: int = Field(description="9 or 10")
    passives: int = Field(description="7 or 8")
    detractors: int = Field(description="0 to 6")
    score: float | None = Field(description="% promoters - % detractors, -100 to 100; null without answers")
    distribution: list[ScoreCount]


class SatisfactionFigures(ApiModel):
    sent: int = Field(description="surveys sent in the period")
    answered: int = Field(description="answers received in the period")
    response_rate: float | None = Field(description="answered / sent (at most 1); null when none was sent")
    csat: CsatSet
    nps: NpsOut


class WeekFigures(SatisfactionFigures):
    week: str = Field(description="ISO week, e.g. 2026-W48")
    starts: str = Field(description="its Monday, YYYY-MM-DD")


class ProductFigures(SatisfactionFigures):
    product_id: str
    title: str


class VendorFigures(SatisfactionFigures):
    vendor_id: str
    vendor_name: str


class VendorSatisfaction(ApiModel):
    weeks: list[str] = Field(description="the period's ISO weeks, oldest first")
    totals: SatisfactionFigures
    trend: list[WeekFigures] = Field(description="one entry per week, empty weeks included")
    products: list[ProductFigures] = Field(description="products surveyed, least satisfying first (top 20)")


class AdminSatisfaction(VendorSatisfaction):
    vendors: list[VendorFigures] = Field(description="vendors surveyed, least satisfying first")


@route(bp, "/vendor/satisfaction", query=SatisfactionQuery, response=VendorSatisfaction, roles=("vendor",),
       tags=("vendor", *TAGS), errors=(400, 401, 403),
       summary="Your customers' satisfaction: CSAT, NPS, response rate, per week and per product")
def vendor_satisfaction(req):
    from chalicelib.services import survey_answers as surveys

    return VendorSatisfaction.model_validate(surveys.vendor_report(req.principal.user_id, weeks=req.query.weeks))


@route(bp, "/admin/satisfaction", query=AdminSatisfactionQuery, response=AdminSatisfaction, roles=("admin",),
       tags=("admin", *TAGS), errors=(400, 401, 403, 404),
       summary="Satisfaction across vendors (or one): CSAT, NPS, response rate, per week")
def admin_satisfaction(req):
    from chalicelib.services import survey_answers as surveys

    return AdminSatisfaction.model_validate(
        surveys.platform_report(vendor_id=req.query.vendor_id, weeks=req.query.weeks))


# --- the daily job -----------------------------------------------------------------------------------


@bp.schedule(Cron(0, 9, "*", "*", "?", "*"), name="send_surveys")
def send_surveys(event):
    """Send the satisfaction surveys due (delivered HALLES_SURVEY_AFTER_DAYS ago) and their one reminder."""
    from chalicelib.services import surveys

    # As of the time EventBridge scheduled the run (a late or retried run decides as the planned one
    # would); `python -m devstack fire send_surveys --event` can so run it as of another day.
    return surveys.send_surveys(scheduled_at(getattr(event, "time", None)))


@bp.schedule(Rate(5, unit=Rate.MINUTES), name="follow_up_surveys")
def follow_up_surveys(event):
    """Open the follow-up claims of low scores that the answering request could not open (the outbox of
    chalicelib/services/survey_answers.py): retried every run until done, once per survey."""
    from chalicelib.services import survey_answers

    return survey_answers.retry_follow_ups(scheduled_at(getattr(event, "time", None)))


def scheduled_at(value) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
