"""`GET /vendors/{vendor_id}`: a shop's public page (no sign-in). Public fields only: see
chalicelib/domain/vendor_pages.py for what is shown and why the rest is not."""

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import route
from chalicelib.schema import ApiModel

bp = Blueprint(__name__)


class ReturnPolicyOut(ApiModel):
    text: str | None = Field(description="the shop's own words; null before it wrote them")
    window_days: int = Field(description="days after delivery to ask for a return (14 at least)")
    restocking_percent: int = Field(description="kept from a refund when the shopper changed their mind")


class RatingOut(ApiModel):
    average: float | None = Field(description="mean score, 1 to 5")
    satisfied_rate: float | None = Field(description="share of 4s and 5s")


class PublicRatings(ApiModel):
    answers: int = Field(description="survey answers counted (3 at least, else no ratings are shown)")
    weeks: int = Field(description="over the last this many weeks")
    vendor: RatingOut
    delivery: RatingOut
    order: RatingOut


class PublicVendor(ApiModel):
    vendor_id: str
    name: str = Field(description="the shop's name")
    country: str | None = Field(description="ISO 3166-1 alpha-2 country the shop sells from")
    shipping_origin: str | None = Field(description="where parcels leave from")
    logo_url: str | None
    return_policy: ReturnPolicyOut
    ratings: PublicRatings | None = Field(description="anonymised survey averages; null until 3 answers")


@route(bp, "/vendors/{vendor_id}", response=PublicVendor, tags=("catalog",), errors=(404,),
       summary="A shop's public page: name, country, return policy, ratings (404 unless approved)")
def public_vendor(req):
    from chalicelib.services import vendor_pages

    return PublicVendor.model_validate(vendor_pages.public_vendor(req.params["vendor_id"]))
