"""Typed settings, read lazily from the environment.

Never read at import time: Chalice's test client and the local runner set the
stage's environment variables around each call, and Lambda may reuse a process.
`get_settings()` re-reads when the environment changed, so it is cheap and correct.

Local or not is never guessed: only `HALLES_LOCAL_MODE=1` (set by the devstack runner and the
test fixtures, never by a deployed stage) enables the local shortcuts (defaults for resource
names, auto-confirmed sign-ups, return URLs on localhost). Without it every AWS setting must be
configured, and `get_settings()` raises `MissingSettings` naming each missing variable instead
of falling back to a local value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

_cache: tuple[tuple, "Settings"] | None = None

LOCAL_MODE_VARIABLE = "HALLES_LOCAL_MODE"

_KEYS = (
    LOCAL_MODE_VARIABLE,
    "HALLES_STAGE",
    "HALLES_TABLE_PREFIX",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "HALLES_USER_POOL_ID",
    "HALLES_USER_POOL_CLIENT_ID",
    "HALLES_JWKS_URL",
    "HALLES_NOTIFICATIONS_QUEUE_URL",
    "HALLES_MAX_BODY_BYTES",
    "HALLES_MAIL_FROM",
    "HALLES_CURRENCY",
    "HALLES_CORS_ORIGIN",
    "HALLES_PAYMENT_EVENTS_QUEUE_URL",
    "HALLES_IMPORTS_QUEUE_URL",
    "HALLES_FRONTEND_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_API_BASE",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_CONNECT_WEBHOOK_SECRET",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_LIVEMODE",
    "HALLES_PAYOUT_RELEASE",
    "HALLES_REFUND_COMMISSION",
    "HALLES_RESERVATION_MINUTES",
    "HALLES_AUTO_CONFIRM_DAYS",
    "HALLES_COMMISSION_BPS",
    "HALLES_SERVICE_FEE",
    "HALLES_VAT_RATES",
    "STRIPE_SECRET_KEY_PARAM",
    "STRIPE_WEBHOOK_SECRET_PARAM",
    "STRIPE_CONNECT_WEBHOOK_SECRET_PARAM",
    "HALLES_IMAGES_BUCKET",
    "HALLES_API_KEY_PEPPER",
    "HALLES_API_KEY_PEPPER_PARAM",
    "HALLES_API_KEY_RATE_LIMIT",
    "HALLES_API_KEY_RATE_WINDOW_SECONDS",
    "HALLES_RETURN_ANSWER_DAYS",
    "HALLES_ANALYTICS_QUEUE_URL",
    "HALLES_UNSUBSCRIBE_SECRET",
    "HALLES_UNSUBSCRIBE_SECRET_PARAM",
    "HALLES_PUBLIC_API_URL",
)

DEFAULT_VAT_RATES = "DE:1900,FR:2000,NL:2100,BE:2100,ES:2100,IT:2200,AT:2000,IE:2300,PL:2300,SE:2500,DK:2500,PT:2300"


# Outside local mode each of these must be set (a `(name, alternative)` pair: either one).
REQUIRED_OUTSIDE_LOCAL: tuple[tuple[str, ...], ...] = (
    ("HALLES_STAGE",),
    ("AWS_REGION", "AWS_DEFAULT_REGION"),
    ("HALLES_TABLE_PREFIX",),
    ("HALLES_USER_POOL_ID",),
    ("HALLES_USER_POOL_CLIENT_ID",),
    ("HALLES_NOTIFICATIONS_QUEUE_URL",),
    ("HALLES_PAYMENT_EVENTS_QUEUE_URL",),
    ("HALLES_MAIL_FROM",),
    ("HALLES_FRONTEND_URL",),
    ("STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY_PARAM"),
    ("STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET_PARAM"),
    ("STRIPE_CONNECT_WEBHOOK_SECRET", "STRIPE_CONNECT_WEBHOOK_SECRET_PARAM"),
    ("HALLES_API_KEY_PEPPER", "HALLES_API_KEY_PEPPER_PARAM"),
)

# Local stack and tests only (never outside local mode): keys there are test keys anyway.
LOCAL_API_KEY_PEPPER = "local-only-api-key-pepper"
LOCAL_UNSUBSCRIBE_SECRET = "local-only-unsubscribe-secret"


class MissingSettings(RuntimeError):
    """A deployed (non-local) stage lacks required configuration; names every missing variable."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(
            "missing required setting(s) outside local mode: " + ", ".join(missing)
            + f" (set them in the stage's environment; {LOCAL_MODE_VARIABLE}=1 is for the local stack only)"
        )


def is_local_mode(value: str | None) -> bool:
    return (value or "").strip() == "1"


@dataclass(frozen=True)
class Settings:
    """The app's settings for this stage, read once from the environment."""

    stage: str = "local"
    local_mode: bool = False
    table_prefix: str = "halles-local-"
    region: str = "eu-west-1"
    endpoint_url: str | None = None
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    jwks_url_override: str | None = None
    notifications_queue_url: str = ""
    max_body_bytes: int = 64 * 1024
    mail_from: str = "no-reply@halles.local"
    currency: str = "EUR"
    cors_origin: str = "*"
    payment_events_queue_url: str = ""
    imports_queue_url: str = ""  # the offer-imports queue: chunks of a vendor's CSV import
    frontend_url: str = "http://127.0.0.1:8080"
    # Payments: Stripe through the official SDK; locally `stripe_api_base` points it at the local provider.
    stripe_secret_key: str = ""
    stripe_api_base: str | None = None
    stripe_webhook_secret: str = ""
    stripe_connect_webhook_secret: str = ""
    stripe_publishable_key: str = ""
    stripe_livemode: bool = False
    payout_release: str = "on_delivery"  # or "at_payment"
    refund_commission: str = "refund_commission"  # or "keep_commission" (chalicelib/domain/ledger.py)
    reservation_minutes: int = 30
    auto_confirm_days: int = 14  # receipt of a shipped parcel is confirmed for the shopper after this many days
    commission_bps: int = 1000
    service_fee: int = 0
    vat_rates_bps: dict = field(default_factory=dict)
    images_bucket: str = ""  # product images (private; served through GET /media/...)
    # Vendor API keys: peppers of their keyed hash (the first hashes, any verifies: rolling one),
    # and each key's limit: `api_key_rate_limit` requests per fixed window of that many seconds.
    api_key_peppers: tuple[str, ...] = ()
    api_key_rate_limit: int = 120
    api_key_rate_window_seconds: int = 60
    return_answer_days: int = 3  # a vendor answers a return request within this, or the platform decides
    # Return analytics: the events it counts are published there too (unset: nothing is counted).
    analytics_queue_url: str = ""
    # Notifications: the secrets signing unsubscribe links (the first signs, any verifies: rolling one),
    # and the public base URL of this API those links point at (no link, no non-transactional mail).
    unsubscribe_secrets: tuple[str, ...] = ()
    public_api_url: str = ""

    def table_name(self, short: str) -> str:
        return f"{self.table_prefix}{short}"

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks_url(self) -> str:
        if self.jwks_url_override:
            return self.jwks_url_override
        if self.endpoint_url:
            # moto (and other local emulators) serve the pool's keys under the endpoint.
            return f"{self.endpoint_url.rstrip('/')}/{self.user_pool_id}/.well-known/jwks.json"
        return f"{self.issuer}/.well-known/jwks.json"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


def _secret(env: dict, name: str) -> str:
    """A secret from the environment (local), else from the SSM SecureString named by `<name>_PARAM` (AWS).

    Read once per settings snapshot, i.e. once per Lambda container; a rotated secret reaches new
    containers (webhook secrets accept a comma-separated list, so old and new overlap).
    """
    if env.get(name):
        return env[name]
    parameter = env.get(f"{name}_PARAM")
    if not parameter:
        return ""
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_parameter(parameter, decrypt=True, max_age=300)


def _vat_rates(spec: str) -> dict[str, int]:
    """`DE:1900,FR:2000` -> {"DE": 1900, "FR": 2000} (basis points)."""
    rates = {}
    for part in spec.split(","):
        country, _, bps = part.strip().partition(":")
        if country and bps.isdigit():
            rates[country.upper()] = int(bps)
    return rates


def _peppers(spec: str, local_mode: bool) -> tuple[str, ...]:
    """`new,old` while rolling the pepper; the local default only in local mode."""
    peppers = tuple(p.strip() for p in spec.split(",") if p.strip())
    return peppers or ((LOCAL_API_KEY_PEPPER,) if local_mode else ())


def _unsubscribe_secrets(env: dict, local_mode: bool) -> tuple[str, ...]:
    """The unsubscribe link keys. A stage deployed before they existed may lack the SSM parameter: that
    must not stop every function, only non-transactional mail (which needs a link) until it is created."""
    if not (env["HALLES_UNSUBSCRIBE_SECRET"] or env["HALLES_UNSUBSCRIBE_SECRET_PARAM"]):
        return (LOCAL_UNSUBSCRIBE_SECRET,) if local_mode else ()
    try:
        spec = _secret(env, "HALLES_UNSUBSCRIBE_SECRET")
    except Exception:  # noqa: BLE001 - see the docstring; the mail that needs it says why it is not sent
        return ()
    return tuple(p.strip() for p in spec.split(",") if p.strip())


def forget() -> None:
    """The next `get_settings()` reads the environment and the secrets again (a SnapStart restore, snapstart.py)."""
    global _cache
    _cache = None


def get_settings() -> Settings:
    global _cache
    snapshot = tuple(os.environ.get(k) for k in _KEYS)
    if _cache is not None and _cache[0] == snapshot:
        return _cache[1]
    env = dict(zip(_KEYS, snapshot))
    local_mode = is_local_mode(env[LOCAL_MODE_VARIABLE])
    if not local_mode:
        missing = [" or ".join(names) for names in REQUIRED_OUTSIDE_LOCAL if not any(env[n] for n in names)]
        if missing:
            raise MissingSettings(missing)
    settings = Settings(
        stage=env["HALLES_STAGE"] or "local",
        local_mode=local_mode,
        table_prefix=env["HALLES_TABLE_PREFIX"] or "halles-local-",
        region=env["AWS_REGION"] or env["AWS_DEFAULT_REGION"] or "eu-west-1",
        endpoint_url=env["AWS_ENDPOINT_URL"] or None,
        user_pool_id=env["HALLES_USER_POOL_ID"] or "",
        user_pool_client_id=env["HALLES_USER_POOL_CLIENT_ID"] or "",
        jwks_url_override=env["HALLES_JWKS_URL"] or None,
        notifications_queue_url=env["HALLES_NOTIFICATIONS_QUEUE_URL"] or "",
        max_body_bytes=_int(env["HALLES_MAX_BODY_BYTES"], 64 * 1024),
        mail_from=env["HALLES_MAIL_FROM"] or "no-reply@halles.local",
        currency=env["HALLES_CURRENCY"] or "EUR",
        cors_origin=env["HALLES_CORS_ORIGIN"] or "*",
        payment_events_queue_url=env["HALLES_PAYMENT_EVENTS_QUEUE_URL"] or "",
        imports_queue_url=env["HALLES_IMPORTS_QUEUE_URL"] or "",
        frontend_url=env["HALLES_FRONTEND_URL"] or "http://127.0.0.1:8080",
        stripe_secret_key=_secret(env, "STRIPE_SECRET_KEY"),
        stripe_api_base=env["STRIPE_API_BASE"] or None,
        stripe_webhook_secret=_secret(env, "STRIPE_WEBHOOK_SECRET"),
        stripe_connect_webhook_secret=_secret(env, "STRIPE_CONNECT_WEBHOOK_SECRET"),
        stripe_publishable_key=env["STRIPE_PUBLISHABLE_KEY"] or "",
        stripe_livemode=(env["STRIPE_LIVEMODE"] or "").lower() in ("1", "true", "yes"),
        payout_release="at_payment" if env["HALLES_PAYOUT_RELEASE"] == "at_payment" else "on_delivery",
        refund_commission=("keep_commission" if env["HALLES_REFUND_COMMISSION"] == "keep_commission"
                           else "refund_commission"),
        reservation_minutes=_int(env["HALLES_RESERVATION_MINUTES"], 30),
        auto_confirm_days=max(1, _int(env["HALLES_AUTO_CONFIRM_DAYS"], 14)),
        commission_bps=_int(env["HALLES_COMMISSION_BPS"], 1000),
        service_fee=_int(env["HALLES_SERVICE_FEE"], 0),
        vat_rates_bps=_vat_rates(env["HALLES_VAT_RATES"] or DEFAULT_VAT_RATES),
        images_bucket=env["HALLES_IMAGES_BUCKET"] or "",
        api_key_peppers=_peppers(_secret(env, "HALLES_API_KEY_PEPPER"), local_mode),
        api_key_rate_limit=max(1, _int(env["HALLES_API_KEY_RATE_LIMIT"], 120)),
        api_key_rate_window_seconds=max(1, _int(env["HALLES_API_KEY_RATE_WINDOW_SECONDS"], 60)),
        return_answer_days=max(1, _int(env["HALLES_RETURN_ANSWER_DAYS"], 3)),
        analytics_queue_url=env["HALLES_ANALYTICS_QUEUE_URL"] or "",
        unsubscribe_secrets=_unsubscribe_secrets(env, local_mode),
        public_api_url=(env["HALLES_PUBLIC_API_URL"] or ("http://127.0.0.1:8000" if local_mode else "")).rstrip("/"),
    )
    _cache = (snapshot, settings)
    return settings
