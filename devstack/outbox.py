"""The local outbox: the e-mails moto's SES accepted, read back as a user would receive them.

moto keeps every message sent in memory (`ses_backends[account][region].sent_messages`; the server
also lists them at `GET /moto-api/data.json` under `ses.sent_messages`... as plain attributes). The
app sends MIME (SendRawEmail: text and HTML alternatives, headers), parsed here with the standard
library; a message sent with SendEmail has only the subject and one body (moto keeps the HTML).

Served by the frontend server at `/_outbox` (list, newest first), `/_outbox/<n>` (the HTML version
as the recipient's mail client renders it) and `/_outbox/<n>.txt` (the plain-text version), to
loopback clients only (the messages carry personal data and unsubscribe links).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from email import message_from_string, policy


@dataclass(frozen=True)
class Mail:
    number: int  # 1 = the first sent since the stack started
    message_id: str
    to: list[str]
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def _from_raw(raw: str) -> tuple[str, str, str, dict[str, str]]:
    message = message_from_string(raw, policy=policy.default)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    headers = {name: str(value) for name, value in message.items()}
    return (str(message.get("Subject", "")), text_part.get_content() if text_part else "",
            html_part.get_content() if html_part else "", headers)


def sent_mails(region: str) -> list[Mail]:
    """Every message moto's SES accepted in `region`, oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    mails = []
    for number, message in enumerate(list(ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages), start=1):
        destinations = message.destinations
        to = list(destinations.get("ToAddresses", [])) if isinstance(destinations, dict) else list(destinations or [])
        if getattr(message, "raw_data", None):
            subject, text, body_html, headers = _from_raw(message.raw_data)
        else:
            body = getattr(message, "body", "") or ""
            is_html = body.lstrip().lower().startswith(("<!doctype", "<html"))
            subject, text, body_html, headers = (getattr(message, "subject", "") or "", "" if is_html else body,
                                                 body if is_html else "", {})
        mails.append(Mail(number, message.id, to, subject, text, body_html, headers))
    return mails


def index_page(mails: list[Mail]) -> str:
    rows = "".join(
        f"<tr><td>{m.number}</td><td>{html.escape(', '.join(m.to))}</td>"
        f'<td><a href="/_outbox/{m.number}">{html.escape(m.subject) or "(no subject)"}</a></td>'
        f'<td><a href="/_outbox/{m.number}.txt">text</a></td></tr>'
        for m in reversed(mails))
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Halles local outbox</title>"
            "<style>body{font-family:system-ui,sans-serif;margin:24px}td,th{padding:4px 10px;text-align:left}"
            "tr:nth-child(even){background:#f3f4f6}</style></head><body>"
            f"<h1>Local outbox</h1><p>{len(mails)} e-mail(s) sent through moto's SES, newest first.</p>"
            "<table><thead><tr><th>#</th><th>To</th><th>Subject</th><th></th></tr></thead>"
            f"<tbody>{rows}</tbody></table></body></html>")


def respond(path: str, region: str) -> tuple[int, str, str]:
    """(status, content type, body) for an outbox path."""
    mails = sent_mails(region)
    rest = path[len("/_outbox"):].strip("/")
    if not rest:
        return 200, "text/html; charset=utf-8", index_page(mails)
    number, _, kind = rest.partition(".")
    mail = next((m for m in mails if number.isdigit() and m.number == int(number)), None)
    if mail is None or kind not in ("", "txt"):
        return 404, "text/plain; charset=utf-8", "No such e-mail in the local outbox.\n"
    if kind == "txt":
        headers = "".join(f"{name}: {value}\n" for name, value in mail.headers.items()
                          if name.lower() in ("to", "subject", "list-unsubscribe", "list-unsubscribe-post"))
        return 200, "text/plain; charset=utf-8", (headers or f"Subject: {mail.subject}\n") + "\n" + mail.text
    return 200, "text/html; charset=utf-8", mail.html or f"<pre>{html.escape(mail.text)}</pre>"
