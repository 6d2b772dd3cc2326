"""The router's REST API: /v1/billing/authorize, /v1/billing/usage, /v1/chat/completions and
/v1/models, with every error in the envelope."""

from __future__ import annotations

import pytest

from billing_app.services import ledger, pricing
from tests.api.conftest import assert_error, auth, signup

SIGNUP = 100_000_000
INSUFFICIENT = "Insufficient credits. Please top up your account."


@pytest.fixture(autouse=True)
def catalog(client) -> None:
    pricing.load_catalog()


def new_key(client, token: str, **body) -> str:
    response = client.post("/me/keys", json={"name": "router", **body}, headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()["key"]


@pytest.fixture
def account(client) -> dict:
    me = signup(client)
    return {**me, "key": new_key(client, me["token"])}


def usage_body(request_id: str = "req-1", **extra) -> dict:
    return {"request_id": request_id, "model": "sandbox-echo", "prompt_tokens": 1000, "completion_tokens": 500} | extra


def test_authorize_then_usage(client, account):
    key = auth(account["key"])
    held = client.post(
        "/v1/billing/authorize", json={"request_id": "req-1", "model": "sandbox-echo", "max_tokens": 500}, headers=key
    )
    assert held.status_code == 200, held.text
    body = held.json()
    assert body["hold_micros"] == 28_050 and body["available_micros"] == SIGNUP - 28_050
    assert isinstance(body["hold_id"], int) and body["expires_at"].endswith("+05:30") and body["currency"] == "INR"

    debit = client.post("/v1/billing/usage", json=usage_body(), headers=key)
    assert debit.status_code == 200, debit.text
    assert debit.json() == {
        "cost_micros": 42_075,
        "balance_micros": SIGNUP - 42_075,
        "currency": "INR",
        "replayed": False,
    }
    me = client.get("/me/billing", headers=auth(account["token"])).json()
    assert me["balance_micros"] == SIGNUP - 42_075
    assert ledger.audit() == []


def test_usage_replay_returns_the_same_cost_and_debits_once(client, account):
    key = auth(account["key"])
    first = client.post("/v1/billing/usage", json=usage_body(), headers=key).json()
    replay = client.post(
        "/v1/billing/usage", json=usage_body(prompt_tokens=7, completion_tokens=7, routing_mode="tier"), headers=key
    ).json()
    assert replay == {**first, "replayed": True}
    assert ledger.get_balance(org_id=account["org_id"]) == SIGNUP - first["cost_micros"]


def test_402_envelope_when_balance_less_holds_is_spent(client, account):
    ledger.add_manual_entry(org_id=account["org_id"], amount_micros=-SIGNUP, reason="spent")
    response = client.post(
        "/v1/billing/authorize", json={"request_id": "r", "model": "sandbox-echo"}, headers=auth(account["key"])
    )
    assert response.status_code == 402
    assert response.json() == {
        "error": {"code": "insufficient_credits", "message": INSUFFICIENT, "type": "billing_error"}
    }
    # The request that already happened is still billed: usage is never refused for balance.
    assert client.post("/v1/billing/usage", json=usage_body(), headers=auth(account["key"])).status_code == 200


def test_429_envelope_when_the_monthly_budget_is_spent(client, account):
    key = new_key(client, account["token"], monthly_budget_micros=0)
    response = client.post(
        "/v1/billing/authorize", json={"request_id": "r", "model": "sandbox-echo"}, headers=auth(key)
    )
    error = assert_error(response, 429, "budget_exceeded", "billing_error")
    assert "budget" in error["message"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer sk-live-unknown"}, {"Authorization": "Basic abc"}],
    ids=["missing", "unknown", "not-bearer"],
)
def test_401_invalid_api_key(client, account, headers):
    for path, body in (
        ("/v1/billing/authorize", {"request_id": "r", "model": "sandbox-echo"}),
        ("/v1/billing/usage", usage_body()),
    ):
        response = client.post(path, json=body, headers=headers)
        assert_error(response, 401, "invalid_api_key", "authentication_error")
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_session_token_is_not_an_api_key(client, account):
    response = client.post("/v1/billing/usage", json=usage_body(), headers=auth(account["token"]))
    assert_error(response, 401, "invalid_api_key")


def test_a_revoked_key_gets_401(client, account):
    keys = client.get("/me/keys", headers=auth(account["token"])).json()["keys"]
    assert client.delete(f"/me/keys/{keys[0]['id']}", headers=auth(account["token"])).status_code == 204
    assert_error(
        client.post("/v1/billing/usage", json=usage_body(), headers=auth(account["key"])), 401, "invalid_api_key"
    )


@pytest.mark.parametrize(
    "body",
    [
        usage_body(prompt_tokens=-1),
        usage_body(completion_tokens=10**9 + 1),
        usage_body(prompt_tokens=1.5),
        usage_body(prompt_tokens="12"),
        usage_body(prompt_tokens=True),
        usage_body(routing_mode="fastest"),
        usage_body(request_id=""),
        usage_body(request_id="x" * 101),
        usage_body(request_id="a\u0000b"),
        {"request_id": "r", "model": "sandbox-echo", "prompt_tokens": 1},
        {},
    ],
    ids=[
        *("negative", "too-many", "float", "string", "bool", "mode"),
        *("empty-id", "long-id", "nul-id", "missing", "nothing"),
    ],
)
def test_422_invalid_request(client, account, body):
    assert_error(
        client.post("/v1/billing/usage", json=body, headers=auth(account["key"])),
        422,
        "invalid_request",
        "invalid_request_error",
    )
    assert ledger.get_balance(org_id=account["org_id"]) == SIGNUP


def test_422_names_the_offending_field_as_fastapi_routes_do(client, account):
    """authorize and usage are served by plain ASGI routes (api/metering.py); their schema
    errors name the field like every FastAPI route's, so a client can point at it."""
    key = auth(account["key"])
    usage = client.post("/v1/billing/usage", json=usage_body(prompt_tokens=-1), headers=key)
    assert assert_error(usage, 422, "invalid_request")["field"] == "prompt_tokens"
    held = client.post(
        "/v1/billing/authorize", json={"request_id": "r", "model": "sandbox-echo", "max_tokens": "x"}, headers=key
    )
    assert assert_error(held, 422, "invalid_request")["field"] == "max_tokens"


def test_422_for_malformed_json(client, account):
    response = client.post(
        "/v1/billing/authorize",
        content=b"{not json",
        headers={**auth(account["key"]), "Content-Type": "application/json"},
    )
    assert_error(response, 422, "invalid_request")


def test_token_counts_at_the_limits_are_accepted(client, account):
    for request_id, tokens in (("zero", 0), ("max", 10**9)):
        response = client.post(
            "/v1/billing/usage",
            json=usage_body(request_id, prompt_tokens=tokens, completion_tokens=tokens),
            headers=auth(account["key"]),
        )
        assert response.status_code == 200, response.text
    assert ledger.audit() == []


def test_404_for_a_model_outside_the_catalog(client, account):
    response = client.post("/v1/billing/usage", json=usage_body(model="gpt-9"), headers=auth(account["key"]))
    error = assert_error(response, 404, "not_found", "not_found_error")
    assert "gpt-9" in error["message"]


def test_chat_completions_authorizes_answers_and_bills(client, account):
    response = client.post(
        "/v1/chat/completions",
        json={
            "model": "openai/gpt-4o-mini",
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Namaste, world"}],
            "temperature": 0.2,
        },
        headers=auth(account["key"]),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "openai/gpt-4o-mini"
    [choice] = body["choices"]
    assert choice["message"] == {"role": "assistant", "content": "[openai/gpt-4o-mini · sandbox] Namaste, world"}
    assert choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    expected = -(-(usage["prompt_tokens"] * 12_750_000 + usage["completion_tokens"] * 51_000_000) * 110 // 10**8)
    assert body["billing"] == {"cost_micros": expected, "balance_micros": SIGNUP - expected, "currency": "INR"}
    assert ledger.get_balance(org_id=account["org_id"]) == SIGNUP - expected
    daily = client.get("/me/usage", headers=auth(account["token"])).json()["today"]
    assert (daily["requests"], daily["cost_micros"]) == (1, expected)


def test_chat_completions_max_tokens_and_retries(client, account):
    body = {"model": "sandbox-echo", "messages": [{"role": "user", "content": "one two three four"}], "max_tokens": 2}
    headers = {**auth(account["key"]), "X-Request-Id": "retry-1"}
    first = client.post("/v1/chat/completions", json=body, headers=headers).json()
    assert first["choices"][0] == {
        "index": 0,
        "message": {"role": "assistant", "content": "one two"},
        "finish_reason": "length",
    }
    assert first["usage"]["completion_tokens"] == 2
    again = client.post("/v1/chat/completions", json=body, headers=headers).json()
    assert again["billing"]["cost_micros"] == first["billing"]["cost_micros"]
    assert ledger.get_balance(org_id=account["org_id"]) == SIGNUP - first["billing"]["cost_micros"]


def test_chat_completions_errors(client, account):
    key = auth(account["key"])
    messages = [{"role": "user", "content": "hi"}]
    assert_error(
        client.post("/v1/chat/completions", json={"model": "sandbox-echo", "messages": messages}),
        401,
        "invalid_api_key",
    )
    assert_error(
        client.post("/v1/chat/completions", json={"model": "x/y", "messages": messages}, headers=key), 404, "not_found"
    )
    assert_error(
        client.post("/v1/chat/completions", json={"model": "sandbox-echo", "messages": []}, headers=key),
        422,
        "invalid_request",
    )
    assert_error(
        client.post(
            "/v1/chat/completions", json={"model": "sandbox-echo", "messages": messages, "stream": True}, headers=key
        ),
        422,
        "invalid_request",
    )
    ledger.add_manual_entry(org_id=account["org_id"], amount_micros=-SIGNUP, reason="spent")
    response = client.post("/v1/chat/completions", json={"model": "sandbox-echo", "messages": messages}, headers=key)
    assert response.json()["error"] == {
        "code": "insufficient_credits",
        "message": INSUFFICIENT,
        "type": "billing_error",
    }
    assert response.status_code == 402


def test_models_lists_the_catalog_with_rates(client):
    body = client.get("/v1/models").json()
    assert body["object"] == "list"
    models = {m["id"]: m for m in body["data"]}
    echo = models["sandbox-echo"]
    assert echo["object"] == "model" and echo["owned_by"] == "sandbox"
    assert echo["pricing"] == {
        "currency": "INR",
        "input_micros_per_million": 12_750_000,
        "output_micros_per_million": 51_000_000,
    }
    assert len(models) == len(pricing.read_catalog())


def test_openapi_documents_the_metering_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/billing/authorize", "/v1/billing/usage", "/v1/chat/completions", "/v1/models"):
        assert path in paths
