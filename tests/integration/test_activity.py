"""The Activity page's filter groups: several actions or prefixes at once, in the list and
in the CSV."""

from __future__ import annotations

import csv
import io

from billing_app.services import accounts, actors, alerts, api_keys, audit
from tests.factories import RUPEE, make_account


def test_any_action_matches_any_of_several_prefixes_or_actions(any_db):
    signed = make_account()
    principal = accounts.authenticate(token=signed.token)
    actors.acting(principal.acting_from(ip="10.1.2.3", user_agent="pytest"))
    org_id = principal.org_id
    api_keys.create_key(org_id=org_id, name="ci", monthly_budget_micros=None)
    alerts.set_threshold(org_id=org_id, threshold_micros=500 * RUPEE)

    def actions(**filters) -> list[str]:
        return [row.action for row in audit.list_events(org_id=org_id, **filters).rows]

    assert actions(any_action=("key.", "alert.")) == ["alert.threshold_changed", "key.created"]
    assert actions(any_action=("user.signed_up", "key.")) == ["key.created", "user.signed_up"]
    assert actions(any_action=("key.",), action="alert.") == []  # both apply
    assert actions(any_action=()) == actions()

    exported = list(csv.DictReader(io.StringIO(audit.export_csv(org_id=org_id, any_action=("alert.", "user.")))))
    assert [row["action"] for row in exported] == ["alert.threshold_changed", "user.email_verified", "user.signed_up"]
