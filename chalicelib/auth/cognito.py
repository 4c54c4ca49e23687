"""The Cognito user pool adapter: the only module that talks to cognito-idp.

It translates Cognito's errors into domain errors so the use cases and the HTTP layer never
see botocore. The boto3 client is created on first use (cold start) and cached per
region/endpoint (the endpoint comes from botocore's own `AWS_ENDPOINT_URL`).

Confirmation: outside local mode the pool e-mails its verification code after `SignUp`
(`AutoVerifiedAttributes: email`), and the person sends it back through `confirm_sign_up`
(`ConfirmSignUp`); `resend_confirmation_code` asks for a new one. Only in local mode
(`HALLES_LOCAL_MODE=1`, no real mailbox) does `confirm_without_code` (`AdminConfirmSignUp`)
confirm right away; accounts.py decides which, from the explicit setting.

No user enumeration: an existing address is reported to the use case as `AccountExists` (never
as an HTTP error), and confirmation errors for unknown, already confirmed and wrong-code
accounts all read the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from chalicelib.domain.errors import DomainError, InvalidInput, Unauthorized
from chalicelib.settings import get_settings

BAD_CREDENTIALS = "Incorrect email or password."
# One message for a wrong code, an unknown address and an account confirmed already (no enumeration).
BAD_CODE = "This code does not confirm an account for this email. Check it, or ask for a new code."


class AccountExists(Exception):
    """Sign-up for an address that already has an account; the caller answers as for a new one."""


class TooManyAttempts(DomainError):
    """Cognito's rate limits (codes, attempts): answered 429."""

    code = "too_many_attempts"
    status = 429


@dataclass(frozen=True)
class CognitoUser:
    """A user as Cognito holds it: sub, e-mail, status."""

    sub: str
    email: str
    status: str
    enabled: bool
    name: str = ""  # the `name` attribute asked at sign-up


@dataclass(frozen=True)
class Tokens:
    """The tokens Cognito answers a sign-in or a refresh with."""

    access_token: str
    id_token: str
    refresh_token: str | None
    expires_in: int
    token_type: str = "Bearer"


@lru_cache(maxsize=8)
def _client_for(region: str, endpoint_url: str | None):
    from botocore.config import Config

    from chalicelib import aws_clients

    return aws_clients.client("cognito-idp", region_name=region, config=Config(connect_timeout=3, read_timeout=10))


def _client():
    settings = get_settings()
    return _client_for(settings.region, settings.endpoint_url)


def _code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def _message(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Message", "") or str(exc)


def sign_up(email: str, password: str, name: str) -> str:
    """Register a user (username = email); returns the user's `sub`."""
    from botocore.exceptions import ClientError

    settings = get_settings()
    try:
        response = _client().sign_up(
            ClientId=settings.user_pool_client_id,
            Username=email,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": name}],
        )
    except ClientError as exc:
        code = _code(exc)
        if code in ("UsernameExistsException", "AliasExistsException"):
            raise AccountExists(email) from None
        if code == "InvalidPasswordException":
            raise InvalidInput("The password does not meet the password policy.", code="weak_password",
                               fields={"password": _message(exc)}) from None
        if code == "InvalidParameterException":
            raise InvalidInput("Cognito refused the sign-up.", fields={"body": _message(exc)}) from None
        raise
    return response["UserSub"]


def confirm_without_code(email: str) -> None:
    """Confirm the account and mark its email verified (foundation/local only, see module doc)."""
    from botocore.exceptions import ClientError

    settings = get_settings()
    client = _client()
    try:
        client.admin_confirm_sign_up(UserPoolId=settings.user_pool_id, Username=email)
    except ClientError as exc:
        # Cognito refuses to confirm an already confirmed user; that is the state we want anyway.
        if _code(exc) != "NotAuthorizedException":
            raise
    client.admin_update_user_attributes(
        UserPoolId=settings.user_pool_id,
        Username=email,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )


def confirm_sign_up(email: str, code: str) -> None:
    """ConfirmSignUp with the code the pool mailed; wrong, expired and unusable codes are 400 naming `code`."""
    from botocore.exceptions import ClientError

    try:
        _client().confirm_sign_up(ClientId=get_settings().user_pool_client_id, Username=email, ConfirmationCode=code)
    except ClientError as exc:
        error = _code(exc)
        if error == "ExpiredCodeException":
            raise InvalidInput("This code has expired. Ask for a new one.", code="code_expired",
                               fields={"code": "expired"}) from None
        if error in ("CodeMismatchException", "UserNotFoundException", "NotAuthorizedException"):
            # NotAuthorized: already confirmed. Same answer as for an unknown address.
            raise InvalidInput(BAD_CODE, code="code_mismatch", fields={"code": "does not match"}) from None
        if error in ("TooManyFailedAttemptsException", "LimitExceededException", "TooManyRequestsException"):
            raise TooManyAttempts("Too many attempts. Wait a few minutes, then ask for a new code.",
                                  fields={"code": "too many attempts"}) from None
        if error == "InvalidParameterException":
            raise InvalidInput(BAD_CODE, code="code_mismatch", fields={"code": _message(exc)}) from None
        raise


def resend_confirmation_code(email: str) -> None:
    """ResendConfirmationCode. Unknown and already confirmed addresses are silently ignored (no enumeration)."""
    from botocore.exceptions import ClientError

    try:
        _client().resend_confirmation_code(ClientId=get_settings().user_pool_client_id, Username=email)
    except ClientError as exc:
        error = _code(exc)
        if error in ("UserNotFoundException", "InvalidParameterException", "NotAuthorizedException"):
            return
        if error in ("LimitExceededException", "TooManyRequestsException", "CodeDeliveryFailureException"):
            raise TooManyAttempts("Too many codes were asked for. Wait a few minutes and try again.",
                                  fields={"email": "too many attempts"}) from None
        raise


def add_to_group(email: str, group: str) -> None:
    """Idempotent: adding a member again is a no-op in Cognito."""
    _client().admin_add_user_to_group(UserPoolId=get_settings().user_pool_id, Username=email, GroupName=group)


def groups_of(email: str) -> set[str]:
    response = _client().admin_list_groups_for_user(UserPoolId=get_settings().user_pool_id, Username=email)
    return {group["GroupName"] for group in response.get("Groups", [])}


def set_password(email: str, password: str) -> None:
    from botocore.exceptions import ClientError

    try:
        _client().admin_set_user_password(
            UserPoolId=get_settings().user_pool_id, Username=email, Password=password, Permanent=True
        )
    except ClientError as exc:
        if _code(exc) == "InvalidPasswordException":
            raise InvalidInput("The password does not meet the password policy.", code="weak_password",
                               fields={"password": _message(exc)}) from None
        raise


def delete_user(email: str) -> None:
    _client().admin_delete_user(UserPoolId=get_settings().user_pool_id, Username=email)


def get_user(email: str) -> CognitoUser | None:
    from botocore.exceptions import ClientError

    try:
        response = _client().admin_get_user(UserPoolId=get_settings().user_pool_id, Username=email)
    except ClientError as exc:
        if _code(exc) == "UserNotFoundException":
            return None
        raise
    attributes = {a["Name"]: a["Value"] for a in response.get("UserAttributes", [])}
    return CognitoUser(
        sub=attributes.get("sub") or response["Username"],
        email=attributes.get("email", email),
        status=response.get("UserStatus", ""),
        enabled=bool(response.get("Enabled", True)),
        name=attributes.get("name", ""),
    )


def password_sign_in(email: str, password: str) -> Tokens:
    """USER_PASSWORD_AUTH. Unknown user and wrong password get the same answer (no user enumeration)."""
    from botocore.exceptions import ClientError

    settings = get_settings()
    try:
        response = _client().initiate_auth(
            ClientId=settings.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except ClientError as exc:
        code = _code(exc)
        if code in ("NotAuthorizedException", "UserNotFoundException"):
            raise Unauthorized(BAD_CREDENTIALS, code="bad_credentials",
                               fields={"credentials": "incorrect email or password"}) from None
        if code == "UserNotConfirmedException":
            raise Unauthorized("Confirm your email address before signing in.", code="user_not_confirmed",
                               fields={"email": "not confirmed"}) from None
        if code == "PasswordResetRequiredException":
            raise Unauthorized("This account must reset its password.", code="password_reset_required",
                               fields={"password": "reset required"}) from None
        raise
    return _tokens(response)


def refresh(refresh_token: str) -> Tokens:
    from botocore.exceptions import ClientError

    settings = get_settings()
    try:
        response = _client().initiate_auth(
            ClientId=settings.user_pool_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    except ClientError as exc:
        if _code(exc) in ("NotAuthorizedException", "UserNotFoundException", "ResourceNotFoundException"):
            raise Unauthorized("The refresh token is invalid, expired or revoked. Sign in again.",
                               code="invalid_refresh_token", fields={"refresh_token": "invalid"}) from None
        raise
    tokens = _tokens(response)
    # Cognito only returns a refresh token when it rotates it; keep handing back the one in use.
    return tokens if tokens.refresh_token else Tokens(**{**tokens.__dict__, "refresh_token": refresh_token})


def _tokens(response: dict) -> Tokens:
    result = response.get("AuthenticationResult")
    if not result:
        # A challenge (new password, MFA) this API does not drive yet.
        raise Unauthorized("This account needs an extra sign-in step that is not supported here.",
                           code="challenge_required", fields={"challenge": response.get("ChallengeName", "unknown")})
    return Tokens(
        access_token=result["AccessToken"],
        id_token=result["IdToken"],
        refresh_token=result.get("RefreshToken"),
        expires_in=int(result.get("ExpiresIn", 3600)),
        token_type=result.get("TokenType", "Bearer"),
    )


def find_by_sub(sub: str) -> CognitoUser | None:
    """The user whose `sub` (our user id) this is, or None (ListUsers filtered on `sub`: an exact match)."""
    if not sub or '"' in sub or "\\" in sub:
        return None
    users = _client().list_users(UserPoolId=get_settings().user_pool_id, Filter=f'sub = "{sub}"',
                                 Limit=1).get("Users", [])
    if not users:
        return None
    attributes = {a["Name"]: a["Value"] for a in users[0].get("Attributes", [])}
    return CognitoUser(sub=attributes.get("sub", sub), email=attributes.get("email", ""),
                       status=users[0].get("UserStatus", ""), enabled=bool(users[0].get("Enabled", True)),
                       name=attributes.get("name", ""))


def members_of_group(group: str) -> list[CognitoUser]:
    """Every enabled user of `group` (ListUsersInGroup, all pages): who a group-wide message reaches."""
    client = _client()
    members: list[CognitoUser] = []
    token: str | None = None
    while True:
        # Called by name (no paginator): scripts/function_access.py derives the IAM grant from these calls.
        page = client.list_users_in_group(UserPoolId=get_settings().user_pool_id, GroupName=group, Limit=60,
                                          **({"NextToken": token} if token else {}))
        for user in page.get("Users", []):
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            if not attributes.get("sub") or not bool(user.get("Enabled", True)):
                continue
            members.append(CognitoUser(sub=attributes["sub"], email=attributes.get("email", ""),
                                       status=user.get("UserStatus", ""), enabled=True,
                                       name=attributes.get("name", "")))
        token = page.get("NextToken")
        if not token:
            return members
