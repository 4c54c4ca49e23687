"""Buyer-vendor messages: who may read and write a thread, and what of a message is kept.

A thread is one conversation between an order's shopper and one of its vendors, about the order
(`case_id` "") or about one of its return requests / claims (`ret_...` / `clm_...`). Its id is
derived from (order, vendor, case), so "open the thread" is idempotent: writing twice to a vendor
about the same order lands in the same thread.

Participants are never stored from a request: they are derived from the order (its shopper, the
vendor owning lines in it). The platform (admins) reads every thread, since it moderates, but
writes only once the thread is escalated (a case escalated to it, or an admin joining with a
reason): until then the conversation is the shopper's and the vendor's.

E-mail addresses and phone numbers are masked before a message is stored (`mask_contacts`), to
keep deals on the platform: a shopper who pays a vendor outside Halles has no refund, claim or
dispute to fall back on. The patterns aim at what people actually type (international and French
numbers with spaces, dots or dashes; "name at domain dot com"), and deliberately leave prices,
order numbers, dates and tracking numbers alone (tests/unit/test_messages_domain.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

EXCERPT_LENGTH = 140
EMAIL_PLACEHOLDER = "[e-mail hidden]"
PHONE_PLACEHOLDER = "[phone hidden]"

SHOPPER, VENDOR, ADMIN = "shopper", "vendor", "admin"
CASE_PREFIXES = ("ret_", "clm_")
_CASE_ID = re.compile(r"^(?:ret|clm)_[A-Za-z0-9]{6,40}$")
_THREAD_ID = re.compile(r"^thr_[0-9a-f]{24}$")
_CLIENT_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


# --- masking -----------------------------------------------------------------------------------

# The last label of an obfuscated address must be a real top-level domain: "see you at home. Then"
# is not an address, "jean at gmail dot com" is.
_COMMON_TLDS = ("com|fr|net|org|de|eu|be|ch|lu|nl|es|it|pt|at|uk|co|io|info|biz|me|us|ca|pl|se|dk|no|fi|ie|"
                "gmail|outlook|hotmail")
_LOCAL = r"[A-Za-z0-9][A-Za-z0-9._%+-]*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_OPEN, _CLOSE = r"[\(\[\{<]", r"[\)\]\}>]"
_AT_WORD = r"(?:at|arobase|chez)"
_DOT_WORD = r"(?:dot|point|punkt)"

# name@domain.tld, also with spaces around the @ and the dots ("name @ gmail . com").
_PLAIN_EMAIL = re.compile(rf"(?<![\w.+-]){_LOCAL}\s?@\s?{_LABEL}(?:\s?\.\s?{_LABEL})*\s?\.\s?[A-Za-z]{{2,24}}\b")
# name (at) domain (dot) com, name [at] domain [dot] com, name at domain dot com, name at gmail.com.
_AT = rf"(?:\s*{_OPEN}\s*{_AT_WORD}\s*{_CLOSE}\s*|\s+{_AT_WORD}\s+)"
_DOT = rf"(?:\s*{_OPEN}\s*{_DOT_WORD}\s*{_CLOSE}\s*|\s+{_DOT_WORD}\s+|\.)"
_OBFUSCATED_EMAIL = re.compile(rf"(?<![\w.+-]){_LOCAL}{_AT}{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}(?:{_COMMON_TLDS})\b",
                               re.IGNORECASE)

# French national numbers: 0 then 9 digits, in pairs with one and the same separator (06 12 34 56 78,
# 06.12.34.56.78, 06-12-34-56-78, 0612345678), or digit by digit (0 6 1 2 3 4 5 6 7 8). One separator
# throughout is what keeps dates and times out ("01.12.2026 10.30" is not a number).
_FRENCH_PAIRS = re.compile(r"(?<![\w+.,/-])0[1-9](?P<sep>[ .-]?)\d\d(?:(?P=sep)\d\d){3}(?![\w/]|[.,-]\d)")
_FRENCH_DIGITS = re.compile(r"(?<![\w+.,/-])0(?P<sep>[ .-])[1-9](?:(?P=sep)\d){8}(?![\w/]|[.,-]\d)")
# International: +CC or 00CC, an optional (0), then groups of digits (some in brackets) separated by
# spaces, dots or dashes: 8 to 15 digits after the country code, as E.164 allows.
_INTERNATIONAL = re.compile(r"(?<![\w+])(?:\+|\b00)\s?[1-9]\d{0,2}(?:[ .-]?\(0\))?(?:[ .-]?\(?\d{1,5}\)?){1,7}(?![\w])")


def _international(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    digits = digits[2:] if match.group(0).lstrip().startswith("00") else digits
    return PHONE_PLACEHOLDER if 9 <= len(digits) <= 16 else match.group(0)


def mask_contacts(text: str) -> str:
    """The text with every e-mail address and phone number replaced by a placeholder."""
    text = _PLAIN_EMAIL.sub(EMAIL_PLACEHOLDER, text)
    text = _OBFUSCATED_EMAIL.sub(EMAIL_PLACEHOLDER, text)
    text = _INTERNATIONAL.sub(_international, text)
    text = _FRENCH_PAIRS.sub(PHONE_PLACEHOLDER, text)
    return _FRENCH_DIGITS.sub(PHONE_PLACEHOLDER, text)


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """The first words of a (masked) message, on one line: what a list or a notification shows."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


# --- ids ---------------------------------------------------------------------------------------


def thread_id_for(order_id: str, vendor_id: str, case_id: str = "") -> str:
    """The one thread of (order, vendor, case): the same arguments always name the same thread."""
    digest = hashlib.sha256(f"{order_id}\n{vendor_id}\n{case_id}".encode()).hexdigest()
    return "thr_" + digest[:24]


def is_thread_id(value: str) -> bool:
    return bool(_THREAD_ID.match(value or ""))


def is_case_id(value: str) -> bool:
    return bool(_CASE_ID.match(value or ""))


def is_client_message_id(value: str) -> bool:
    return bool(_CLIENT_MESSAGE_ID.match(value or ""))


# --- who is who --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """One side of a conversation: its role, and its id within that role ("" for the platform)."""

    role: str
    id: str = ""

    @property
    def key(self) -> str:
        """How an inbox is named: `shopper#<id>`, `vendor#<id>`, `admin` (one shared platform inbox)."""
        return ADMIN if self.role == ADMIN else f"{self.role}#{self.id}"


PLATFORM = Party(ADMIN)


@dataclass(frozen=True)
class ThreadKey:
    """What a buyer-vendor thread is about: an order's vendor part, or one of its cases."""

    order_id: str
    vendor_id: str
    case_id: str = ""

    @property
    def thread_id(self) -> str:
        return thread_id_for(self.order_id, self.vendor_id, self.case_id)


@dataclass(frozen=True)
class Participants:
    """The two sides of a thread, derived from the order, and whether the platform has joined."""

    shopper_id: str
    vendor_id: str
    escalated: bool = False

    @property
    def shopper(self) -> Party:
        return Party(SHOPPER, self.shopper_id)

    @property
    def vendor(self) -> Party:
        return Party(VENDOR, self.vendor_id)

    def is_side(self, party: Party) -> bool:
        return party in (self.shopper, self.vendor)

    def may_read(self, party: Party) -> bool:
        return party.role == ADMIN or self.is_side(party)

    def may_write(self, party: Party) -> bool:
        return self.is_side(party) or (party.role == ADMIN and self.escalated)

    def recipients(self, author: Party) -> tuple[Party, ...]:
        """Who is told about a new message: the other side(s); the platform once it is in the thread."""
        everyone = (self.shopper, self.vendor) + ((PLATFORM,) if self.escalated else ())
        return tuple(p for p in everyone if p != author)

    def inboxes(self) -> tuple[Party, ...]:
        return (self.shopper, self.vendor) + ((PLATFORM,) if self.escalated else ())

