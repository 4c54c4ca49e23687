"""Lambda SnapStart: what is primed before the snapshot, and what is renewed after each restore.

With SnapStart (scripts/package.py publishes every function as a version behind its `live` alias),
Lambda runs a version's init once, snapshots the environment's memory, and starts new environments
from that snapshot. A restored environment has skipped the imports and whatever init built; it also
shares everything in that memory with every other environment restored from the same snapshot.

`install()` registers two hooks with the runtime's `snapshot_restore_py` (part of the managed Python
runtimes, 3.12 and newer) when SnapStart initialises this environment (`AWS_LAMBDA_INITIALIZATION_TYPE`
is `snap-start`). Anywhere else (on-demand init, the local stack, tests) it does nothing: priming an
on-demand init would only lengthen the cold start the shopper waits for.

Before the snapshot, `prime()` loads what a first request would load lazily, none of it secret nor
unique to one environment:
- every module of chalicelib and the libraries the routes import on first use (PRIMED_LIBRARIES:
  stripe, JWT crypto, Powertools batch, parameters and metrics, Jinja2, Babel...);
- botocore's service models and endpoint rules, by building each client the app uses once with
  placeholder credentials (never sent anywhere) and throwing it away: the loaded JSON stays in the
  shared botocore session; Stripe's SDK the same way, with a placeholder key (its services, and the
  classes of the objects its answers are parsed into);
- the notification templates' environment and Babel's locale data (files of the bundle).
It reads no setting (`get_settings()` would fetch the SSM secrets into the snapshot), resolves no AWS
credentials, and opens no connection: a socket opened before a snapshot is dead after a restore. The
JWKS (public keys) is left to the first authenticated request too: its cache is timed with the
monotonic clock, and fetching it needs the settings.

After each restore, `renew()` runs before the first invocation (within Lambda's 10 s limit):
- `random` is re-seeded from the OS (environments restored from one snapshot would otherwise draw
  the same "random" numbers: retry jitter, anything sampled); `os.urandom`, `secrets` and `uuid4`
  read the kernel's entropy and need nothing;
- every client, connection and credential cache is dropped, to be rebuilt on first use: the
  functools caches of chalicelib (botocore clients, the Stripe gateway and its HTTP session),
  PynamoDB's connections (the idempotency records' too), the botocore session (a new one, keeping the
  service models the old one loaded), the settings (and the secrets they carry), Powertools'
  parameter cache and the JWKS key sources. Caches of pure data read from the bundle
  (KEPT_CACHES: templates, event models) are kept: that is what priming was for.
"""

from __future__ import annotations

import gc
import importlib
import os
import pkgutil
import random
import sys
from collections.abc import Mapping

INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"
HOOKS_MODULE = "snapshot_restore_py"

# What the routes import on first use, beyond chalicelib (found with `python -m scripts.bench cold_routes --why`).
PRIMED_LIBRARIES = (
    "stripe",
    "jwt",
    "jwt.algorithms",
    "requests",
    "netrc",  # requests looks for a ~/.netrc on each request, importing this the first time
    "stripe._telemetry_id",  # imported only: its id is made on first use, after the restore
    "botocore.config",
    "botocore.exceptions",
    "pynamodb.transactions",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.parameters",
    "jinja2",
    "babel.dates",
    "babel.numbers",
    "pydantic.json_schema",
)
# The AWS services the app calls (chalicelib.aws_clients, PynamoDB, Powertools parameters, S3 presigning).
PRIMED_SERVICES = ("dynamodb", "sqs", "ses", "cognito-idp", "ssm", "s3")
# Stripe services the gateway calls (built lazily by StripeClient.v1 on first attribute access).
PRIMED_STRIPE_SERVICES = ("payment_intents", "customers", "payment_methods", "refunds", "transfers", "disputes",
                          "accounts", "account_links", "balance")
# Objects of Stripe's answers the gateway reads (their classes are imported when the first answer is parsed).
PRIMED_STRIPE_OBJECTS = ("payment_intent", "customer", "payment_method", "refund", "transfer", "transfer_reversal",
                         "dispute", "charge", "account", "account_link", "balance", "event", "list")
# Locales the notifications format in (scripts/package.py keeps their Babel data in the bundle).
PRIMED_LOCALES = ("en_GB", "fr_FR")
PLACEHOLDER_CREDENTIALS = {"aws_access_key_id": "snapstart-priming", "aws_secret_access_key": "snapstart-priming"}
PLACEHOLDER_STRIPE_KEY = "sk_test_snapstart_priming"

# functools caches that hold only data read from the bundle: kept across a restore ("module:function").
KEPT_CACHES = frozenset({
    "chalicelib.services.notification_templates:environment",
    "chalicelib.services.notification_templates:template_name",
    "chalicelib.services.event_envelopes:_validator",
})

_installed = False


def snapstart_init(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(INITIALIZATION_TYPE) == SNAP_START


def install(environ: Mapping[str, str] = os.environ) -> bool:
    """Register `prime` and `renew` with the runtime when SnapStart initialises this environment; True if done."""
    global _installed
    if _installed:
        return True
    if not snapstart_init(environ):
        return False
    try:
        hooks = importlib.import_module(HOOKS_MODULE)
    except ImportError:  # not a Lambda managed runtime: nothing will snapshot this process
        return False
    hooks.register_before_snapshot(prime)
    hooks.register_after_restore(renew)
    _installed = True
    return True


# ---------------------------------------------------------------- before the snapshot


def prime() -> list[str]:
    """Load what first requests would (module docstring); returns what could not be primed, for the log."""
    failed = [name for name in _chalicelib_modules() + list(PRIMED_LIBRARIES) if not _imported(name)]
    for step in (_prime_aws_clients, _prime_stripe, _prime_templates):
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - priming is an optimisation: the first request does it otherwise
            failed.append(f"{step.__name__}: {type(exc).__name__}: {exc}")
    if failed:
        from chalicelib.observability import logger

        logger.warning("SnapStart priming incomplete; the first requests load the rest", extra={"failed": failed})
    gc.freeze()  # what priming loaded is permanent too: the collector never walks it again (app.py does the same)
    return failed


def _chalicelib_modules() -> list[str]:
    import chalicelib

    # Not the entry modules (chalicelib/entries): each builds an API app, and a second app in the process would
    # take over the blueprints the function serves (api_app refuses it). The function's own entry is imported.
    return [m.name for m in pkgutil.walk_packages(chalicelib.__path__, "chalicelib.")
            if not m.name.startswith("chalicelib.entries.")]


def _imported(name: str) -> bool:
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - reported by prime()
        return False
    return True


def _prime_aws_clients() -> None:
    from chalicelib import aws_clients

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
    for service in PRIMED_SERVICES:
        aws_clients.client(service, region_name=region, **PLACEHOLDER_CREDENTIALS)


def _prime_stripe() -> None:
    from stripe._object_classes import get_object_class

    from chalicelib.payments.stripe_gateway import StripeGateway

    sdk = StripeGateway(PLACEHOLDER_STRIPE_KEY)._sdk()
    for service in PRIMED_STRIPE_SERVICES:
        getattr(sdk.v1, service)
    for name in PRIMED_STRIPE_OBJECTS:
        get_object_class("V1", name)


def _prime_templates() -> None:
    from babel import Locale

    from chalicelib.services import notification_templates

    notification_templates.environment()
    for locale in PRIMED_LOCALES:
        Locale.parse(locale)


# ---------------------------------------------------------------- after each restore


def renew() -> None:
    """Make this restored environment its own (module docstring)."""
    random.seed()  # from os.urandom
    for cache in connection_caches().values():
        cache.cache_clear()
    from chalicelib import aws_clients, settings
    from chalicelib.store import base

    aws_clients.renew_session()
    base.drop_connections()
    settings.forget()
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters.base")
    if parameters is not None:
        parameters.clear_caches()
    tokens = sys.modules.get("chalicelib.auth.tokens")
    if tokens is not None:
        with tokens._key_sources_lock:
            tokens._key_sources.clear()


def connection_caches() -> dict[str, object]:
    """Every functools cache of a loaded chalicelib module but KEPT_CACHES, by "module:function"."""
    found = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name == "chalicelib" or module_name.startswith("chalicelib.")):
            continue
        for attribute, value in list(vars(module).items()):
            name = f"{module_name}:{attribute}"
            if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", None) == module_name \
                    and name not in KEPT_CACHES:
                found[name] = value
    return found
