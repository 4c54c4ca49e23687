"""Accounts through the API: sign up, sign in, refresh, /me, and every way a token can be wrong."""

from __future__ import annotations

import uuid

from tests.fixtures.auth import SIGNUP_PASSWORD as PASSWORD
from tests.fixtures.auth import new_email, signup
from tests.fixtures.aws import call


def signin(client, email, password=PASSWORD):
    return call(client, "POST", "/auth/signin", {"email": email, "password": password})


# --- Signing up, in, and refreshing ---------------------------------------------------------------

def test_a_shopper_signs_up_signs_in_and_is_known_by_me(app_client):
    email = new_email()
    status, body, _ = signup(app_client, email=email.upper())
    assert status == 201
    assert body == {"email": email, "role": "shopper", "confirmation_required": False}  # local mode

    status, session, _ = signin(app_client, email)
    assert status == 200
    assert session["token_type"] == "Bearer"
    assert session["expires_in"] > 0
    assert session["refresh_token"]
    user_id = session["user"]["user_id"]
    assert session["user"] == {"user_id": user_id, "email": email, "name": "Ada", "roles": ["shopper"]}

    for token in (session["access_token"], session["id_token"]):
        status, me, _ = call(app_client, "GET", "/me", token=token)
        assert (status, me) == (200, {"user_id": user_id, "roles": ["shopper"], "name": "Ada", "email": email})


def test_sign_in_ignores_the_case_of_the_email(app_client):
    email = new_email()
    signup(app_client, email=email)
    assert signin(app_client, email.upper())[0] == 200


def test_a_refresh_token_gives_new_working_tokens(app_client, make_user):
    user = make_user()
    status, session, _ = call(app_client, "POST", "/auth/refresh", {"refresh_token": user.refresh_token})
    assert status == 200
    assert session["refresh_token"] == user.refresh_token
    assert session["user"]["user_id"] == user.user_id
    assert call(app_client, "GET", "/me", token=session["access_token"])[1]["user_id"] == user.user_id


def test_an_unknown_refresh_token_is_401(app_client, stack):
    status, body, _ = call(app_client, "POST", "/auth/refresh", {"refresh_token": str(uuid.uuid4())})
    assert status == 401
    assert "refresh_token" in body["error"]["fields"]


def test_a_vendor_signs_up_with_a_shop_and_gets_the_vendor_role(app_client):
    email = new_email()
    status, body, _ = signup(app_client, email=email, role="vendor", shop_name="Fromagerie Ada")
    assert status == 201 and body["role"] == "vendor"
    session = signin(app_client, email)[1]
    assert call(app_client, "GET", "/me", token=session["access_token"])[1]["roles"] == ["vendor"]


def test_a_vendor_must_name_its_shop(app_client):
    status, body, _ = signup(app_client, role="vendor")
    assert status == 400
    assert "shop_name" in body["error"]["fields"]


# --- Refused sign-ups and sign-ins -----------------------------------------------------------------

def test_an_email_can_only_be_registered_once_whatever_its_case(app_client):
    email = new_email()
    first = signup(app_client, email=email)
    session = signin(app_client, email)[1]
    for again in (email, email.upper()):
        status, body, _ = signup(app_client, email=again, password="An0therPassword", name="Mallory")
        assert (status, body) == (first[0], first[1])  # no "email taken": see test_signup_confirmation.py
    # The account is untouched: same user, same password.
    assert signin(app_client, email)[1]["user"]["user_id"] == session["user"]["user_id"]
    assert signin(app_client, email, "An0therPassword")[0] == 401


# (Cases are looped inside one test: each test deploys a whole stack, the loop keeps the suite fast.)

def test_a_weak_password_is_400_naming_password(app_client):
    for password in ("short1", "allletters", "12345678"):  # too short; Cognito's policy: digits, lowercase
        status, body, _ = signup(app_client, password=password)
        assert (status, list(body["error"]["fields"])) == (400, ["password"]), password


def test_a_bad_email_is_400_naming_email(app_client):
    for email in ("not-an-email", "a@b", "a b@example.com", "@example.com", ""):
        status, body, _ = signup(app_client, email=email)
        assert status == 400 and "email" in body["error"]["fields"], email


def test_no_one_can_sign_up_as_admin_or_an_unknown_role(app_client):
    for role in ("admin", "superuser", ""):
        status, body, _ = signup(app_client, role=role)
        assert status == 400 and "role" in body["error"]["fields"], role


def test_identity_and_roles_cannot_be_smuggled_in_the_body(app_client):
    status, body, _ = signup(app_client, user_id="someone-else", roles=["admin"])
    assert status == 400
    assert {"user_id", "roles"} <= set(body["error"]["fields"])


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(app_client, make_user):
    user = make_user()
    wrong = signin(app_client, user.email, "Wr0ngPassword")
    unknown = signin(app_client, new_email())
    assert wrong[0] == unknown[0] == 401
    assert wrong[1]["error"]["message"] == unknown[1]["error"]["message"]
    assert wrong[1]["error"]["fields"] == unknown[1]["error"]["fields"]


# --- /me and tokens that must not work -------------------------------------------------------------

def test_me_needs_a_token(app_client):
    status, body, _ = call(app_client, "GET", "/me")
    assert status == 401
    assert "Authorization" in body["error"]["fields"]


def test_me_refuses_a_non_bearer_header(app_client, make_user):
    user = make_user()
    status, body, _ = call(app_client, "GET", "/me", headers={"Authorization": f"Basic {user.access_token}"})
    assert status == 401
    assert "Authorization" in body["error"]["fields"]


FORGERIES = {
    "signed with another key": lambda f, u: f.own_key(sub=u.user_id),
    "HS256 keyed with the client id": lambda f, u: f.hs256(sub=u.user_id),
    "alg none": lambda f, u: f.unsigned(sub=u.user_id),
    "expired": lambda f, u: f.moto_signed(sub=u.user_id, lifetime=-600),
    "from another pool": lambda f, u: f.moto_signed(
        sub=u.user_id, iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_someoneelse"),
    "access token for another client": lambda f, u: f.moto_signed(sub=u.user_id, client_id="another-client"),
    "id token for another audience": lambda f, u: f.moto_signed(sub=u.user_id, token_use="id", aud="another-client"),
    "refresh-use token": lambda f, u: f.moto_signed(sub=u.user_id, token_use="refresh"),
    "admin groups on a forged signature": lambda f, u: f.own_key(sub=u.user_id, groups=("admins",)),
}


def test_me_refuses_forged_and_invalid_tokens(app_client, make_user, forge):
    user = make_user()
    for forgery, make_token in FORGERIES.items():
        status, body, _ = call(app_client, "GET", "/me", token=make_token(forge, user))
        assert status == 401 and body["error"]["fields"]["Authorization"], forgery


def test_a_genuine_token_minted_by_the_test_forge_is_accepted(app_client, make_user, forge):
    # Proves the forgeries above are refused for the reason they name, not for a shape mistake.
    user = make_user()
    status, body, _ = call(app_client, "GET", "/me", token=forge.moto_signed(sub=user.user_id, groups=("vendors",)))
    assert status == 200 and (body["user_id"], body["roles"]) == (user.user_id, ["vendor"])


def test_identity_comes_from_the_token_not_the_request(app_client, make_user):
    alice, bob = make_user(), make_user()
    status, body, _ = call(app_client, "GET", "/me?user_id=" + bob.user_id, token=alice.access_token,
                           headers={"X-User-Id": bob.user_id})
    assert (status, body["user_id"]) == (200, alice.user_id)


# --- Roles -----------------------------------------------------------------------------------------

def test_a_shopper_token_on_a_vendor_route_is_403(app_client, make_user):
    shopper = make_user("shopper")
    status, body, _ = call(app_client, "GET", "/vendor/offers", token=shopper.access_token)
    assert status == 403
    assert "role" in body["error"]["fields"]


def test_a_vendor_token_opens_the_vendor_route(app_client, make_user):
    vendor = make_user("vendor")
    assert call(app_client, "GET", "/vendor/offers", token=vendor.access_token)[0] == 200


def test_an_admin_exists_only_through_ensure_user_and_it_is_idempotent(app_client, make_user, stack):
    from chalicelib.services import accounts

    admin = make_user("admin")
    assert call(app_client, "GET", "/me", token=admin.access_token)[1]["roles"] == ["admin"]
    again = accounts.ensure_user(admin.email, admin.password, "admin", "Test")
    assert again == admin.user_id
    assert signin(app_client, admin.email, admin.password)[1]["user"]["roles"] == ["admin"]


# --- Partial failures ------------------------------------------------------------------------------

def test_a_sign_up_that_fails_half_way_leaves_the_email_free_for_a_retry(app_client, monkeypatch):
    from chalicelib.services import vendors

    def catalogue_down(**_):
        raise ConnectionError("vendors table unreachable")

    email = new_email()
    with monkeypatch.context() as patch:
        patch.setattr(vendors, "register_vendor", catalogue_down)
        status, body, _ = signup(app_client, email=email, role="vendor", shop_name="Fromagerie Ada")
    assert status == 500 and "Traceback" not in str(body)

    assert signup(app_client, email=email, role="vendor", shop_name="Fromagerie Ada")[0] == 201
    assert signin(app_client, email)[1]["user"]["roles"] == ["vendor"]


def test_a_lost_welcome_event_does_not_cost_the_account(app_client, monkeypatch, stack):
    monkeypatch.setenv("HALLES_NOTIFICATIONS_QUEUE_URL", stack.queues["notifications"] + "-gone")
    email = new_email()
    assert signup(app_client, email=email)[0] == 201
    assert signin(app_client, email)[0] == 200
