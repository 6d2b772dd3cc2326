"""GST settings: on when SELLER_GSTIN is set; a wrong seller GSTIN refuses to start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from billing_app.config import Settings


def settings_from(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_gst_is_off_without_a_seller_gstin(monkeypatch):
    settings = settings_from(monkeypatch, {})
    assert not settings.gst_enabled
    assert (settings.gst_rate_percent, settings.gst_sac) == (18, "998315")


def test_a_seller_gstin_turns_gst_on(monkeypatch):
    settings = settings_from(
        monkeypatch, {"SELLER_GSTIN": "29AAGCB7383J1Z4", "GST_RATE_PERCENT": "5", "GST_SAC": "998319"}
    )
    assert settings.gst_enabled
    assert (settings.gst_rate_percent, settings.gst_sac) == (5, "998319")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SELLER_GSTIN": "29AAGCB7383J1Z5"}, "check character"),
        ({"SELLER_GSTIN": "27AAGCB7383J1Z4"}, "state code 27"),
        ({"GST_RATE_PERCENT": "-1"}, "gst_rate_percent"),
        ({"GST_SAC": "99-83"}, "gst_sac"),
    ],
)
def test_wrong_gst_settings_refuse_to_start(monkeypatch, env, message):
    with pytest.raises(ValidationError) as refused:
        settings_from(monkeypatch, env)
    assert message in str(refused.value)
