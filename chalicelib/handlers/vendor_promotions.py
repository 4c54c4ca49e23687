"""Vendor promotion routes (`/vendor/promotions`). The vendor is always the signed-in principal."""

from typing import Literal

from chalice import Blueprint
from pydantic import AwareDatetime, ConfigDict, Field

from chalicelib.api import HeaderDoc, json_response, route
from chalicelib.domain.input_limits import PROMOTION_MAX_PERCENT as MAX_PERCENT
from chalicelib.domain.input_limits import PROMOTION_MAX_TARGETED_OFFERS as MAX_TARGETED_OFFERS
from chalicelib.domain.input_limits import PROMOTION_MIN_PERCENT as MIN_PERCENT
from chalicelib.domain.limits import MAX_LINE_QUANTITY
from chalicelib.schema import ApiModel, StrictInteger, Text

bp = Blueprint(__name__)
VENDOR = ("vendor",)

IDEMPOTENCY_KEY = HeaderDoc(
    "Idempotency-Key", "Required, 8 to 128 characters: a new random value per promotion, the same one when "
    "retrying it. The same key creates the promotion once and answers it again; another body with it is a 422.",
    required=True)


class PromotionIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(description="1 to 80 characters, shown to you (not to shoppers)")
    kind: Literal["percent", "amount"] = Field(description="percent off, or an amount off each unit")
    value: StrictInteger = Field(description=f"percent: {MIN_PERCENT} to {MAX_PERCENT}; amount: minor units off "
                                             "each unit, never taking an offer to 0 or below the minimum charge")
    starts_at: AwareDatetime = Field(description="ISO 8601 with a time zone (stored in UTC, whole seconds)")
    ends_at: AwareDatetime = Field(description="after starts_at, in the future (exclusive)")
    min_quantity: StrictInteger = Field(1, ge=1, le=MAX_LINE_QUANTITY,
                                        description="units of the same offer on one cart line for it to apply")
    offer_ids: list[Text] = Field(default_factory=list, max_length=MAX_TARGETED_OFFERS,
                                  description="your offers it applies to; empty: all of your offers")


class PromotionOut(ApiModel):
    promotion_id: str
    name: str
    kind: str
    value: int
    currency: str
    starts_at: str
    ends_at: str
    min_quantity: int
    offer_ids: list[str]
    status: str = Field(description="scheduled | active | ended")
    ended_early_at: str | None = None
    created_at: str
    version: int = Field(1, description="Send it back with an edit: a promotion changed meanwhile is a 409")


class PromotionEdit(ApiModel):
    """Only what is sent changes; the kind and the targeted offers never do (create another promotion)."""

    model_config = ConfigDict(extra="forbid")

    version: StrictInteger = Field(ge=1, description="The version you read (PromotionOut.version)")
    name: Text | None = Field(None, description="1 to 80 characters")
    value: StrictInteger | None = Field(None, description="As when creating it, for its kind")
    starts_at: AwareDatetime | None = Field(None, description="A new start cannot be in the past")
    ends_at: AwareDatetime | None = Field(None, description="After starts_at, in the future (exclusive)")
    min_quantity: StrictInteger | None = Field(None, ge=1, le=MAX_LINE_QUANTITY)


class PromotionList(ApiModel):
    items: list[PromotionOut]


def _terms(body: PromotionIn) -> dict:
    from chalicelib.domain.timestamps import iso

    data = body.model_dump()
    data["starts_at"], data["ends_at"] = iso(body.starts_at), iso(body.ends_at)
    return data


@route(bp, "/vendor/promotions", "POST", body=PromotionIn, response=PromotionOut, roles=VENDOR, status=201,
       also=(200,), tags=("vendor",), errors=(400, 401, 403, 422), headers=(IDEMPOTENCY_KEY,),
       summary="Create a promotion on your offers, once per Idempotency-Key (201; 200 when repeated)")
def vendor_create_promotion(req):
    from chalicelib.services import promotions

    promotion, created = promotions.create_promotion(req.principal.user_id, _terms(req.body),
                                                     req.header("Idempotency-Key"))
    return json_response(PromotionOut.model_validate(promotion).model_dump(mode="json"), 201 if created else 200,
                         req.correlation_id)


@route(bp, "/vendor/promotions", response=PromotionList, roles=VENDOR, tags=("vendor",), errors=(401, 403),
       summary="Your promotions, latest start first")
def vendor_list_promotions(req):
    from chalicelib.services import promotions

    return PromotionList.model_validate(promotions.list_promotions(req.principal.user_id))


@route(bp, "/vendor/promotions/{promotion_id}", response=PromotionOut, roles=VENDOR, tags=("vendor",),
       errors=(401, 403, 404), summary="One of your promotions")
def vendor_get_promotion(req):
    from chalicelib.services import promotions

    return PromotionOut.model_validate(promotions.get_promotion(req.principal.user_id, req.params["promotion_id"]))


@route(bp, "/vendor/promotions/{promotion_id}", "PATCH", body=PromotionEdit, response=PromotionOut, roles=VENDOR,
       tags=("vendor",), errors=(400, 401, 403, 404, 409),
       summary="Edit a scheduled or running promotion: name, value, window, minimum quantity (409 when it "
               "changed since you read it, or ended)")
def vendor_edit_promotion(req):
    from chalicelib.domain.timestamps import iso
    from chalicelib.services import promotions

    changes = req.body.model_dump(exclude_unset=True, exclude={"version"})
    nulls = sorted(name for name, value in changes.items() if value is None)
    if nulls:
        from chalicelib.domain.errors import InvalidInput

        raise InvalidInput("Leave out what does not change; null is not a value.",
                           fields={name: "null: leave it out" for name in nulls})
    for name in ("starts_at", "ends_at"):
        if name in changes:
            changes[name] = iso(changes[name])
    return PromotionOut.model_validate(promotions.revise_promotion(
        req.principal.user_id, req.params["promotion_id"], changes, req.body.version))


@route(bp, "/vendor/promotions/{promotion_id}/end", "POST", response=PromotionOut, roles=VENDOR, tags=("vendor",),
       errors=(401, 403, 404), summary="End a promotion now (a scheduled one never starts); safe to repeat")
def vendor_end_promotion(req):
    from chalicelib.services import promotions

    return PromotionOut.model_validate(promotions.end_promotion(req.principal.user_id, req.params["promotion_id"]))
