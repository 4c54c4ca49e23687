"""Vendor onboarding routes: the shop profile, Stripe Connect onboarding and its status.

The vendor is always the signed-in principal; no body names a vendor, an account, an approval.
"""

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import route
from chalicelib.schema import ApiModel, MultilineText, Text

bp = Blueprint(__name__)
VENDOR = ("vendor",)
TAGS = ("vendor",)


class ProfileIn(ApiModel):
    """The shop's public and legal details. Rules (lengths, country, e-mail form) are the domain's."""

    model_config = ConfigDict(extra="forbid")

    legal_name: Text = Field(max_length=200, description="The legal name of the business")
    country: Text = Field(max_length=8, description="ISO 3166-1 alpha-2 (FR, DE, GB...); fixed once onboarding began")
    support_email: Text = Field(max_length=254)
    return_policy: MultilineText = Field(max_length=4000, description="20 to 2000 characters")
    shipping_origin: Text = Field(max_length=200, description="Where parcels leave from (city, country)")
    logo_url: Text | None = Field(default=None, max_length=600, description="https:// address of the logo")


class Profile(ApiModel):
    legal_name: str
    country: str
    support_email: str
    return_policy: str
    shipping_origin: str
    logo_url: str | None = None


class ProfileOut(ApiModel):
    shop_name: str
    profile: Profile | None = Field(description="null until the vendor fills it in")


class AccountOut(ApiModel):
    connected: bool = Field(description="a Stripe connected account exists")
    charges_enabled: bool
    payouts_enabled: bool
    transfers: str = Field(description="the transfers capability: active | inactive | pending")
    currently_due: list[str] = Field(description="Stripe's requirement ids still due")
    disabled_reason: str | None


class OnboardingOut(ApiModel):
    step: str = Field(description="start_onboarding | continue_onboarding | wait_for_stripe | wait_for_approval | "
                                  "suspended | ready")
    next_step: str = Field(description="what to do next, in plain words")
    can_sell: bool = Field(description="offers are live: transfers active, approved and not suspended")
    needs: list[str] = Field(description="what Stripe still needs, in plain words")
    approval: str = Field(description="pending | approved | suspended")
    suspended_reason: str | None
    has_profile: bool
    account: AccountOut


class OnboardingLinkOut(ApiModel):
    url: str = Field(description="Stripe's hosted onboarding: send the browser there (single-use, expires soon)")
    expires_at: int | None


@route(bp, "/vendor/profile", response=ProfileOut, roles=VENDOR, tags=TAGS, errors=(401, 403),
       summary="Your shop profile")
def vendor_get_profile(req):
    from chalicelib.services import onboarding

    return ProfileOut.model_validate(onboarding.get_profile(req.principal.user_id))


@route(bp, "/vendor/profile", "PUT", body=ProfileIn, response=ProfileOut, roles=VENDOR, tags=TAGS,
       errors=(400, 401, 403, 409), summary="Set your shop profile (each wrong field named)")
def vendor_put_profile(req):
    from chalicelib.services import onboarding

    return ProfileOut.model_validate(onboarding.update_profile(req.principal.user_id, req.body.model_dump()))


@route(bp, "/vendor/onboarding", response=OnboardingOut, roles=VENDOR, tags=TAGS, errors=(401, 403),
       summary="Where your onboarding stands and what to do next")
def vendor_onboarding_status(req):
    from chalicelib.services import onboarding

    return OnboardingOut.model_validate(onboarding.get_status(req.principal.user_id))


@route(bp, "/vendor/onboarding/link", "POST", response=OnboardingLinkOut, roles=VENDOR, status=201, tags=TAGS,
       errors=(401, 403, 409, 502, 503),
       summary="Continue onboarding with Stripe: a fresh Account Link (your account is created the first time)")
def vendor_onboarding_link(req):
    from chalicelib.services import onboarding

    email = req.principal.claims.get("email") if isinstance(req.principal.claims, dict) else None
    return OnboardingLinkOut.model_validate(onboarding.start_onboarding(req.principal.user_id, email))
