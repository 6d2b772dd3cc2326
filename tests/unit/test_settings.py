"""Settings: APP_ENV=prod refuses what only suits a try-out; secrets never show in a repr."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from billing_app.config import SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET, Settings

PROD = {
    "APP_ENV": "prod",
    "RAZORPAY_KEY_ID": "rzp_live_Abc123",
    "RAZORPAY_KEY_SECRET": "live-key-secret",
    "RAZORPAY_WEBHOOK_SECRET": "live-webhook-secret",
    "SELLER_NAME": "Kaveri Compute LLP",
    "SELLER_ADDRESS": "42 Residency Road, Bengaluru, Karnataka 560025",
    "SELLER_STATE_CODE": "29",
    "PASSWORD_HASH_STRENGTH": "standard",  # the suite runs with "fast" (tests/conftest.py)
}


def settings_from(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def refusal(monkeypatch: pytest.MonkeyPatch, **changes: str | None) -> str:
    env = {name: value for name, value in {**PROD, **changes}.items() if value is not None}
    with pytest.raises(ValidationError) as refused:
        settings_from(monkeypatch, env)
    return str(refused.value)


def test_dev_needs_no_configuration_at_all(monkeypatch):
    settings = settings_from(monkeypatch, {})
    assert settings.sandbox_mode
    assert settings.key_secret.get_secret_value() == SANDBOX_KEY_SECRET
    assert settings.webhook_secret.get_secret_value() == SANDBOX_WEBHOOK_SECRET


def test_prod_with_everything_real_starts(monkeypatch):
    settings = settings_from(monkeypatch, PROD)
    assert not settings.sandbox_mode
    assert settings.key_secret.get_secret_value() == "live-key-secret"
    assert settings.webhook_secret.get_secret_value() == "live-webhook-secret"


def test_prod_refuses_the_sandbox(monkeypatch):
    assert "RAZORPAY_KEY_ID" in refusal(monkeypatch, RAZORPAY_KEY_ID=None, RAZORPAY_KEY_SECRET=None)


def test_prod_with_nothing_set_names_every_missing_setting(monkeypatch):
    message = refusal(monkeypatch, **{name: None for name in PROD if name != "APP_ENV"})
    for name in ("RAZORPAY_KEY_ID", "RAZORPAY_WEBHOOK_SECRET", "SELLER_NAME", "SELLER_ADDRESS", "SELLER_STATE_CODE"):
        assert name in message


def test_prod_refuses_test_strength_password_hashes(monkeypatch):
    assert "PASSWORD_HASH_STRENGTH=fast" in refusal(monkeypatch, PASSWORD_HASH_STRENGTH="fast")


@pytest.mark.parametrize("secret", [None, ""])
def test_prod_refuses_an_empty_webhook_secret(monkeypatch, secret):
    assert "RAZORPAY_WEBHOOK_SECRET is empty" in refusal(monkeypatch, RAZORPAY_WEBHOOK_SECRET=secret)


def test_prod_refuses_the_sandbox_secrets(monkeypatch):
    message = refusal(
        monkeypatch, RAZORPAY_KEY_SECRET=SANDBOX_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET=SANDBOX_WEBHOOK_SECRET
    )
    assert "RAZORPAY_KEY_SECRET is the sandbox's" in message
    assert "RAZORPAY_WEBHOOK_SECRET is the sandbox's" in message


@pytest.mark.parametrize("name", ["SELLER_NAME", "SELLER_ADDRESS"])
def test_prod_refuses_a_placeholder_seller(monkeypatch, name):
    placeholder = Settings.model_fields[name.lower()].default
    assert f"{name} is the placeholder" in refusal(monkeypatch, **{name: placeholder})
    assert f"{name} is the placeholder" in refusal(monkeypatch, **{name: None})
    assert f"{name} is empty" in refusal(monkeypatch, **{name: "  "})


def test_prod_needs_the_seller_state_code_set(monkeypatch):
    assert "SELLER_STATE_CODE is not set" in refusal(monkeypatch, SELLER_STATE_CODE=None)


def test_every_problem_is_named_at_once(monkeypatch):
    message = refusal(monkeypatch, RAZORPAY_WEBHOOK_SECRET=None, SELLER_NAME=None, SELLER_STATE_CODE=None)
    assert all(name in message for name in ("RAZORPAY_WEBHOOK_SECRET", "SELLER_NAME", "SELLER_STATE_CODE"))


def test_a_refusal_does_not_print_the_secrets(monkeypatch):
    message = refusal(monkeypatch, SELLER_NAME=None)
    assert "live-key-secret" not in message and "live-webhook-secret" not in message


def test_secrets_are_secret_str_and_never_printed(monkeypatch):
    settings = settings_from(monkeypatch, {**PROD, "SMTP_PASSWORD": "smtp-pass"})
    for name in ("razorpay_key_secret", "razorpay_webhook_secret", "smtp_password"):
        assert isinstance(getattr(settings, name), SecretStr)
    shown = repr(settings) + str(settings.model_dump())
    assert not any(secret in shown for secret in ("live-key-secret", "live-webhook-secret", "smtp-pass"))
    assert settings.smtp_password.get_secret_value() == "smtp-pass"
