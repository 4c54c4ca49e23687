"""One local stack per data directory, and a banner that tells the developer the local secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devstack.runner import (
    LOCAL_CONNECT_WEBHOOK_SECRET,
    LOCAL_WEBHOOK_SECRET,
    DataDirLock,
    Options,
    Stack,
    StartupError,
)

ROOT = Path(__file__).resolve().parents[2]
HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from devstack.runner import DataDirLock
DataDirLock(Path(sys.argv[1])).acquire()
print("locked", flush=True)
time.sleep(60)
"""


@pytest.fixture
def other_stack(tmp_path):
    """Another process holding the data directory, as a running stack does."""
    process = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(tmp_path)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_a_second_stack_on_the_same_data_dir_is_refused_naming_the_first(tmp_path, other_stack):
    (tmp_path / "runtime.json").write_text('{"api": "http://127.0.0.1:8000"}')
    stack = Stack(Options(data_dir=tmp_path))
    with pytest.raises(StartupError, match=rf"PID {other_stack.pid}\b.*--data-dir"):
        stack.start()
    stack.stop()
    assert (tmp_path / "runtime.json").exists()  # the running stack's files are left alone


def test_the_lock_of_a_dead_stack_is_taken_over(tmp_path, other_stack):
    other_stack.kill()
    other_stack.wait()
    assert (tmp_path / "devstack.lock").read_text().strip() == str(other_stack.pid)  # stale file left behind
    lock = DataDirLock(tmp_path)
    lock.acquire()
    try:
        assert (tmp_path / "devstack.lock").read_text().strip() == str(__import__("os").getpid())
    finally:
        lock.release()


def test_another_data_dir_is_another_stack(tmp_path, other_stack):
    lock = DataDirLock(tmp_path / "elsewhere")
    lock.acquire()
    lock.release()


def test_the_command_line_says_why_and_exits_2(tmp_path, other_stack):
    result = subprocess.run([sys.executable, "-m", "devstack", "run", "--data-dir", str(tmp_path), "--port", "0",
                             "--frontend-port", "0", "--pay-port", "0"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert f"another local stack (PID {other_stack.pid})" in result.stderr


def test_the_banner_prints_the_local_keys_and_the_control_token(tmp_path):
    from devstack.localpay import LocalPaymentProvider

    stack = Stack(Options(data_dir=tmp_path))
    stack.control_token = "tok-123"
    stack.payments = LocalPaymentProvider(LOCAL_WEBHOOK_SECRET, "http://127.0.0.1:1/webhooks/stripe",
                                          connect_webhook_secret=LOCAL_CONNECT_WEBHOOK_SECRET,
                                          connect_deliver="http://127.0.0.1:1/webhooks/stripe/connect")
    stack.snapshotter = type("NoSnapshots", (), {"path": tmp_path / "snapshot.json"})()
    stack.payments.start("127.0.0.1", 0)
    try:
        banner = stack.banner()
    finally:
        stack.payments.stop()
    for value in (LOCAL_WEBHOOK_SECRET, LOCAL_CONNECT_WEBHOOK_SECRET, "sk_test_local_halles", "tok-123",
                  "X-Devstack-Token"):
        assert value in banner
