"""Outgoing mail: a small mailer port and its SES adapter.

The SES client is created on first use and cached per region/endpoint; the sender is
`settings.mail_from`, an identity the template declares (and the local stack verifies).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from chalicelib.settings import get_settings


class Mailer(Protocol):
    def __call__(self, to: str, subject: str, text: str, html: str | None = None) -> str: ...


@lru_cache(maxsize=8)
def _ses_for(region: str, endpoint_url: str | None):
    from botocore.config import Config

    from chalicelib import aws_clients

    return aws_clients.client("ses", region_name=region, config=Config(connect_timeout=3, read_timeout=10))


def send_email(to: str, subject: str, text: str, html: str | None = None) -> str:
    """Send one message; returns SES's message id."""
    settings = get_settings()
    body = {"Text": {"Data": text, "Charset": "UTF-8"}}
    if html:
        body["Html"] = {"Data": html, "Charset": "UTF-8"}
    response = _ses_for(settings.region, settings.endpoint_url).send_email(
        Source=settings.mail_from,
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
    )
    return response["MessageId"]


def send_mime(to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None) -> str:
    """Send one MIME message (SendRawEmail): plain text and HTML as alternatives, plus extra headers
    such as `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058), which SendEmail cannot carry.
    The local outbox reads both versions back from it (moto keeps only the HTML of a SendEmail)."""
    from email.message import EmailMessage

    settings = get_settings()
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    response = _ses_for(settings.region, settings.endpoint_url).send_raw_email(
        Source=settings.mail_from, Destinations=[to], RawMessage={"Data": message.as_bytes()})
    return response["MessageId"]
