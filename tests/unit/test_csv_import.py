"""The CSV a vendor uploads: what makes the whole file unusable (400 before any write), and per-row errors."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.imports import (
    MAX_ROWS,
    amount_in_minor_units,
    error_report_csv,
    parse_import,
)

HEADER = "gtin,condition,price,shipping_fee,stock,min_days,max_days\n"
TENT = "4006381333931"
KETTLE = "5012345678900"


def parse(text: str | bytes):
    raw = text.encode() if isinstance(text, str) else text
    return parse_import(raw, "vendor-1", "EUR")


def refused(text: str | bytes) -> dict:
    with pytest.raises(InvalidInput) as caught:
        parse(text)
    return caught.value.fields


def test_a_valid_row_becomes_an_offer_in_minor_units():
    parsed = parse(HEADER + f"{TENT},new,19.99,4.5,7,2,4\n")
    (row,) = parsed.rows
    assert (row.row, row.product_id, row.price, row.shipping_fee, row.stock) == (2, f"prd_0{TENT}", 1999, 450, 7)
    assert parsed.rows_total == 1 and not parsed.errors


def test_semicolon_files_with_decimal_commas_and_a_bom_read_the_same():
    comma = parse(HEADER + f"{TENT},new,19.99,0,7,2,4\n")
    semicolon = parse("\ufeff" + HEADER.replace(",", ";") + f"{TENT};new;19,99;0;7;2;4\r\n")
    assert semicolon.rows == comma.rows


@pytest.mark.parametrize("text, price", [("20", 2000), ("0.5", 50), ("12,30", 1230)])
def test_amounts_are_exact(text, price):
    assert amount_in_minor_units(text, "EUR") == price


@pytest.mark.parametrize("text", ["1.999", "1e3", "-5", "€5", "1,000.00", "abc"])
def test_amounts_a_spreadsheet_would_not_mean_are_refused(text):
    with pytest.raises(ValueError):
        amount_in_minor_units(text, "EUR")


def test_each_bad_row_names_its_row_and_column_and_the_good_rows_still_import():
    parsed = parse(HEADER + f"{TENT},new,19.99,0,7,2,4\n"
                            f"{KETTLE},mint,5,0,3,2,4\n"
                            "4006381333932,new,5,0,3,2,4\n"
                            f"{KETTLE},new,5,0,-1,5,2\n")
    assert [r.row for r in parsed.rows] == [2]
    found = {(e.row, e.column) for e in parsed.errors}
    assert (3, "condition") in found
    assert (4, "gtin") in found
    assert (5, "stock") in found and (5, "max_days") in found


def test_the_offer_put_rules_apply_to_rows():
    parsed = parse(HEADER + f"{TENT},new,0.10,0,1,2,4\n")  # below the smallest card payment
    assert [(e.row, e.column) for e in parsed.errors] == [(2, "price")]


def test_a_second_row_for_the_same_offer_is_refused_naming_the_first():
    parsed = parse(HEADER + f"{TENT},new,19.99,0,7,2,4\n{TENT},used,9.99,0,1,2,4\n{TENT},new,18,0,7,2,4\n")
    assert [r.row for r in parsed.rows] == [2, 3]
    assert parsed.errors[0].row == 4 and "row 2" in parsed.errors[0].message


def test_a_row_with_the_wrong_number_of_fields_is_a_row_error():
    parsed = parse(HEADER + f"{TENT},new,19.99\n")
    assert [(e.row, e.column) for e in parsed.errors] == [(2, "row")]


@pytest.mark.parametrize("text, field, words", [
    (b"", "file", "empty"),
    (HEADER, "file", "no rows"),
    ("gtin,price,stock\n1,2,3\n", "header", "missing column(s): min_days, max_days"),
    ("price,stock,min_days,max_days\n1,2,3,4\n", "header", "gtin or product_id"),
    ("gtin,price,stok,min_days,max_days\n1,2,3,4,5\n", "header", "'stok'"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "file", "encoding"),
    (HEADER.encode("utf-16"), "file", "UTF-16"),
    (HEADER.encode() + "4006381333931,new,19.99,0,7,2,4,é\n".encode("latin-1"), "file", "encoding"),
    (HEADER + '"unterminated,1,2,3,4,5,6\n', "file", "not CSV"),
])
def test_an_unusable_file_is_refused_naming_the_problem(text, field, words):
    fields = refused(text)
    assert words in fields[field]


def test_too_many_rows_are_refused_before_anything_is_parsed_further():
    body = HEADER + f"{TENT},new,19.99,0,7,2,4\n" * (MAX_ROWS + 1)
    assert "too many rows" in refused(body)["file"]


def test_ten_thousand_rows_are_accepted_in_chunks():
    rows = "".join(f"{TENT},new,{i % 90 + 10},0,{i},2,4\n" if i == 0 else f"{TENT},new,19.99,0,7,2,4\n"
                   for i in range(MAX_ROWS))
    parsed = parse(HEADER + rows)
    assert parsed.rows_total == MAX_ROWS
    chunks = parsed.chunks(200)
    assert len(chunks) == 50 and sum(c.size for c in chunks) == MAX_ROWS


def test_the_same_bytes_have_the_same_hash_and_other_bytes_another():
    a, b = parse(HEADER + f"{TENT},new,19.99,0,7,2,4\n"), parse(HEADER + f"{TENT},new,19.99,0,8,2,4\n")
    assert a.content_hash == parse(HEADER + f"{TENT},new,19.99,0,7,2,4\n").content_hash != b.content_hash


def test_the_error_report_is_in_row_order_and_never_a_spreadsheet_formula():
    parsed = parse(HEADER + f"{KETTLE},new,5,0,x,2,4\n=HYPERLINK(\"x\"),new,5,0,1,2,4\n")
    report = error_report_csv(parsed.errors).splitlines()
    assert report[0] == "row,column,message"
    assert report[1].startswith("2,stock,")
    assert all(not line.split(",", 2)[2].startswith("=") for line in report[1:])
