"""The one place configuration is read: environment variables and an optional `.env`.

Every name here is documented in the README's configuration table; the names are a
promise to operators (DESIGN.md), so extend, never rename.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from billing_app.gst import validate_gstin

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SANDBOX_KEY_ID = "rzp_test_sandbox"
SANDBOX_KEY_SECRET = "sandbox_key_secret"
SANDBOX_WEBHOOK_SECRET = "sandbox_webhook_secret"
RAZORPAY_API_URL = "https://api.razorpay.com"
RAZORPAY_CHECKOUT_JS = "https://checkout.razorpay.com/v1/checkout.js"
# Reflex 0.10.1's cap on its own worker count (reflex/utils/processes.py, MAX_BACKEND_WORKERS).
REFLEX_MAX_WORKERS = 8


class Settings(BaseSettings):
    # hide_input_in_errors: a refusal must not print the environment, secrets included.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    host: str = "127.0.0.1"
    port: int = 3000
    # Where links in emails point; defaults to http://HOST:PORT.
    public_url: str = ""
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'billing.db'}"
    redis_url: str | None = None
    # App processes `make run` starts (granian workers); unset: 1, or min(2·CPU+1, 8) with Redis.
    workers: int | None = Field(default=None, ge=1)
    # Every rate-limit key this app keeps in Redis starts with this (reset deletes only these).
    rate_limit_key_prefix: str = Field(default="billing_app:rate", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    # Proxies (load balancers) in front of the app that append to X-Forwarded-For: the client's
    # address is the entry this many from the end. 0: the socket's peer is the client. Reflex's own
    # REFLEX_TRUSTED_PROXY_HOPS is the same knob, for the pages (rxconfig.py passes this on).
    trusted_proxy_hops: int = Field(
        default=0, ge=0, validation_alias=AliasChoices("TRUSTED_PROXY_HOPS", "REFLEX_TRUSTED_PROXY_HOPS")
    )
    # "dev" allows the sandbox keys and placeholder secrets; "prod" refuses them (`_prod_problems`).
    app_env: Literal["dev", "prod"] = "dev"
    # argon2's cost for new password hashes. "fast" (a few milliseconds) is for the test suite,
    # which makes thousands of accounts; APP_ENV=prod refuses it.
    password_hash_strength: Literal["standard", "fast"] = "standard"

    razorpay_key_id: str = ""
    razorpay_key_secret: SecretStr = SecretStr("")
    razorpay_webhook_secret: SecretStr = SecretStr("")
    razorpay_base_url: str = ""
    razorpay_checkout_js_url: str = ""
    razorpay_timeout_seconds: float = 10.0

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "billing@localhost"
    smtp_tls: bool = False

    billing_currency: Literal["INR", "USD"] = "INR"
    # Paise charged per 1 USD of credit in USD mode (₹85.00 by default).
    usd_inr_rate_paise: int = Field(default=8500, gt=0)
    signup_credit_micros: int = Field(default=100_000_000, ge=0)
    topup_min_units: int = Field(default=100, gt=0)
    topup_max_units: int = Field(default=1000, gt=0)
    inr_topup_presets: tuple[int, ...] = (100, 250, 500, 1000)
    usd_topup_presets: tuple[int, ...] = (5, 10, 25)
    usd_topup_min_units: int = Field(default=5, gt=0)
    usd_topup_max_units: int = Field(default=500, gt=0)
    markup_auto_percent: int = Field(default=10, ge=0)
    markup_tier_percent: int = Field(default=8, ge=0)
    # An order still unpaid this long is asked about by the reconciler.
    reconcile_after_seconds: int = Field(default=120, ge=0)
    reconcile_interval_seconds: int = Field(default=60, gt=0)
    background_jobs: bool = True
    # Connections each app process keeps open for pages and the dashboard API (as many again
    # may open under a burst); the metering hot path has its own (METERING_PG_CONNECTIONS).
    database_pool_size: int = Field(default=16, ge=1)
    # Metering: an authorize holds the estimated cost this long unless its usage arrives.
    hold_ttl_seconds: int = Field(default=600, gt=0)
    # The completion size assumed for a hold when the request names no max_tokens.
    hold_default_max_tokens: int = Field(default=4096, ge=0)
    hold_sweep_interval_seconds: float = Field(default=30.0, gt=0)
    # SQLite: the metering connection never checkpoints inside a request; a job does.
    wal_checkpoint_interval_seconds: float = Field(default=0.25, gt=0)
    # PostgreSQL connections (and threads) the metering hot path keeps per process; past a
    # few, threads only fight over the GIL (2 cores: 2–4 measured best, 8 half as fast).
    metering_pg_connections: int = Field(default=4, gt=0)

    session_days: int = Field(default=30, gt=0)
    signup_rate_per_minute: int = Field(default=20, gt=0)
    login_rate_per_minute: int = Field(default=20, gt=0)
    promo_check_rate_per_minute: int = Field(default=10, gt=0)
    # The console: a manual credit or debit larger than this many whole units of the credit
    # currency waits for a second staff member's approval before it posts.
    manual_approval_above: int = Field(default=10000, ge=0)
    # Auto top-up: how long before a recurring debit its pre-debit notice goes out, per mandate
    # method. RBI asks for at least 24 h; Razorpay debits about 25 h (UPI) and 36 h (card) after.
    auto_topup_lead_upi_hours: int = Field(default=25, ge=24)
    auto_topup_lead_card_hours: int = Field(default=37, ge=24)

    # Placeholders for a try-out (APP_ENV=prod refuses them); SELLER_GSTIN stays empty for a
    # seller not registered for GST.
    seller_name: str = "BillingApp Technologies Pvt Ltd"
    seller_address: str = "1 MG Road, Bengaluru, Karnataka 560001"
    seller_gstin: str = ""
    seller_state_code: str = "29"
    # GST (docs/gst.md): on when SELLER_GSTIN is set. The rate is charged on top of a top-up; the
    # SAC (services accounting code) is printed on every tax invoice and credit note.
    gst_rate_percent: int = Field(default=18, ge=0, le=100)
    gst_sac: str = Field(default="998315", pattern=r"^[0-9]{4,8}$")

    @model_validator(mode="after")
    def _refuse_placeholders_in_prod(self) -> Settings:
        if self.app_env == "prod" and (problems := self._prod_problems()):
            raise ValueError("APP_ENV=prod refuses to start: " + "; ".join(problems))
        if self.topup_min_units > self.topup_max_units:
            raise ValueError("TOPUP_MIN_UNITS must not exceed TOPUP_MAX_UNITS")
        if self.gst_enabled and (problem := validate_gstin(self.seller_gstin, self.seller_state_code)):
            # A wrong GSTIN would be printed on every tax invoice: refuse to start instead.
            raise ValueError(f"SELLER_GSTIN: {problem}")
        return self

    def _prod_problems(self) -> list[str]:
        """What only suits a try-out, each named so the operator can fix all at once."""
        problems = []
        if self.password_hash_strength != "standard":
            problems.append("PASSWORD_HASH_STRENGTH=fast is for tests (passwords would be cheap to guess)")
        if self.sandbox_mode:
            problems.append("set RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET (without them the app uses its sandbox)")
        elif self.razorpay_key_secret.get_secret_value() == SANDBOX_KEY_SECRET:
            problems.append("RAZORPAY_KEY_SECRET is the sandbox's")
        webhook_secret = self.razorpay_webhook_secret.get_secret_value()
        if not webhook_secret:
            problems.append(
                "RAZORPAY_WEBHOOK_SECRET is empty (set the secret of the webhook on Razorpay's Dashboard; "
                "without it every webhook is refused)"
            )
        elif webhook_secret == SANDBOX_WEBHOOK_SECRET:
            problems.append("RAZORPAY_WEBHOOK_SECRET is the sandbox's")
        for name in ("seller_name", "seller_address"):
            value = getattr(self, name)
            if not value.strip():
                problems.append(f"{name.upper()} is empty")
            elif value == type(self).model_fields[name].default:
                problems.append(f"{name.upper()} is the placeholder {value!r} (it is printed on receipts)")
        if "seller_state_code" not in self.model_fields_set:
            problems.append("SELLER_STATE_CODE is not set (the GST state code of the seller, e.g. 29)")
        return problems

    @property
    def gst_enabled(self) -> bool:
        """A seller registered for GST issues tax invoices and charges GST on top of top-ups."""
        return bool(self.seller_gstin.strip())

    @property
    def sandbox_mode(self) -> bool:
        """No Razorpay keys configured: the app serves and uses its own emulator."""
        return not (self.razorpay_key_id and self.razorpay_key_secret.get_secret_value())

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def key_id(self) -> str:
        return SANDBOX_KEY_ID if self.sandbox_mode else self.razorpay_key_id

    @property
    def key_secret(self) -> SecretStr:
        return SecretStr(SANDBOX_KEY_SECRET) if self.sandbox_mode else self.razorpay_key_secret

    @property
    def webhook_secret(self) -> SecretStr:
        if self.sandbox_mode and not self.razorpay_webhook_secret.get_secret_value():
            return SecretStr(SANDBOX_WEBHOOK_SECRET)
        return self.razorpay_webhook_secret

    @property
    def razorpay_api_url(self) -> str:
        if self.razorpay_base_url:
            return self.razorpay_base_url.rstrip("/")
        return f"{self.base_url}/sandbox/razorpay" if self.sandbox_mode else RAZORPAY_API_URL

    @property
    def checkout_js_url(self) -> str:
        if self.razorpay_checkout_js_url:
            return self.razorpay_checkout_js_url
        if self.sandbox_mode:
            return "/sandbox/razorpay/v1/checkout.js"
        return RAZORPAY_CHECKOUT_JS


def get_settings() -> Settings:
    """The settings of this process's AppContext (billing_app/context.py)."""
    from billing_app.context import context  # imported here: the context module imports this one

    return context().settings


def workers_for(settings: Settings, *, cpu_count: int | None = None) -> int:
    """How many app processes (granian workers) `make run` starts: `WORKERS`, else what Reflex
    0.10.1 itself picks (reflex/utils/processes.py get_num_workers): one without Redis,
    min(2·CPU+1, 8) with it. Several need `REDIS_URL`: without Redis, Reflex keeps each
    browser tab's state in the memory of the one worker that served it."""
    if settings.workers is None:
        if not settings.redis_url:
            return 1
        return min(2 * (cpu_count or os.cpu_count() or 1) + 1, REFLEX_MAX_WORKERS)
    if settings.workers > 1 and not settings.redis_url:
        raise ValueError(
            f"WORKERS={settings.workers} needs REDIS_URL: without Redis each worker keeps the pages' "
            "state (and the rate-limit counts) in its own memory. Set REDIS_URL, or WORKERS=1."
        )
    return settings.workers


if __name__ == "__main__" and sys.argv[1:] == ["workers"]:
    # `python -m billing_app.config workers`: the worker count `make run` starts, or why not.
    try:
        print(workers_for(Settings()))
    except ValueError as exc:  # pydantic's ValidationError is one too
        sys.exit(f"error: {exc}")
