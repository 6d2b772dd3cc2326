from __future__ import annotations

import pytest

from tests.api.conftest import assert_error, auth, signup

ADDRESS = {
    "name": "Acme Labs Pvt Ltd",
    "line1": "1 MG Road",
    "line2": "Floor 2",
    "city": "Bengaluru Urban",
    "state_code": "29",
    "pin": "560001",
    "gstin": "29aagcb7383j1z4",
}


def test_no_address_yet_is_not_found(client):
    token = signup(client)["token"]
    assert_error(client.get("/me/billing/address", headers=auth(token)), 404, "not_found", "not_found_error")


def test_put_then_get(client):
    token = signup(client)["token"]
    put = client.put("/me/billing/address", json=ADDRESS, headers=auth(token))
    assert put.status_code == 200, put.text
    expected = ADDRESS | {"gstin": "29AAGCB7383J1Z4", "state": "Karnataka"}
    assert put.json() == expected
    assert client.get("/me/billing/address", headers=auth(token)).json() == expected


def test_put_replaces_and_optional_fields_may_be_absent_or_null(client):
    token = signup(client)["token"]
    client.put("/me/billing/address", json=ADDRESS, headers=auth(token))
    body = {k: v for k, v in ADDRESS.items() if k not in ("line2", "gstin")} | {"pin": "799001", "state_code": "16"}
    replaced = client.put("/me/billing/address", json=body, headers=auth(token)).json()
    assert (replaced["line2"], replaced["gstin"], replaced["state"]) == ("", None, "Tripura")
    nulls = client.put("/me/billing/address", json=ADDRESS | {"line2": None, "gstin": None}, headers=auth(token))
    assert (nulls.json()["line2"], nulls.json()["gstin"]) == ("", None)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"pin": "056001"}, "pin"),
        ({"pin": "abcdef"}, "pin"),
        ({"state_code": "28"}, "state_code"),
        ({"city": "  "}, "city"),
        ({"name": ""}, "name"),
        ({"gstin": "27AAGCB7383J1Z5"}, "gstin"),  # another state's GSTIN
        ({"gstin": "29AAGCB7383J1Z5"}, "gstin"),  # wrong check character
        ({"name": "x" * 121}, "name"),  # schema limit
        ({"line1": 42}, "line1"),  # wrong type
    ],
)
def test_invalid_fields_are_422_with_the_field(client, change, field):
    token = signup(client)["token"]
    response = client.put("/me/billing/address", json=ADDRESS | change, headers=auth(token))
    error = assert_error(response, 422, "invalid_request", "invalid_request_error")
    assert error["field"] == field
    assert_error(client.get("/me/billing/address", headers=auth(token)), 404, "not_found")


def test_missing_field_is_422_with_the_field(client):
    token = signup(client)["token"]
    body = {k: v for k, v in ADDRESS.items() if k != "city"}
    error = assert_error(client.put("/me/billing/address", json=body, headers=auth(token)), 422, "invalid_request")
    assert error["field"] == "city"


def test_malformed_json_is_422(client):
    token = signup(client)["token"]
    response = client.put(
        "/me/billing/address", content=b"{not json", headers=auth(token) | {"Content-Type": "application/json"}
    )
    assert "field" not in assert_error(response, 422, "invalid_request")


def test_one_org_never_sees_another_orgs_address(client):
    asha = signup(client, email="asha@example.com")["token"]
    ravi = signup(client, email="ravi@example.com", org_name="Other")["token"]
    client.put("/me/billing/address", json=ADDRESS, headers=auth(asha))
    assert_error(client.get("/me/billing/address", headers=auth(ravi)), 404, "not_found")
    client.put("/me/billing/address", json=ADDRESS | {"name": "Ravi & Co", "gstin": None}, headers=auth(ravi))
    assert client.get("/me/billing/address", headers=auth(asha)).json()["name"] == "Acme Labs Pvt Ltd"
    assert client.get("/me/billing/address", headers=auth(ravi)).json()["name"] == "Ravi & Co"


def test_pincode_lookup(client):
    token = signup(client)["token"]
    assert client.get("/me/pincodes/560001", headers=auth(token)).json() == {
        "pin": "560001",
        "state": "Karnataka",
        "state_code": "29",
        "districts": ["BENGALURU URBAN"],
    }
    several = client.get("/me/pincodes/110003", headers=auth(token)).json()
    assert several["districts"] == ["NEW DELHI", "SOUTH", "SOUTH EAST"]
    tripura = client.get("/me/pincodes/799001", headers=auth(token)).json()
    assert (tripura["state"], tripura["state_code"]) == ("Tripura", "16")
    no_state = client.get("/me/pincodes/201319", headers=auth(token)).json()
    assert (no_state["state"], no_state["state_code"]) == (None, None)


def test_pincode_unknown_is_404_and_malformed_is_422(client):
    token = signup(client)["token"]
    assert_error(client.get("/me/pincodes/999999", headers=auth(token)), 404, "not_found", "not_found_error")
    error = assert_error(client.get("/me/pincodes/12ab56", headers=auth(token)), 422, "invalid_request")
    assert error["field"] == "pin"
    error = assert_error(client.get(f"/me/pincodes/{'1' * 13}", headers=auth(token)), 422, "invalid_request")
    assert error["field"] == "pin"


@pytest.mark.parametrize(
    "method,path",
    [("get", "/me/billing/address"), ("put", "/me/billing/address"), ("get", "/me/pincodes/560001")],
)
def test_every_route_needs_a_session(client, method, path):
    kwargs = {"json": ADDRESS} if method == "put" else {}
    assert_error(getattr(client, method)(path, **kwargs), 401, "unauthenticated", "authentication_error")
    response = getattr(client, method)(path, headers=auth("forged"), **kwargs)
    assert_error(response, 401, "unauthenticated")


def test_routes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "put"} <= set(paths["/me/billing/address"])
    assert "get" in paths["/me/pincodes/{pin}"]
