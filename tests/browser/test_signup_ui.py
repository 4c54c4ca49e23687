"""The sign-up page's code step, as a deployed stage drives it.

The local stack confirms at once, so the API's deployed-mode answers are played by the browser's
request routing around the real API: `/auth/signup` really creates the account and only its
`confirmation_required` is turned to true; `/auth/confirm` answers as Cognito's mapping does
(400 naming `code` for a wrong code, 200 for the right one). Sign-in then runs for real.
"""

from __future__ import annotations

import json
import uuid

from playwright.sync_api import expect

PASSWORD = "Passw0rd!x"
RIGHT_CODE = "123456"


def test_a_sign_up_that_needs_a_code_shows_the_code_step_then_signs_in(page, live_stack):
    email = f"confirm-{uuid.uuid4().hex[:10]}@example.com"
    confirmations: list[dict] = []
    resends: list[dict] = []

    def sign_up_as_deployed(route):
        response = route.fetch()
        body = {**response.json(), "confirmation_required": True}
        route.fulfill(response=response, body=json.dumps(body))

    def confirm_as_cognito(route):
        sent = json.loads(route.request.post_data or "{}")
        confirmations.append(sent)
        if sent.get("code") == RIGHT_CODE:
            route.fulfill(status=200, content_type="application/json",
                          body=json.dumps({"email": sent["email"], "confirmed": True}))
        else:
            route.fulfill(status=400, content_type="application/json", body=json.dumps({"error": {
                "code": "code_mismatch", "message": "This code does not confirm an account for this email.",
                "fields": {"code": "does not match"}, "correlation_id": "c"}}))

    def resend(route):
        resends.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(status=202, content_type="application/json", body=json.dumps({"email": email}))

    page.route("**/auth/signup", sign_up_as_deployed)
    page.route("**/auth/confirm", confirm_as_cognito)
    page.route("**/auth/confirm/resend", resend)

    page.goto(f"{live_stack.frontend.rstrip('/')}/#/signup")
    page.get_by_test_id("signup-name").fill("Code Shopper")
    page.get_by_test_id("signup-email").fill(email)
    page.get_by_test_id("signup-password").fill(PASSWORD)
    page.get_by_test_id("auth-submit").click()

    expect(page.get_by_test_id("confirm-form")).to_contain_text(email)
    page.get_by_test_id("confirm-resend").click()
    expect(page.get_by_test_id("confirm-status")).to_contain_text("new code")
    assert resends == [{"email": email}]

    page.get_by_test_id("signup-code").fill("000000")
    page.get_by_test_id("auth-submit").click()
    expect(page.get_by_test_id("field-error-code")).to_contain_text("Does not match")
    expect(page.get_by_test_id("signup-code")).to_have_attribute("aria-invalid", "true")

    page.get_by_test_id("signup-code").fill(RIGHT_CODE)
    page.get_by_test_id("auth-submit").click()
    expect(page.get_by_test_id("account-name")).to_have_text("Code Shopper")  # signed in
    assert confirmations == [{"email": email, "code": "000000"}, {"email": email, "code": RIGHT_CODE}]
