"""Accounts over HTTP: sign up, confirm the e-mailed code, sign in, refresh, and who am I."""

import re
from typing import Annotated, Literal

from chalice import Blueprint
from pydantic import AfterValidator, ConfigDict, Field

from chalicelib.api import route
from chalicelib.schema import ApiModel, Text, bounded, clean_text

bp = Blueprint(__name__)

# Deliberately simple (Cognito has the last word): one @, no spaces, a dot in the domain.
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


class _Strict(ApiModel):
    # Unknown fields are refused: identity and roles never come from a request body.
    # No whitespace stripping: it would silently change passwords.
    model_config = ConfigDict(extra="forbid")


def _email(value: str) -> str:
    value = clean_text(value)
    if len(value) > 254 or not EMAIL_PATTERN.match(value):
        raise ValueError("not a valid email address")
    return value.lower()


PersonName = bounded(Text, 1, 100)
# Same bounds as the catalogue's vendor record, so a bad name is refused before any account exists.
ShopName = bounded(Text, 2, 80)
Email = Annotated[str, Field(max_length=254, examples=["ada@example.com"]), AfterValidator(_email)]


class SignUpBody(_Strict):
    email: Email
    password: str = Field(min_length=8, max_length=256)
    name: PersonName
    role: Literal["shopper", "vendor"]
    # Required for vendors (checked by the use case, so the error names `shop_name`).
    shop_name: ShopName | None = Field(default=None, description="The shop's public name; required when role is vendor.")


class SignUpResponse(ApiModel):
    # The same for an address that already has an account (its owner is mailed instead): no
    # user id here, nothing that would tell one case from the other.
    email: str
    role: str
    confirmation_required: bool = Field(
        description="true: the account waits for the code mailed to `email` (POST /auth/confirm); "
                    "false: the account is ready (local stack only)")


class ConfirmBody(_Strict):
    email: Email
    code: str = Field(min_length=1, max_length=32, pattern=r"^\s*\S+\s*$", examples=["123456"],
                      description="The code the confirmation mail contains")


class ConfirmResponse(ApiModel):
    email: str
    confirmed: bool


class ResendBody(_Strict):
    email: Email


class ResendResponse(ApiModel):
    email: str


class SignInBody(_Strict):
    email: Email
    password: str = Field(min_length=1, max_length=256)


class RefreshBody(_Strict):
    refresh_token: str = Field(min_length=1, max_length=8192)


class SessionUser(ApiModel):
    user_id: str
    email: str
    name: str = Field("", description="the name given at sign-up (shown instead of the email)")
    roles: list[str]


class SessionResponse(ApiModel):
    access_token: str
    id_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"
    user: SessionUser


class MeResponse(ApiModel):
    user_id: str
    roles: list[str]
    name: str = Field("", description="the name given at sign-up")
    email: str = ""


@route(bp, "/auth/signup", "POST", body=SignUpBody, response=SignUpResponse, status=201, tags=("auth",),
       errors=(400,), summary="Create a shopper or vendor account (then confirm the mailed code)")
def auth_sign_up(req):
    from chalicelib.domain.notifications import locale_from_accept_language
    from chalicelib.services import accounts

    b: SignUpBody = req.body
    return accounts.sign_up(b.email, b.password, b.name, b.role, shop_name=b.shop_name,
                            locale=locale_from_accept_language(req.header("Accept-Language")))


@route(bp, "/auth/confirm", "POST", body=ConfirmBody, response=ConfirmResponse, tags=("auth",), errors=(400, 429),
       summary="Confirm a sign-up with the code mailed to its address")
def auth_confirm(req):
    from chalicelib.services import accounts

    return accounts.confirm(req.body.email, req.body.code)


@route(bp, "/auth/confirm/resend", "POST", body=ResendBody, response=ResendResponse, status=202, tags=("auth",),
       errors=(400, 429), summary="Mail a new confirmation code (same answer for any address)")
def auth_confirm_resend(req):
    from chalicelib.services import accounts

    return accounts.resend_confirmation(req.body.email)


@route(bp, "/auth/signin", "POST", body=SignInBody, response=SessionResponse, tags=("auth",), errors=(400, 401),
       summary="Sign in with email and password")
def auth_sign_in(req):
    from chalicelib.services import accounts

    return accounts.sign_in(req.body.email, req.body.password)


@route(bp, "/auth/refresh", "POST", body=RefreshBody, response=SessionResponse, tags=("auth",), errors=(400, 401),
       summary="Exchange a refresh token for new access and id tokens")
def auth_refresh(req):
    from chalicelib.services import accounts

    return accounts.refresh(req.body.refresh_token)


@route(bp, "/me", "GET", response=MeResponse, roles=(), tags=("auth",), errors=(401,),
       summary="The signed-in user, as the token proves it")
def me(req):
    from chalicelib.services import accounts

    return accounts.profile(req.principal)
