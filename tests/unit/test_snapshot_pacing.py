"""The local stack's periodic snapshot never keeps the stack busy most of the time."""

from devstack.snapshot import STALL_FACTOR, periodic_wait


def test_a_quick_snapshot_keeps_the_configured_interval():
    assert periodic_wait(30.0, 0.2) == 30.0


def test_a_slow_snapshot_spaces_the_next_so_the_stack_snapshots_at_most_a_tenth_of_the_time():
    took = 60.0
    wait = periodic_wait(30.0, took)
    assert wait == STALL_FACTOR * took
    assert took / (took + wait) <= 0.1
