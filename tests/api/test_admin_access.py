"""Every /admin route answers 404 to anyone who is not staff, signed in or not, exactly as a path
that does not exist does: the console's API is never revealed (issue 18).

The routes come from the app itself (they are not in /openapi.json), so a route added later is
checked here without anyone listing it. SAMPLES gives each route the path values, query and
body a call needs, and what staff get; a route SAMPLES does not name fails
`test_every_admin_route_has_a_sample`, so whoever adds one decides what staff should see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from billing_app.api.admin import hidden
from billing_app.api.app import create_api
from billing_app.services import staff
from tests.api.conftest import auth, signup
from tests.factories import make_member

OWN_ORG = "{own_org}"  # a path value: the org of the staff member calling
REASON = {"reason": "checking the console"}


@dataclass(frozen=True)
class Sample:
    params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    staff_status: int | None = None  # what staff get here; None: left to the route's own tests


SAMPLES: dict[tuple[str, str], Sample] = {
    ("GET", "/admin/overview"): Sample(staff_status=200),
    ("GET", "/admin/lists/{key}"): Sample(params={"key": "topups"}, query={"window": "today"}, staff_status=200),
    ("GET", "/admin/orgs"): Sample(query={"q": "acme"}, staff_status=200),
    ("GET", "/admin/orgs/{org_id}"): Sample(params={"org_id": OWN_ORG}, staff_status=200),
    ("GET", "/admin/orgs/{org_id}/ledger"): Sample(params={"org_id": OWN_ORG}, staff_status=200),
    ("GET", "/admin/orgs/{org_id}/orders"): Sample(params={"org_id": OWN_ORG}, staff_status=200),
    ("GET", "/admin/orgs/{org_id}/audit"): Sample(params={"org_id": OWN_ORG}, staff_status=200),
    ("GET", "/admin/orgs/{org_id}/payments/{payment_id}/live"): Sample(
        params={"org_id": OWN_ORG, "payment_id": "pay_NotOneOfTheirs"}, staff_status=404
    ),
    ("POST", "/admin/orgs/{org_id}/manual-entries"): Sample(
        params={"org_id": OWN_ORG}, body={"amount_micros": 1_000_000, "reason": "goodwill"}, staff_status=201
    ),
    ("GET", "/admin/approvals"): Sample(staff_status=200),
    ("POST", "/admin/approvals/{request_id}/approve"): Sample(
        params={"request_id": "999999"}, body={}, staff_status=404
    ),
    ("POST", "/admin/approvals/{request_id}/reject"): Sample(params={"request_id": "999999"}, body=REASON),
    ("POST", "/admin/payments/{payment_id}/refunds"): Sample(
        params={"payment_id": "pay_NotOurs"}, body=REASON, staff_status=404
    ),
    ("GET", "/admin/attention/orders"): Sample(staff_status=200),
    ("POST", "/admin/attention/orders/check"): Sample(body=REASON),
    ("POST", "/admin/attention/orders/{order_id}/check"): Sample(params={"order_id": "order_X"}, body=REASON),
    ("GET", "/admin/attention/webhooks"): Sample(staff_status=200),
    ("POST", "/admin/attention/webhooks/process"): Sample(body=REASON),
    ("POST", "/admin/attention/webhooks/{event_row_id}/process"): Sample(
        params={"event_row_id": "999999"}, body=REASON, staff_status=404
    ),
    ("GET", "/admin/promos"): Sample(staff_status=200),
    ("POST", "/admin/promos"): Sample(body={"code": "", "reason": "x"}, staff_status=422),
    ("POST", "/admin/promos/{code}/disable"): Sample(params={"code": "NOPE"}, body=REASON, staff_status=404),
    ("GET", "/admin/prices"): Sample(staff_status=200),
    ("GET", "/admin/gst/gstr1"): Sample(query={"month": "2026-11"}, staff_status=200),
    ("POST", "/admin/prices/load"): Sample(body=REASON),
    ("PUT", "/admin/prices/{model:path}"): Sample(params={"model": "openai/gpt-4o"}, body=REASON, staff_status=422),
}


def admin_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route under /admin the app serves, however deeply its router was
    included (FastAPI 0.165 keeps an included router whole: its routes are reached through
    `effective_route_contexts`, or `original_router` on one that lacks it)."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any], prefix: str = "") -> None:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):
                for context in route.effective_route_contexts():
                    add(context.original_route, context.path)
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + getattr(route.include_context, "prefix", ""))
            elif isinstance(route, APIRoute):
                add(route, prefix + route.path)

    def add(route: Any, path: str) -> None:
        if path.startswith("/admin") and getattr(route, "endpoint", None) is not hidden._not_found:
            found.update((method, path) for method in route.methods)

    walk(list(app.routes))
    return found


@pytest.fixture(scope="module")
def routes() -> set[tuple[str, str]]:
    return admin_routes(create_api(mount_sandbox=False))


def test_the_console_has_routes_and_every_admin_route_has_a_sample(routes):
    assert ("GET", "/admin/overview") in routes  # the walk finds included routers' routes
    missing = sorted(routes - SAMPLES.keys())
    assert missing == [], f"add these /admin routes to SAMPLES in {__file__}: {missing}"
    gone = sorted(SAMPLES.keys() - routes)
    assert gone == [], f"SAMPLES names routes the app no longer serves: {gone}"


def test_no_admin_path_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert [path for path in paths if path.startswith("/admin")] == []


@dataclass(frozen=True)
class People:
    owner: dict[str, str]  # a non-staff org owner's auth header
    developer: dict[str, str]  # a member of that org with no say over it
    staff: dict[str, str]
    staff_org: int


@pytest.fixture
def people(client) -> Iterator[People]:
    owner = signup(client, "owner@example.com")
    developer = make_member(owner["org_id"], "developer", email="dev@example.com")
    ops = signup(client, "ops@example.com")
    staff.set_staff(email="ops@example.com", staff=True)
    yield People(auth(owner["token"]), auth(developer.token), auth(ops["token"]), ops["org_id"])


def call(client: TestClient, method: str, path: str, headers: dict[str, str], *, own_org: int | str = 1) -> Any:
    sample = SAMPLES.get((method, path), Sample())
    values = {name: str(own_org) if value == OWN_ORG else value for name, value in sample.params.items()}
    url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "1"), path)
    return client.request(method, url, params=sample.query, json=sample.body, headers=headers)


def test_nobody_but_staff_learns_that_any_admin_route_exists(client, people, routes):
    not_there = client.get("/no/such/path")
    assert not_there.status_code == 404
    callers = {
        "no token": {},
        "a bad token": auth("not-a-session"),
        "a developer": people.developer,
        "a non-staff owner": people.owner,
    }
    for method, path in sorted(routes):
        for who, headers in callers.items():
            response = call(client, method, path, headers)
            assert response.status_code == 404, f"{method} {path} as {who}: {response.status_code} {response.text}"
            assert response.json() == not_there.json(), f"{method} {path} as {who}"


def test_the_wrong_method_or_a_trailing_slash_reveals_nothing(client, people, routes):
    """Starlette would answer 405 and 307 for a path that exists; the console's are 404 like any."""
    not_there = client.get("/no/such/path").json()
    for _, path in sorted(routes):
        url = re.sub(r"\{(\w+)(:\w+)?\}", "1", path)
        for headers in ({}, people.owner):
            for method, where in (("PATCH", url), ("GET", url + "/")):
                response = client.request(method, where, headers=headers, follow_redirects=False)
                assert (response.status_code, response.json()) == (404, not_there), f"{method} {where}"
    assert client.get("/admin", follow_redirects=False).status_code == 404


def test_malformed_input_is_not_a_hint_either(client, people, routes):
    """The staff check comes before any parameter or body is read: no 422 for strangers."""
    not_there = client.get("/no/such/path").json()
    junk = {"q": "x" * 1000, "cursor": "zz", "limit": "-1"}
    for method, path in sorted(routes):
        url = re.sub(r"\{(\w+)(:\w+)?\}", "not-an-id", path)
        for headers in ({}, people.owner):
            response = client.request(method, url, params=junk, content=b"{not json", headers=headers)
            assert (response.status_code, response.json()) == (404, not_there), f"{method} {url}"


def test_staff_reach_every_route(client, people, routes):
    for method, path in sorted(routes):
        expected = SAMPLES[(method, path)].staff_status
        if expected is None:
            continue
        response = call(client, method, path, people.staff, own_org=people.staff_org)
        assert response.status_code == expected, f"{method} {path} as staff: {response.text}"


def test_staff_revoked_are_strangers_again(client, people):
    assert client.get("/admin/overview", headers=people.staff).status_code == 200
    staff.set_staff(email="ops@example.com", staff=False)
    assert client.get("/admin/overview", headers=people.staff).status_code == 404
