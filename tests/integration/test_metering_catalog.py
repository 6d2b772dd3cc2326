"""The model catalog: loaded from the committed file idempotently, edited by the admin CLI,
and never overwritten where an operator set a price."""

from __future__ import annotations

import json

import pytest

from billing_app.cli import main as cli_main
from billing_app.models import PriceSource
from billing_app.services import pricing


def prices() -> dict[str, tuple[int, int, bool, str]]:
    return {
        p.model: (p.input_micros_per_million, p.output_micros_per_million, p.active, p.source)
        for p in pricing.list_prices(include_inactive=True)
    }


def test_load_is_idempotent_and_lists_the_sandbox_model(any_db):
    assert pricing.load_catalog() == len(pricing.read_catalog())
    assert pricing.load_catalog() == 0
    assert prices()[pricing.SANDBOX_MODEL] == (12_750_000, 51_000_000, True, PriceSource.CATALOG)


def test_admin_prices_survive_a_reload_unless_overwritten(db, capsys):
    pricing.load_catalog()
    assert cli_main(["prices", "set", "sandbox-echo", "--input", "1.5", "--output", "2"]) == 0
    assert prices()["sandbox-echo"] == (1_500_000, 2_000_000, True, PriceSource.ADMIN)
    assert pricing.load_catalog() == 0
    assert prices()["sandbox-echo"][:2] == (1_500_000, 2_000_000)
    assert cli_main(["prices", "load", "--overwrite"]) == 0
    assert prices()["sandbox-echo"] == (12_750_000, 51_000_000, True, PriceSource.CATALOG)
    assert cli_main(["prices", "list"]) == 0
    out = capsys.readouterr().out
    assert "sandbox-echo" in out and "₹12.75" in out


def test_a_new_model_and_a_removed_one(db, tmp_path):
    pricing.load_catalog()
    data = json.loads(pricing.CATALOG_PATH.read_text())
    data["models"] = [m for m in data["models"] if m["model"] != "openai/gpt-4o"]
    data["models"].append(
        {
            "model": "acme/tiny",
            "display_name": "Tiny",
            "provider": "Acme",
            "per_million": {"INR": {"input": "0.5", "output": "1"}, "USD": {"input": "0.01", "output": "0.02"}},
        }
    )
    path = tmp_path / "models.json"
    path.write_text(json.dumps(data))
    assert pricing.load_catalog(path=path) == 2
    assert prices()["acme/tiny"] == (500_000, 1_000_000, True, PriceSource.CATALOG)
    assert prices()["openai/gpt-4o"][2] is False  # deactivated, kept for the usage that refers to it
    assert "openai/gpt-4o" not in {p.model for p in pricing.list_prices()}


@pytest.mark.parametrize(
    "args",
    [
        ["prices", "set", "x", "--input", "-1", "--output", "1"],
        ["prices", "set", "x", "--input", "abc", "--output", "1"],
        ["prices", "set", "x", "--input", "0.0000001", "--output", "1"],
    ],
)
def test_bad_prices_are_refused(db, args):
    assert cli_main(args) == 2
    assert "x" not in prices()


def test_a_catalog_without_the_sandbox_model_is_refused(db, tmp_path):
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"models": []}))
    with pytest.raises(Exception, match="sandbox-echo"):
        pricing.load_catalog(path=path)


def test_usd_deployments_read_usd_rates(db, monkeypatch):
    monkeypatch.setenv("BILLING_CURRENCY", "USD")
    from billing_app.context import reset_context

    reset_context()
    echo = {m.model: m for m in pricing.read_catalog()}["sandbox-echo"]
    assert (echo.input_micros_per_million, echo.output_micros_per_million) == (150_000, 600_000)


def test_expire_holds_command(db, capsys):
    assert cli_main(["expire-holds"]) == 0
    assert "0 expired hold(s) released" in capsys.readouterr().out
