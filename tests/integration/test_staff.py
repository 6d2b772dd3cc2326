"""Staff are made and unmade only from the CLI; the console's services answer 404 to anyone else."""

from __future__ import annotations

import pytest

from billing_app import cli
from billing_app.errors import NotFound
from billing_app.services import accounts, audit, staff
from billing_app.services.actors import Actor, acting_as
from tests.factories import make_account


def test_the_cli_grants_and_revokes_staff_and_the_audit_log_says_so(any_db, capsys):
    signed = make_account(email="ops@example.com")
    assert not accounts.authenticate(token=signed.token).is_staff

    assert cli.main(["staff", "grant", " Ops@Example.com "]) == 0
    assert accounts.authenticate(token=signed.token).is_staff
    assert cli.main(["staff", "grant", "ops@example.com"]) == 0
    assert "(already)" in capsys.readouterr().out
    assert cli.main(["staff", "list"]) == 0
    assert capsys.readouterr().out.split() == ["ops@example.com"]

    assert cli.main(["staff", "revoke", "ops@example.com"]) == 0
    assert not accounts.authenticate(token=signed.token).is_staff
    actions = [row.action for row in audit.list_events(org_id=signed.principal.org_id, limit=100).rows]
    assert actions[:2] == ["staff.revoked", "staff.granted"]  # newest first; the repeat wrote nothing


def test_granting_an_unknown_address_fails_and_says_why(db, capsys):
    assert cli.main(["staff", "grant", "nobody@example.com"]) == 2
    assert "nobody@example.com" in capsys.readouterr().err


@pytest.mark.parametrize("actor", [Actor(user_id=1, org_id=1, role="owner"), Actor(ip="10.0.0.1"), Actor.system()])
def test_only_staff_pass_the_console_check(actor):
    with acting_as(actor), pytest.raises(NotFound):
        staff.require()
    with acting_as(Actor(user_id=1, kind="staff")):
        staff.require()
