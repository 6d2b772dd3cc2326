"""The REST API fuzzed from its own /openapi.json (schemathesis).

Every operation but logout, with data that fits the schema and data that does not: the
dashboard routes with a session token of an org that has a billing address, the metering routes
with one of its API keys, against the API served over loopback HTTP with the Razorpay sandbox
mounted (top-up orders reach it), on SQLite and on PostgreSQL when it is reachable. Whatever
the input: no 5xx; every 4xx in the error envelope with a string `code`; every response as its
operation declares it (status, content type, body); and data the schema forbids is refused.

FUZZ_EXAMPLES sets how many examples each operation gets; `make fuzz` runs a larger pass."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.parameters import ParameterLocation

from billing_app.api.app import create_api
from tests.factories import paying_account
from tests.payments_support import live_app

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))

schema = schemathesis.openapi.from_asgi("/openapi.json", create_api(mount_sandbox=False)).exclude(path="/auth/logout")
# Like most APIs, this one ignores query parameters and body fields it does not know (pydantic's
# default), so an unknown one is not a schema violation it must refuse.
schema.config.generation.update(allow_extra_parameters=False)


@schemathesis.check
def error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx is the error envelope, with the stable `code` a client can switch on."""
    if not 400 <= response.status_code < 500:
        return None
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"], f"no string code: {response.text}"
    assert isinstance(error["message"], str) and error["message"], f"no message: {response.text}"
    assert isinstance(error["type"], str) and error["type"], f"no type: {response.text}"
    return True


class Target:
    def __init__(self, url: str, session: dict[str, str], api_key: dict[str, str]) -> None:
        self.url = url
        self.session = session
        self.api_key = api_key

    def headers_for(self, case: Any) -> dict[str, str]:
        return self.api_key if case.path.startswith("/v1/") else self.session


@pytest.fixture
def target(any_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    with live_app(monkeypatch) as app:
        account = paying_account(app, "fuzz@example.com")
        key = app.http.post(f"{app.url}/me/keys", json={"name": "fuzz"}, headers=account["headers"]).json()
        yield Target(app.url, account["headers"], {"Authorization": f"Bearer {key['key']}"})


def header_was_mutated(case: Any) -> bool:
    """The test sends its own Authorization header over whatever the case generated, so a case
    made "invalid" in its headers may arrive valid; its other mutations then can't be told apart
    from values that serialise to nothing (an empty object in a query). Such a case is still
    checked for everything but being refused."""
    component = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    return component is not None and component.mode.is_negative


@schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None, derandomize=False)
def test_every_input_gets_a_declared_answer_and_never_a_server_error(case: Any, target: Target) -> None:
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        error_envelope,
    ]
    if not header_was_mutated(case):
        checks.append(negative_data_rejection)
    case.call_and_validate(base_url=target.url, headers=target.headers_for(case), checks=checks)
