"""Secrets come from the environment locally and from SSM SecureStrings in AWS, never from config."""

import boto3
from moto import mock_aws

from chalicelib.settings import get_settings


def test_a_secret_missing_from_the_environment_is_read_from_its_ssm_parameter(aws_env, monkeypatch):
    with mock_aws():
        boto3.client("ssm").put_parameter(Name="/halles-prod/stripe-secret-key", Value="sk_live_from_ssm",
                                          Type="SecureString")
        monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
        monkeypatch.setenv("STRIPE_SECRET_KEY_PARAM", "/halles-prod/stripe-secret-key")

        assert get_settings().stripe_secret_key == "sk_live_from_ssm"


def test_the_environment_wins_and_nothing_configured_means_no_secret(aws_env, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_env")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_PARAM", "/does/not/matter")
    monkeypatch.delenv("STRIPE_CONNECT_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("STRIPE_CONNECT_WEBHOOK_SECRET_PARAM", raising=False)

    settings = get_settings()

    assert settings.stripe_webhook_secret == "whsec_env"
    assert settings.stripe_connect_webhook_secret == ""
