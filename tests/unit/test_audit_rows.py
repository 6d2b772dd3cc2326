"""The Activity page's rows: who, a sentence for what, and the values that changed."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_app.rows.audit import ACTION_GROUPS, SENTENCES, audit_line, change_text
from billing_app.rows.orgs import org_choice
from billing_app.services.audit import AuditRow
from billing_app.services.orgs import OrgRow

RUPEE = 1_000_000


def event(action: str, *, email: str | None = "asha@example.com", kind: str = "user", **values) -> AuditRow:
    return AuditRow(
        id=9,
        created_at=datetime(2026, 12, 3, 6, 30, tzinfo=UTC),
        action=action,
        subject=values.pop("subject", ""),
        actor_kind=kind,
        actor_user_id=1 if email else None,
        actor_email=email,
        before=values.pop("before", None),
        after=values.pop("after", None),
        ip=values.pop("ip", ""),
        user_agent="",
    )


def test_a_line_reads_as_a_sentence_in_ist_with_the_change():
    line = audit_line(
        event(
            "alert.threshold_changed",
            subject="org:3",
            before={"threshold_micros": None},
            after={"threshold_micros": 1500 * RUPEE},
            ip="10.0.0.7",
        ),
        "INR",
    )
    assert line.time == "03 Dec 2026, 12:00 PM IST"
    assert (line.who, line.what, line.action, line.subject, line.ip) == (
        "asha@example.com",
        "Changed the low-balance alert",
        "alert.threshold_changed",
        "org:3",
        "10.0.0.7",
    )
    assert line.change == "threshold: none → ₹1,500.00"


def test_the_system_someone_signed_out_and_actions_without_a_sentence():
    assert audit_line(event("payment.credited", email=None, kind="system"), "INR").who == "System"
    unknown = audit_line(event("member.promoted_to_moon", email=None), "USD")
    assert (unknown.who, unknown.what, unknown.subject, unknown.ip, unknown.change) == (
        "Someone signed out",
        "member.promoted_to_moon",
        "—",
        "—",
        "",
    )


def test_a_change_names_only_what_changed_and_one_sided_values_plainly():
    before = {"name": "Asha Rao", "city": "Mysuru", "gstin": None}
    after = {"name": "Asha Rao", "city": "Bengaluru Urban", "gstin": "29ABCDE1234F1Z5"}
    assert change_text(before, after, "INR") == "city: Mysuru → Bengaluru Urban; gstin: none → 29ABCDE1234F1Z5"
    created = {"name": "ci", "prefix": "sk-live-ab", "monthly_budget_micros": None}
    assert change_text(None, created, "INR") == "name: ci; prefix: sk-live-ab; monthly budget: none"
    assert change_text(None, {"amount_micros": -5 * RUPEE}, "USD") == "amount: -$5.00"
    assert change_text(None, None, "INR") == ""


def test_every_group_filters_by_actions_and_every_sentence_belongs_to_a_group():
    prefixes = [prefix for _, actions in ACTION_GROUPS.values() for prefix in actions]
    assert ACTION_GROUPS["all"][1] == ()
    for action in SENTENCES:
        assert any(action.startswith(prefix) for prefix in prefixes), action


def test_an_org_choice_names_the_role_and_that_orgs_balance():
    row = OrgRow(id=4, name="Zen Studio", role="developer", balance_micros=7 * RUPEE, currency="INR", current=False)
    assert org_choice(row).detail == "developer · ₹7.00"
