"""Account use cases: sign up, confirm, sign in, refresh, and the seed's `ensure_user`.

Roles live only in Cognito groups (and so in the tokens' `cognito:groups`). Sign-up lets a
person choose "shopper" or "vendor"; "admin" is never self-assigned and exists only through
`ensure_user` (the seed, an operator's script).

Sign-up never tells whether an address has an account (as Cognito's user-existence
protection): a new and an existing address get the same answer, and the owner of an existing
account is mailed instead (`account.signup_repeated`, at most once a day per address).
Outside local mode the pool mails a confirmation code that `confirm` checks; only
`HALLES_LOCAL_MODE=1` confirms at once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib import events
from chalicelib.auth import cognito
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import SignUpRepeated, UserSignedUp
from chalicelib.observability import count, logger
from chalicelib.settings import get_settings

GROUP_BY_ROLE = {"shopper": "shoppers", "vendor": "vendors", "admin": "admins"}
SELF_SERVICE_ROLES = ("shopper", "vendor")
# The user pool's password policy (infra/template.json, UserPool.Policies.PasswordPolicy; a test
# keeps both equal). Checked before Cognito so that a weak password is refused the same way
# whether the address has an account or not (Cognito checks existence first).
PASSWORD_MIN_LENGTH = 8
PASSWORD_NEEDS_LOWERCASE = True
PASSWORD_NEEDS_NUMBER = True


def normalize_email(email: str) -> str:
    # Cognito usernames are case-sensitive by default; one address must mean one account.
    return email.strip().lower()


def password_problem(password: str) -> str | None:
    """What the pool's password policy would refuse in `password`, or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"at least {PASSWORD_MIN_LENGTH} characters"
    if PASSWORD_NEEDS_LOWERCASE and not any(c.islower() for c in password):
        return "needs a lowercase letter"
    if PASSWORD_NEEDS_NUMBER and not any(c.isdigit() for c in password):
        return "needs a digit"
    return None


def sign_up(email: str, password: str, name: str, role: str, shop_name: str | None = None,
            locale: str = "") -> dict:
    """Create an account in the role's group (a vendor also gets its vendor record).

    The answer is the same whether or not the address already had an account. Outside local
    mode the account waits for its e-mailed code (`confirmation_required`).
    """
    if role not in SELF_SERVICE_ROLES:
        raise InvalidInput("This role cannot be chosen at sign-up.", fields={"role": "must be shopper or vendor"})
    shop_name = (shop_name or "").strip() or None
    if role == "vendor" and not shop_name:
        raise InvalidInput("A vendor account needs a shop name.", fields={"shop_name": "required for vendors"})
    problem = password_problem(password)
    if problem:
        raise InvalidInput("The password does not meet the password policy.", code="weak_password",
                           fields={"password": problem})
    email = normalize_email(email)
    name = name.strip()
    local_mode = get_settings().local_mode
    accepted = {"email": email, "role": role, "confirmation_required": not local_mode}

    try:
        user_id = cognito.sign_up(email, password, name)
    except cognito.AccountExists:
        _tell_the_owner(email)
        count("SignUpOnExistingAccount")
        return accepted
    try:
        if local_mode:
            cognito.confirm_without_code(email)
        cognito.add_to_group(email, GROUP_BY_ROLE[role])
        if role == "vendor":
            _register_vendor(user_id, shop_name)
    except Exception:
        # Without this the half-made account would block the address on every retry.
        logger.exception("sign-up failed after the Cognito user was created; removing it", extra={"user_id": user_id})
        try:
            cognito.delete_user(email)
        except Exception:
            logger.exception("could not remove the half-made Cognito user", extra={"user_id": user_id})
        raise

    _remember_locale(user_id, email, name, role, locale)
    if local_mode:
        _announce(user_id, email, name, role, locale)  # otherwise once the address is confirmed (see confirm)
    count("UserSignedUp", role=role)
    return accepted


def confirm(email: str, code: str) -> dict:
    """Confirm a sign-up with the code the pool mailed (400 naming `code` when it does not)."""
    email = normalize_email(email)
    cognito.confirm_sign_up(email, code.strip())
    # The welcome mail ("your account is ready") waits for a proven address. Deduplicated on the
    # user id, as at a local sign-up, so a repeated confirmation never welcomes twice.
    user = cognito.get_user(email)
    if user is not None:
        role = next((r for r, group in GROUP_BY_ROLE.items() if group in cognito.groups_of(email)), "shopper")
        _announce(user.sub, email, user.name, role)
    return {"email": email, "confirmed": True}


def resend_confirmation(email: str) -> dict:
    """Ask the pool for a new code; the same answer for unknown or confirmed addresses."""
    email = normalize_email(email)
    cognito.resend_confirmation_code(email)
    return {"email": email}


def _tell_the_owner(email: str) -> None:
    """Someone signed up with an address that has an account: tell its owner, not the requester.

    Through the notifications queue (as the welcome mail), deduplicated per address and day so that
    repeated attempts cannot flood the owner's mailbox. A failed publish is logged, never shown:
    the answer must not differ from a new sign-up's.
    """
    day = datetime.now(UTC).date().isoformat()
    try:
        events.publish(SignUpRepeated(email=email, day=day))
    except Exception:
        logger.exception("could not publish account.signup_repeated")
        count("EventPublishFailed", event_type=SignUpRepeated.event_type)


def sign_in(email: str, password: str) -> dict:
    """Tokens plus who they belong to (the `POST /auth/signin` body)."""
    return _session(cognito.password_sign_in(normalize_email(email), password))


def refresh(refresh_token: str) -> dict:
    return _session(cognito.refresh(refresh_token))


def ensure_user(email: str, password: str, role: str, name: str, *, shop_name: str | None = None) -> str:
    """Make sure a confirmed user with this password exists in the role's group; return its sub.

    Idempotent (the seed runs it on every start). Any role, admin included: this is an
    operator's tool, never reachable from the API. A vendor also gets its vendor record
    (named `shop_name`, or `name` when not given).
    """
    if role not in GROUP_BY_ROLE:
        raise InvalidInput("Unknown role.", fields={"role": f"one of {', '.join(GROUP_BY_ROLE)}"})
    email = normalize_email(email)
    user = cognito.get_user(email)
    if user is None:
        cognito.sign_up(email, password, name)
    cognito.confirm_without_code(email)
    cognito.set_password(email, password)
    cognito.add_to_group(email, GROUP_BY_ROLE[role])
    user = cognito.get_user(email)
    if user is None:  # pragma: no cover - Cognito just said it exists
        raise RuntimeError(f"user {email} vanished while being ensured")
    if role == "vendor":
        _register_vendor(user.sub, shop_name or name)
    return user.sub


def profile(principal) -> dict:
    """`GET /me`: who the token proves, with the name and email people recognise.

    An id token carries them; an access token only names the Cognito user (`username`), so
    they are read from the pool then.
    """
    name, email = principal.claims.get("name", ""), principal.claims.get("email", "")
    username = principal.claims.get("username") or principal.claims.get("cognito:username")
    if not (name and email) and username:
        user = cognito.get_user(username)
        if user is not None:
            name, email = name or user.name, email or user.email
    return {"user_id": principal.user_id, "roles": sorted(principal.roles), "name": name, "email": email}


def _register_vendor(user_id: str, shop_name: str) -> None:
    # Imported here: the catalogue's store adapters are only needed for vendor sign-ups.
    from chalicelib.services.vendors import register_vendor

    try:
        register_vendor(vendor_id=user_id, name=shop_name)
    except InvalidInput as err:
        # The catalogue names its own field; to the person signing up it is the shop name.
        raise InvalidInput(err.message, code=err.code, fields={"shop_name": "; ".join(err.fields.values())}) from None


def _remember_locale(user_id: str, email: str, name: str, role: str, locale: str) -> None:
    """The language the person signed up in (their browser's Accept-Language), for every message we send
    them; a failure costs the language (English until they choose), never the account."""
    try:
        from chalicelib.store import notifications as notification_store

        notification_store.put_profile_if_absent(user_id, email=email, name=name, role=role, locale=locale or None)
    except Exception:
        logger.exception("could not store the new account's locale", extra={"user_id": user_id})


def _announce(user_id: str, email: str, name: str, role: str, locale: str = "") -> None:
    """Publish `user.signed_up`. The account is complete by now, so a failed publish costs a
    welcome mail, not the account: it is logged and counted rather than failing the sign-up."""
    try:
        events.publish(UserSignedUp(user_id=user_id, email=email, name=name, role=role, locale=locale))
    except Exception:
        logger.exception("could not publish user.signed_up", extra={"user_id": user_id})
        count("EventPublishFailed", event_type=UserSignedUp.event_type)


def _session(tokens: cognito.Tokens) -> dict:
    from chalicelib.auth.tokens import Principal, principal_from_header

    # Verified like any incoming token, so the roles reported here are exactly what the API will enforce.
    principal: Principal = principal_from_header(f"Bearer {tokens.id_token}")
    who = profile(principal)
    return {
        "access_token": tokens.access_token,
        "id_token": tokens.id_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": tokens.expires_in,
        "token_type": "Bearer",
        "user": {
            "user_id": principal.user_id,
            "email": principal.claims.get("email", "") or who["email"],
            "name": who["name"],
            "roles": sorted(principal.roles),
        },
    }
