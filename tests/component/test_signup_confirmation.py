"""Sign-up without user enumeration, and e-mail confirmation outside the local mode.

moto's Cognito: `ConfirmSignUp` accepts any code (it keeps none for sign-ups) and
`ResendConfirmationCode` is not implemented, so the happy path runs against moto and Cognito's
documented error answers are played by botocore's Stubber on the adapter's own client.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from tests.fixtures.auth import SIGNUP_PASSWORD as PASSWORD
from tests.fixtures.auth import new_email, signup
from tests.fixtures.aws import REGION, call


def shape(body):
    """Keys and value types, recursively: what tells two answers apart without reading values."""
    if isinstance(body, dict):
        return {k: shape(v) for k, v in body.items() if k != "correlation_id"}
    return type(body).__name__


def deliver_notifications(app_client, stack) -> None:
    """Run what the notifications queue holds through the app's consumer (as the pump / Lambda would)."""
    from tests.component.test_notifications import consume, sqs_event

    sqs = boto3.client("sqs", region_name=REGION)
    while messages := sqs.receive_message(QueueUrl=stack.queues["notifications"], MaxNumberOfMessages=10
                                          ).get("Messages"):
        assert consume(app_client, sqs_event([m["Body"] for m in messages])) == {"batchItemFailures": []}
        sqs.delete_message_batch(QueueUrl=stack.queues["notifications"], Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])


def mails_to(address: str) -> list:
    """The mails moto's SES accepted for `address`, parsed (MIME) as the local outbox shows them."""
    from devstack.outbox import sent_mails

    return [m for m in sent_mails(REGION) if address in m.to]


@pytest.fixture
def deployed_mode(stack, payments, monkeypatch):
    """The app as in AWS: no local mode, every required setting configured."""
    monkeypatch.delenv("HALLES_LOCAL_MODE")
    monkeypatch.setenv("HALLES_FRONTEND_URL", "https://shop.example")
    monkeypatch.setenv("HALLES_API_KEY_PEPPER", "deployed-pepper")


# --- No enumeration ---------------------------------------------------------------------------------

def test_sign_up_answers_the_same_for_a_taken_address_and_mails_its_owner(app_client, stack):
    taken = new_email()
    assert signup(app_client, email=taken)[0] == 201
    deliver_notifications(app_client, stack)  # the welcome mail

    fresh = signup(app_client, email=new_email())
    again = signup(app_client, email=taken.upper(), name="Mallory", role="vendor", shop_name="Mallory's")
    assert again[0] == fresh[0] == 201
    assert shape(again[1]) == shape(fresh[1])
    assert again[1]["confirmation_required"] == fresh[1]["confirmation_required"]

    deliver_notifications(app_client, stack)
    subjects = [m.subject for m in mails_to(taken)]
    assert subjects[1:] == ["Your Halles account already exists"]
    assert "No new account was created" in mails_to(taken)[-1].text


def test_repeated_sign_ups_on_a_taken_address_mail_its_owner_once_a_day(app_client, stack):
    taken = new_email()
    signup(app_client, email=taken)
    for _ in range(3):
        signup(app_client, email=taken)
    deliver_notifications(app_client, stack)
    assert [m.subject for m in mails_to(taken)].count("Your Halles account already exists") == 1


def test_a_weak_password_is_refused_the_same_way_for_a_taken_address(app_client):
    taken = new_email()
    signup(app_client, email=taken)
    on_taken = signup(app_client, email=taken, password="allletters")
    on_fresh = signup(app_client, email=new_email(), password="allletters")
    assert on_taken[0] == on_fresh[0] == 400
    assert on_taken[1]["error"]["fields"] == on_fresh[1]["error"]["fields"] == {"password": "needs a digit"}


def test_the_checked_password_policy_is_the_pools(stack):
    from chalicelib.services import accounts
    from devstack.infra import load_template

    policy = load_template()["Resources"]["UserPool"]["Properties"]["Policies"]["PasswordPolicy"]
    assert (policy["MinimumLength"], policy["RequireLowercase"], policy["RequireNumbers"]) == (
        accounts.PASSWORD_MIN_LENGTH, accounts.PASSWORD_NEEDS_LOWERCASE, accounts.PASSWORD_NEEDS_NUMBER)
    assert not policy["RequireUppercase"] and not policy["RequireSymbols"]


# --- Confirmation outside the local mode ------------------------------------------------------------

def test_outside_local_mode_sign_up_waits_for_the_mailed_code(app_client, deployed_mode):
    email = new_email()
    status, body, _ = signup(app_client, email=email)
    assert (status, body) == (201, {"email": email, "role": "shopper", "confirmation_required": True})

    status, refused, _ = call(app_client, "POST", "/auth/signin", {"email": email, "password": PASSWORD})
    assert (status, refused["error"]["code"]) == (401, "user_not_confirmed")

    status, confirmed, _ = call(app_client, "POST", "/auth/confirm", {"email": email.upper(), "code": "123456"})
    assert (status, confirmed) == (200, {"email": email, "confirmed": True})
    status, session, _ = call(app_client, "POST", "/auth/signin", {"email": email, "password": PASSWORD})
    assert (status, session["user"]["roles"]) == (200, ["shopper"])


def test_outside_local_mode_a_taken_address_gets_the_same_answer(app_client, deployed_mode):
    taken = new_email()
    first = signup(app_client, email=taken)
    again = signup(app_client, email=taken)
    fresh = signup(app_client, email=new_email())
    assert first[:2] == again[:2]
    assert (again[0], shape(again[1]), again[1]["confirmation_required"]) == (
        fresh[0], shape(fresh[1]), fresh[1]["confirmation_required"])


def test_in_local_mode_sign_up_is_ready_at_once(app_client):
    email = new_email()
    assert signup(app_client, email=email)[1]["confirmation_required"] is False
    assert call(app_client, "POST", "/auth/signin", {"email": email, "password": PASSWORD})[0] == 200


def stubbed_cognito(stack):
    from chalicelib.auth import cognito

    return Stubber(cognito._client())


@pytest.mark.parametrize(("cognito_error", "status", "code"), [
    ("CodeMismatchException", 400, "code_mismatch"),
    ("ExpiredCodeException", 400, "code_expired"),
    ("UserNotFoundException", 400, "code_mismatch"),  # unknown address: same as a wrong code
    ("NotAuthorizedException", 400, "code_mismatch"),  # confirmed already: same as a wrong code
    ("TooManyFailedAttemptsException", 429, "too_many_attempts"),
])
def test_a_refused_code_is_a_clear_error_naming_code(app_client, stack, cognito_error, status, code):
    with stubbed_cognito(stack) as stub:
        stub.add_client_error("confirm_sign_up", service_error_code=cognito_error, http_status_code=400)
        answer = call(app_client, "POST", "/auth/confirm", {"email": new_email(), "code": "000000"})
    assert (answer[0], answer[1]["error"]["code"]) == (status, code)
    assert list(answer[1]["error"]["fields"]) == ["code"]


def test_a_malformed_confirmation_is_400_naming_the_field(app_client, stack):
    for body, field in (({"email": new_email(), "code": ""}, "code"), ({"email": new_email()}, "code"),
                        ({"email": "nope", "code": "123456"}, "email"),
                        ({"email": new_email(), "code": "12 34"}, "code")):
        status, answer, _ = call(app_client, "POST", "/auth/confirm", body)
        assert status == 400 and field in answer["error"]["fields"], json.dumps(body)


def test_resending_a_code_answers_the_same_for_any_address(app_client, stack):
    email = new_email()
    with stubbed_cognito(stack) as stub:
        stub.add_response("resend_confirmation_code", {"CodeDeliveryDetails": {"Destination": "u***@e***.com"}},
                          {"ClientId": stack.environment["HALLES_USER_POOL_CLIENT_ID"], "Username": email})
        stub.add_client_error("resend_confirmation_code", service_error_code="UserNotFoundException")
        stub.add_client_error("resend_confirmation_code", service_error_code="InvalidParameterException")
        known = call(app_client, "POST", "/auth/confirm/resend", {"email": email})
        unknown = call(app_client, "POST", "/auth/confirm/resend", {"email": "nobody@example.com"})
        confirmed = call(app_client, "POST", "/auth/confirm/resend", {"email": "done@example.com"})
    assert known[0] == unknown[0] == confirmed[0] == 202
    assert shape(known[1]) == shape(unknown[1]) == shape(confirmed[1]) == {"email": "str"}


def test_too_many_codes_is_429(app_client, stack):
    with stubbed_cognito(stack) as stub:
        stub.add_client_error("resend_confirmation_code", service_error_code="LimitExceededException")
        status, body, _ = call(app_client, "POST", "/auth/confirm/resend", {"email": new_email()})
    assert (status, body["error"]["code"]) == (429, "too_many_attempts")


# --- Sign-in does not enumerate either ----------------------------------------------------------------

def test_sign_in_answers_the_same_for_unknown_wrong_password_and_unconfirmed_with_a_wrong_password(
        app_client, deployed_mode):
    confirmed, unconfirmed = new_email(), new_email()
    signup(app_client, email=confirmed)
    call(app_client, "POST", "/auth/confirm", {"email": confirmed, "code": "123456"})
    signup(app_client, email=unconfirmed)

    answers = [call(app_client, "POST", "/auth/signin", {"email": email, "password": "Wr0ngPassword"})
               for email in (new_email(), confirmed, unconfirmed)]
    assert {status for status, _, _ in answers} == {401}
    errors = [{k: v for k, v in body["error"].items() if k != "correlation_id"} for _, body, _ in answers]
    assert errors[0] == errors[1] == errors[2]
    assert errors[0]["code"] == "bad_credentials"


def test_outside_local_mode_the_welcome_mail_waits_for_the_confirmed_address(app_client, stack, deployed_mode):
    email = new_email()
    signup(app_client, email=email, role="vendor", shop_name="Fromagerie Ada")
    deliver_notifications(app_client, stack)
    assert mails_to(email) == []  # nobody is told "your account is ready" before the address is proven

    for _ in range(2):
        assert call(app_client, "POST", "/auth/confirm", {"email": email, "code": "123456"})[0] == 200
    deliver_notifications(app_client, stack)
    (welcome,) = mails_to(email)
    assert welcome.subject == "Welcome to Halles: your shop is ready"  # the vendor's welcome
    assert "Ada" in welcome.text
