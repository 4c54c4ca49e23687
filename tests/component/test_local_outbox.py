"""The local outbox pages (devstack/outbox.py): what moto's SES accepted, newest first, HTML and text."""

from __future__ import annotations

from chalicelib import mailer
from devstack.outbox import respond
from tests.fixtures.aws import REGION


def test_the_outbox_lists_newest_first_and_shows_each_mail_as_html_and_text(stack):
    mailer.send_mime("ada@example.com", "First <one>", "Plain first", "<p>Rich <b>first</b></p>")
    mailer.send_mime("bob@example.com", "Second", "Plain second", None,
                     {"List-Unsubscribe": "<http://127.0.0.1:8000/unsubscribe?token=t>"})

    status, content_type, index = respond("/_outbox", REGION)
    assert status == 200 and content_type.startswith("text/html")
    assert index.index("Second") < index.index("First &lt;one&gt;")  # newest first, subjects escaped
    assert respond("/_outbox/1", REGION)[2] == "<p>Rich <b>first</b></p>\n"
    text = respond("/_outbox/2.txt", REGION)[2]
    assert "List-Unsubscribe: <http://127.0.0.1:8000/unsubscribe?token=t>" in text and text.endswith("Plain second\n")
    assert "<pre>Plain second" in respond("/_outbox/2", REGION)[2]  # no HTML version: the text, escaped
    assert respond("/_outbox/3", REGION)[0] == 404
    assert respond("/_outbox/x.html", REGION)[0] == 404
