"""Messages: contact details masked before storage, prices/dates/order numbers left alone; who may read and write."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.messages import (
    EMAIL_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    PLATFORM,
    Participants,
    Party,
    excerpt,
    is_case_id,
    is_thread_id,
    mask_contacts,
    thread_id_for,
)

EMAILS = [
    "jean.dupont@gmail.com",
    "Jean.Dupont+halles@orange.fr",
    "marie_l@sub.example.co.uk",
    "contact@maison-verte.fr",
    "jean.dupont @ gmail.com",
    "jean.dupont@gmail . com",
    "jean.dupont at gmail dot com",
    "jean.dupont (at) gmail (dot) com",
    "jean.dupont [at] gmail [dot] com",
    "jean.dupont{at}gmail{dot}fr",
    "jean.dupont AT gmail DOT com",
    "jean.dupont arobase orange point fr",
    "jean at gmail.com",
    "j.d@laposte.net",
]

PHONES = [
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "0612345678",
    "01 42 68 53 00",
    "0 6 1 2 3 4 5 6 7 8",
    "+33 6 12 34 56 78",
    "+33 (0)6 12 34 56 78",
    "+33612345678",
    "+33 6.12.34.56.78",
    "+33-6-12-34-56-78",
    "0033 6 12 34 56 78",
    "+44 20 7946 0958",
    "+1 (415) 555-2671",
    "+49 30 901820",
    "+32 470 12 34 56",
]

NOT_CONTACTS = [
    "It costs 129,99 € with shipping",
    "Total: 1 299,00 EUR",
    "The price went from 49.90 to 39.90",
    "My order H-2611-482319 has not arrived",
    "Order ord_3f2a9c1d5e7b8a6c4d2e0f1a, line off_7c1d2e3f",
    "Delivered on 27/11/2026 at 10:30",
    "Shipped 2026-11-27, expected 01.12.2026 10.30",
    "Tracking JD014600003828 with DHL",
    "La Poste tracking 6A12345678901",
    "I ordered 2 tents and 3 mats, size 42",
    "See you at home. Then we talk",
    "I was at work. Dot me later",
    "Meet at the shop at 10.30 please",
    "Return reference ret_01HZY3K2M4N5P6Q7R8S9T0V1W2",
    "+5 € for the gift wrap",
    "Order number 20261127 and 4 items",
    "Weight: 12.5 kg, 120 x 60 x 40 cm",
    "SIRET 123 456 789 00012",  # company id with spaces: not a phone
]


@pytest.mark.parametrize("email", EMAILS)
def test_an_email_address_is_masked_whatever_its_disguise(email):
    masked = mask_contacts(f"Write to me at {email} please.")
    assert EMAIL_PLACEHOLDER in masked
    assert "gmail" not in masked and "orange" not in masked and "@" not in masked.replace(EMAIL_PLACEHOLDER, "")


@pytest.mark.parametrize("phone", PHONES)
def test_a_phone_number_is_masked_in_french_and_international_formats(phone):
    masked = mask_contacts(f"Call me on {phone} tomorrow")
    assert masked == f"Call me on {PHONE_PLACEHOLDER} tomorrow"


@pytest.mark.parametrize("text", NOT_CONTACTS)
def test_prices_dates_and_references_are_left_as_written(text):
    assert mask_contacts(text) == text


def test_everything_else_in_the_message_is_kept():
    text = "Hello, the tent (H-2611-482319) is torn.\nMail me: ada@example.com or call 06 12 34 56 78. Thanks!"
    assert mask_contacts(text) == (f"Hello, the tent (H-2611-482319) is torn.\nMail me: {EMAIL_PLACEHOLDER} or call "
                                   f"{PHONE_PLACEHOLDER}. Thanks!")


def test_a_thread_is_named_by_its_order_vendor_and_case():
    one = thread_id_for("ord_1", "alpine")
    assert is_thread_id(one)
    assert one == thread_id_for("ord_1", "alpine", "")
    assert len({one, thread_id_for("ord_1", "bytes"), thread_id_for("ord_1", "alpine", "ret_ABCDEF12"),
                thread_id_for("ord_2", "alpine")}) == 4


def test_case_ids_are_returns_or_claims():
    assert is_case_id("ret_01HZY3K2M4N5P6Q7R8S9T0V1W2") and is_case_id("clm_01HZY3K2M4N5P6Q7R8S9T0V1W2")
    assert not is_case_id("dp_123456789") and not is_case_id("ret_") and not is_case_id("ret_../x")


def test_the_platform_reads_every_thread_but_writes_only_once_escalated():
    quiet = Participants("shopper-1", "alpine")
    assert quiet.may_read(PLATFORM) and not quiet.may_write(PLATFORM)
    escalated = Participants("shopper-1", "alpine", escalated=True)
    assert escalated.may_write(PLATFORM)
    assert PLATFORM in escalated.recipients(Party("shopper", "shopper-1"))


def test_only_the_orders_shopper_and_vendor_are_its_sides():
    thread = Participants("shopper-1", "alpine")
    assert thread.may_write(Party("shopper", "shopper-1")) and thread.may_write(Party("vendor", "alpine"))
    for stranger in (Party("shopper", "shopper-2"), Party("vendor", "bytes"), Party("vendor", "shopper-1")):
        assert not thread.may_read(stranger) and not thread.may_write(stranger)
    assert thread.recipients(Party("vendor", "alpine")) == (Party("shopper", "shopper-1"),)


def test_an_excerpt_is_one_short_line():
    assert excerpt("Hello\n\nthere") == "Hello there"
    long = excerpt("word " * 100)
    assert len(long) <= 140 and long.endswith("…")


# --- properties: whatever the digits, the shape decides ------------------------------------------


SEPARATORS = st.sampled_from(["", " ", ".", "-"])
digits = st.integers(min_value=0, max_value=9).map(str)


@given(first=st.integers(1, 9), rest=st.lists(digits, min_size=8, max_size=8), sep=SEPARATORS)
def test_any_french_number_written_in_pairs_is_masked(first, rest, sep):
    number = f"0{first}" + "".join(sep + "".join(rest[i:i + 2]) for i in range(0, 8, 2))
    assert mask_contacts(f"tel {number}, merci") == f"tel {PHONE_PLACEHOLDER}, merci"


@given(country=st.sampled_from(["33", "32", "41", "49", "44", "34", "39"]),
       rest=st.lists(digits, min_size=9, max_size=9), sep=st.sampled_from([" ", ".", "-"]), plus=st.booleans())
def test_any_international_number_is_masked(country, rest, sep, plus):
    number = ("+" if plus else "00") + country + sep + rest[0] + "".join(
        sep + "".join(rest[i:i + 2]) for i in range(1, 9, 2))
    assert mask_contacts(f"call {number} now") == f"call {PHONE_PLACEHOLDER} now"


@given(euros=st.integers(0, 99_999), cents=st.integers(0, 99), comma=st.booleans(), sign=st.sampled_from(["€", " EUR", ""]))
def test_no_price_is_masked(euros, cents, comma, sign):
    text = f"It costs {euros}{',' if comma else '.'}{cents:02d}{sign} all in"
    assert mask_contacts(text) == text


@given(day=st.integers(1, 28), month=st.integers(1, 12), year=st.integers(2000, 2099), hour=st.integers(0, 23),
       minute=st.integers(0, 59), style=st.sampled_from(["{d:02d}/{m:02d}/{y}", "{y}-{m:02d}-{d:02d}",
                                                         "{d:02d}.{m:02d}.{y} {h:02d}.{mi:02d}",
                                                         "{d:02d}-{m:02d}-{y} {h:02d}:{mi:02d}"]))
def test_no_date_or_time_is_masked(day, month, year, hour, minute, style):
    text = "Delivered on " + style.format(d=day, m=month, y=year, h=hour, mi=minute) + " at the door"
    assert mask_contacts(text) == text


@given(yymm=st.integers(1000, 9999), serial=st.integers(0, 999_999))
def test_no_order_number_is_masked(yymm, serial):
    text = f"About order H-{yymm}-{serial:06d}, please"
    assert mask_contacts(text) == text
