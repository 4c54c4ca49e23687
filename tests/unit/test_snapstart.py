"""SnapStart: the hooks are registered by every function, prime without secrets or sockets, and renew what
must be unique to each restored environment (chalicelib/snapstart.py).

`snapshot_restore_py` only exists in Lambda's managed runtimes: a fake one stands in for it here.
"""

from __future__ import annotations

import importlib
import json
import random
import subprocess
import sys
import types
from pathlib import Path

import pytest

from chalicelib import snapstart
from chalicelib.entries import ROUTE_FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runtime_hooks(monkeypatch):
    """A fake `snapshot_restore_py` recording what is registered, and a process that has not installed yet."""
    hooks = types.ModuleType(snapstart.HOOKS_MODULE)
    hooks.before_snapshot, hooks.after_restore = [], []
    hooks.register_before_snapshot = hooks.before_snapshot.append
    hooks.register_after_restore = hooks.after_restore.append
    monkeypatch.setitem(sys.modules, snapstart.HOOKS_MODULE, hooks)
    monkeypatch.setattr(snapstart, "_installed", False)
    return hooks


def test_the_hooks_are_registered_once_when_lambda_initialises_for_snapstart(runtime_hooks):
    assert snapstart.install({"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}) is True
    assert snapstart.install({"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}) is True

    assert runtime_hooks.before_snapshot == [snapstart.prime]
    assert runtime_hooks.after_restore == [snapstart.renew]


@pytest.mark.parametrize("initialization", ["on-demand", "provisioned-concurrency", None])
def test_nothing_is_registered_when_no_snapshot_will_be_taken(runtime_hooks, initialization):
    environ = {"AWS_LAMBDA_INITIALIZATION_TYPE": initialization} if initialization else {}

    assert snapstart.install(environ) is False
    assert runtime_hooks.before_snapshot == [] and runtime_hooks.after_restore == []


def test_without_the_runtime_s_hooks_module_install_is_a_no_op(monkeypatch):
    monkeypatch.setitem(sys.modules, snapstart.HOOKS_MODULE, None)  # import raises ImportError
    monkeypatch.setattr(snapstart, "_installed", False)

    assert snapstart.install({"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}) is False


def test_two_environments_restored_from_one_snapshot_draw_different_random_numbers():
    random.seed(1234)  # whatever state the init left: it is in the snapshot, the same for every environment
    snapshot = random.getstate()
    draws = []
    for _ in range(2):
        random.setstate(snapshot)
        snapstart.renew()
        draws.append(random.random())

    assert draws[0] != draws[1]


def test_a_restored_environment_builds_its_own_clients_connections_and_settings(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_EC2_METADATA_DISABLED": "true",
                        "HALLES_LOCAL_MODE": "1"}.items():
        monkeypatch.setenv(name, value)
    from chalicelib import aws_clients, mailer, payments, settings
    from chalicelib.auth import cognito
    from chalicelib.services import notification_templates
    from chalicelib.store import base
    from chalicelib.store.orders import OrderModel

    mail, users = mailer._ses_for("eu-west-1", None), cognito._client_for("eu-west-1", None)
    gateway = payments._gateway("sk_test_before_snapshot", None)
    session = aws_clients._session()
    models = session.get_component("data_loader")
    OrderModel._connection = object()  # stands for a connection opened before the snapshot
    before = settings.get_settings()
    templates = notification_templates.environment()

    snapstart.renew()

    assert mailer._ses_for("eu-west-1", None) is not mail
    assert cognito._client_for("eu-west-1", None) is not users
    assert payments._gateway("sk_test_before_snapshot", None) is not gateway  # and its HTTP session
    assert OrderModel._connection is None and base._bound is None
    assert settings.get_settings() is not before  # secrets are read again, in this environment
    renewed = aws_clients._session()
    assert renewed is not session and renewed.get_component("data_loader") is models  # no credentials, same models
    assert notification_templates.environment() is templates  # bundle data: what priming was for


def test_every_kept_cache_exists_and_the_client_caches_are_not_kept():
    for name in snapstart.KEPT_CACHES:
        module, _, function = name.partition(":")
        assert callable(getattr(getattr(importlib.import_module(module), function), "cache_clear", None)), name
    for module in ("chalicelib.mailer", "chalicelib.events", "chalicelib.auth.cognito", "chalicelib.payments",
                   "chalicelib.services.checkout", "chalicelib.services.notifications", "chalicelib.store.images"):
        importlib.import_module(module)
    dropped = set(snapstart.connection_caches())
    assert {"chalicelib.mailer:_ses_for", "chalicelib.events:_sqs_for", "chalicelib.auth.cognito:_client_for",
            "chalicelib.payments:_gateway", "chalicelib.store.images:_client"} <= dropped


# Lambda imports the handler's module: a queue consumer's, not app.py. The settings would raise if read
# (no local mode, nothing configured) and a secret names an SSM parameter: priming must touch neither.
LAMBDA_INIT = """
import json, socket, sys, types
hooks = types.ModuleType("snapshot_restore_py")
hooks.before, hooks.after = [], []
hooks.register_before_snapshot, hooks.register_after_restore = hooks.before.append, hooks.after.append
sys.modules["snapshot_restore_py"] = hooks
connections = []
connect = socket.socket.connect
socket.socket.connect = lambda self, address: connections.append(str(address)) or connect(self, address)

import importlib
importlib.import_module(sys.argv[1])
lazily_loaded = ["stripe", "jwt", "chalicelib.store.idempotency", "chalicelib.services.checkout",
                 "chalicelib.services.webhooks", "babel.dates"]
before = [m for m in lazily_loaded if m in sys.modules]
failed = [hook() for hook in hooks.before]
from chalicelib import aws_clients
loaded_models = {key[1] for key in aws_clients._session().get_component("data_loader")._cache
                 if len(key) > 2 and key[0] == "load_service_model"}
print(json.dumps({"hooks": [len(hooks.before), len(hooks.after)], "failed": failed, "before": before,
                  "after": [m for m in lazily_loaded if m in sys.modules], "models": sorted(loaded_models),
                  "connections": connections, "settings_read": sys.modules["chalicelib.settings"]._cache is not None}))
"""


# The webhook route's module imports its use case (its answer's model) at init: loaded before priming.
OWN_INIT = {ROUTE_FUNCTIONS["WebhookHandler"]: ["chalicelib.services.webhooks"]}


@pytest.mark.parametrize("handler_module", ["chalicelib.handlers.payment_events", *ROUTE_FUNCTIONS.values()])
def test_a_function_s_snapstart_init_primes_the_first_request_without_settings_secrets_or_sockets(handler_module):
    """A queue consumer's module, and each route function's entry (chalicelib/entries), as Lambda imports them."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
           "AWS_REGION": "eu-west-1", "STRIPE_SECRET_KEY_PARAM": "/halles-prod/stripe-secret-key"}
    proc = subprocess.run([sys.executable, "-c", LAMBDA_INIT, handler_module], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    init = json.loads(proc.stdout.strip().splitlines()[-1])

    assert init["hooks"] == [1, 1]
    assert init["failed"] == [[]]
    assert init["before"] == OWN_INIT.get(handler_module, []) and len(init["after"]) == 6, init
    assert {"dynamodb", "sqs", "ses", "cognito-idp"} <= set(init["models"])
    assert init["connections"] == [] and init["settings_read"] is False
