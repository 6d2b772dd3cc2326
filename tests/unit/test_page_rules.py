"""Rules the pages used to write themselves, now one service function each."""

import pytest

from billing_app import routes
from billing_app.errors import InvalidRequest
from billing_app.integrations.pincodes import pin_digits
from billing_app.money import AmountError
from billing_app.services import addresses, alerts
from billing_app.services.navigation import safe_local_path


@pytest.mark.parametrize(
    ("typed", "micros"),
    [("500", 500_000_000), ("₹1,000", 1_000_000_000), ("250.50", 250_500_000), ("0", 0)],
)
def test_a_threshold_as_typed(typed, micros):
    assert alerts.parse_threshold(typed) == micros


@pytest.mark.parametrize("typed", ["-1", "lots", "", "1000000000.000001", "10000000000"])
def test_a_threshold_outside_what_set_threshold_accepts_is_refused(typed):
    with pytest.raises(AmountError):
        alerts.parse_threshold(typed)


def test_the_largest_threshold_typed_is_the_largest_the_service_accepts():
    assert alerts.parse_threshold("1000000000") == alerts.MAX_THRESHOLD_MICROS


@pytest.mark.parametrize(("typed", "pin"), [("560001", "560001"), (" 560 001 ", "560001"), ("110003", "110003")])
def test_a_pin_is_six_digits_not_starting_with_0(typed, pin):
    assert pin_digits(typed) == pin
    assert addresses.complete_pin(typed) == pin
    assert addresses.normalise_pin(typed) == pin


@pytest.mark.parametrize("typed", ["012345", "56000", "5600011", "56000a", "٥٦٠٠٠١", ""])
def test_everything_else_is_not_a_pin_anywhere(typed):
    assert pin_digits(typed) is None
    assert addresses.complete_pin(typed) is None
    with pytest.raises(InvalidRequest):
        addresses.normalise_pin(typed)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/usage?x=1", "/usage?x=1"),
        (None, "/billing"),
        ("//evil.example", "/billing"),
        ("/\\evil.example", "/billing"),
        ("https://evil.example/", "/billing"),
        ("/\t/evil.example", "/billing"),
        ("/\x7f", "/billing"),
    ],
)
def test_only_local_paths_are_followed(value, expected):
    assert safe_local_path(value, "/billing") == expected


@pytest.mark.parametrize(
    ("next_path", "token"),
    [
        (routes.emailed_link("", routes.INVITATION, "abc-123"), "abc-123"),  # what the page links
        ("/invitations/accept?token=", None),
        ("/invitations/accept", None),
        ("/billing?token=abc", None),  # a token, but not an invitation's
        ("//evil.example/invitations/accept?token=abc", None),
        ("", None),
    ],
)
def test_the_sign_in_page_knows_an_invitation_link_in_next(next_path, token):
    """So that it can say the sign-in is to accept an invitation."""
    assert routes.invitation_token(next_path) == token
