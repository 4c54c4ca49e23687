"""The DynamoDB billing rules `python -m scripts.bench cost` prices an order with (scripts/bench_cost.py).

Sizes follow DynamoDB's item size rules (attribute names count, numbers by significant digits, maps and
lists add 3 bytes plus 1 per element); units round up per KB written and per 4 KB read.
"""

from __future__ import annotations

import pytest

from scripts.bench_cost import _projected, item_size, read_units, write_units


def test_an_item_is_its_attribute_names_plus_their_values():
    assert item_size({"pk": {"S": "order#1"}}) == 2 + 7
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 significant digits: ceil(5/2) + 1
    assert item_size({"ok": {"BOOL": True}, "no": {"NULL": True}}) == 3 + 3
    assert item_size({"m": {"M": {"a": {"S": "xy"}}}}) == 1 + 3 + (1 + 1 + 2)
    assert item_size({"l": {"L": [{"S": "a"}, {"S": "b"}]}}) == 1 + 3 + 2 * (1 + 1)
    assert item_size({"é": {"S": "€"}}) == 2 + 3  # UTF-8 bytes, not characters


@pytest.mark.parametrize(("size", "units"), [(0, 1), (1, 1), (1024, 1), (1025, 2), (3000, 3)])
def test_a_write_costs_one_unit_per_started_kilobyte(size, units):
    assert write_units(size) == units


@pytest.mark.parametrize(("size", "consistent", "units"), [
    (100, False, 0.5), (100, True, 1.0), (4096, True, 1.0), (4097, True, 2.0), (8192, False, 1.0),
])
def test_a_read_costs_one_unit_per_started_4_kb_and_half_when_eventually_consistent(size, consistent, units):
    assert read_units(size, consistent) == units


def test_a_keys_only_index_sees_only_the_keys_and_an_item_without_its_key_is_not_in_it():
    item = {"pk": {"S": "o1"}, "status": {"S": "paid"}, "lines": {"S": "x" * 3000}}
    index = {"keys": ["status"], "projection": "KEYS_ONLY", "include": []}
    assert _projected(item, index, ["pk"]) == {"pk": {"S": "o1"}, "status": {"S": "paid"}}
    assert _projected({"pk": {"S": "o1"}}, index, ["pk"]) is None
    assert _projected(item, {"keys": ["status"], "projection": "ALL"}, ["pk"]) == item


def _meter():
    from scripts.bench_cost import AwsMeter

    meter = AwsMeter({"orders": [{"keys": ["status"], "projection": "KEYS_ONLY", "include": []},
                                 {"keys": ["shopper"], "projection": "ALL", "include": []}]})
    meter._key_schemas["orders"] = ["pk"]
    return meter


BEFORE = {"pk": {"S": "o1"}, "shopper": {"S": "u1"}, "status": {"S": "placed"}, "lines": {"S": "x" * 1500}}


def test_an_index_is_written_only_when_its_image_of_the_item_changes():
    meter = _meter()
    note = {**BEFORE, "note": {"S": "hello"}}  # the ALL index changes (2 KB item), the KEYS_ONLY one does not
    assert meter._index_units("orders", BEFORE, note) == 2
    paid = {**BEFORE, "status": {"S": "paid"}}  # KEYS_ONLY key moved: delete + put; ALL image changed too
    assert meter._index_units("orders", BEFORE, paid) == 1 + 1 + 2
    assert meter._index_units("orders", BEFORE, BEFORE) == 0
    assert meter._index_units("orders", None, BEFORE) == 1 + 2  # a new item enters both indexes


def test_the_cpu_aws_spends_answering_a_call_is_not_the_functions():
    # moto answers in process: its CPU is AWS's side of the call (the modelled round trip), not billed
    # Lambda time; while the meter is paused (reading sizes) or off, nothing is set aside.
    import time

    from scripts.bench_cost import AwsMeter

    def busy_answer(spin: float) -> str:
        until = time.thread_time() + spin
        while time.thread_time() < until:
            pass
        return "answered"

    meter = AwsMeter({})
    answer = meter.aws_side(busy_answer)
    assert answer(0.02) == "answered" and meter.aws_side_s == 0.0  # not counting yet
    meter.active = True
    with meter.paused():
        answer(0.02)
    assert meter.aws_side_s == 0.0
    answer(0.02)
    assert meter.aws_side_s >= 0.02
