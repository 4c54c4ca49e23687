"""The local stack listens on loopback unless told otherwise, and says loudly what otherwise means."""

from __future__ import annotations

from devstack.__main__ import build_parser
from devstack.runner import Options, exposure_warning


def test_by_default_every_listener_binds_loopback(monkeypatch):
    monkeypatch.delenv("HALLES_LOCAL_LISTEN", raising=False)
    assert build_parser().parse_args(["run"]).listen == "127.0.0.1"
    assert Options().host == "127.0.0.1"


def test_listening_elsewhere_is_an_explicit_choice(monkeypatch):
    assert build_parser().parse_args(["run", "--listen", "0.0.0.0"]).listen == "0.0.0.0"
    monkeypatch.setenv("HALLES_LOCAL_LISTEN", "0.0.0.0")
    assert build_parser().parse_args(["run"]).listen == "0.0.0.0"


def test_an_exposed_stack_warns_that_moto_tokens_can_be_forged():
    for host in ("0.0.0.0", "::", "192.168.1.20"):
        warning = exposure_warning(host)
        assert warning and "moto" in warning and "admin" in warning and host in warning
    for host in ("127.0.0.1", "::1", "localhost"):
        assert exposure_warning(host) is None
