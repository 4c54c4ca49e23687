"""Local shortcuts only when the local mode is explicit; a deployed stage fails fast, naming what is missing."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.services.checkout import validate_return_url
from chalicelib.settings import REQUIRED_OUTSIDE_LOCAL, MissingSettings, get_settings

DEPLOYED = {
    "HALLES_STAGE": "prod",
    "AWS_REGION": "eu-west-1",
    "HALLES_TABLE_PREFIX": "halles-prod-",
    "HALLES_USER_POOL_ID": "eu-west-1_abc",
    "HALLES_USER_POOL_CLIENT_ID": "client123",
    "HALLES_NOTIFICATIONS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/notifications",
    "HALLES_PAYMENT_EVENTS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/payment-events",
    "HALLES_MAIL_FROM": "no-reply@shop.example",
    "HALLES_FRONTEND_URL": "https://shop.example",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_y",
    "HALLES_API_KEY_PEPPER": "pepper-x",
}


@pytest.fixture
def clean_env(monkeypatch):
    for names in REQUIRED_OUTSIDE_LOCAL:
        for name in names:
            monkeypatch.delenv(name, raising=False)
    for name in ("HALLES_LOCAL_MODE", "STRIPE_SECRET_KEY_PARAM", "STRIPE_WEBHOOK_SECRET_PARAM",
                 "STRIPE_CONNECT_WEBHOOK_SECRET_PARAM", "HALLES_API_KEY_PEPPER_PARAM", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def deployed(env, **overrides):
    for key, value in {**DEPLOYED, **overrides}.items():
        if value is None:
            env.delenv(key, raising=False)
        else:
            env.setenv(key, value)


def test_a_deployed_stage_with_everything_configured_starts_and_is_not_local(clean_env):
    deployed(clean_env)
    settings = get_settings()
    assert (settings.local_mode, settings.table_prefix, settings.frontend_url) == (
        False, "halles-prod-", "https://shop.example")


@pytest.mark.parametrize("variable", ["HALLES_TABLE_PREFIX", "HALLES_USER_POOL_ID", "HALLES_USER_POOL_CLIENT_ID",
                                      "HALLES_NOTIFICATIONS_QUEUE_URL", "HALLES_PAYMENT_EVENTS_QUEUE_URL",
                                      "HALLES_FRONTEND_URL", "HALLES_MAIL_FROM", "HALLES_STAGE",
                                      "STRIPE_WEBHOOK_SECRET"])
def test_outside_local_mode_a_missing_setting_fails_fast_naming_it(clean_env, variable):
    deployed(clean_env, **{variable: None})
    with pytest.raises(MissingSettings) as missing:
        get_settings()
    assert variable in str(missing.value)
    assert len(missing.value.missing) == 1


def test_a_secret_may_come_from_its_ssm_parameter_name_instead(clean_env):
    deployed(clean_env, STRIPE_SECRET_KEY=None)
    with pytest.raises(MissingSettings, match="STRIPE_SECRET_KEY or STRIPE_SECRET_KEY_PARAM"):
        get_settings()


def test_a_local_mode_value_other_than_1_is_not_local(clean_env):
    clean_env.setenv("HALLES_LOCAL_MODE", "true")
    with pytest.raises(MissingSettings):
        get_settings()


def test_local_mode_keeps_the_local_defaults(clean_env):
    clean_env.setenv("HALLES_LOCAL_MODE", "1")
    settings = get_settings()
    assert (settings.local_mode, settings.table_prefix, settings.frontend_url) == (
        True, "halles-local-", "http://127.0.0.1:8080")


# --- return_url: localhost only in local mode ------------------------------------------------------

def test_outside_local_mode_a_localhost_return_url_is_refused(clean_env):
    deployed(clean_env)
    for url in ("http://localhost:3000/steal", "http://127.0.0.1:8080/orders"):
        with pytest.raises(InvalidInput) as refused:
            validate_return_url(url)
        assert "return_url" in refused.value.fields, url
    assert validate_return_url("https://shop.example/orders/o1") == "https://shop.example/orders/o1"


def test_in_local_mode_a_local_frontend_on_any_port_is_accepted(clean_env):
    clean_env.setenv("HALLES_LOCAL_MODE", "1")
    assert validate_return_url("http://localhost:5173/orders") == "http://localhost:5173/orders"
    with pytest.raises(InvalidInput):
        validate_return_url("https://evil.example/phish")


def test_no_deployed_configuration_turns_the_local_mode_on():
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in (root / ".chalice" / "config.json", root / "infra" / "template.json"):
        assert "HALLES_LOCAL_MODE" not in path.read_text(), path
    config = json.loads((root / ".chalice" / "config.json").read_text())
    assert all("HALLES_LOCAL_MODE" not in stage.get("environment_variables", {}) for stage in config["stages"].values())
