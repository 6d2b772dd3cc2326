"""What the pages behind the overview's figures show of each list's rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

from billing_app.rows.figure_lists import ActiveOrgLine, BacklogLine, RefundLine, TopupLine, list_line, list_title
from billing_app.services.console.lists import ActiveOrg, BacklogEmail, RefundRow, Topup

NOON = datetime(2026, 12, 4, 6, 30, tzinfo=UTC)  # 12:00 IST


def test_each_row_names_its_org_and_links_to_it():
    topup = list_line(Topup("pay_A", 7, "Acme", 50_000, "upi", NOON))
    assert isinstance(topup, TopupLine)
    assert (topup.org_href, topup.amount, topup.method) == ("/console/orgs/7", "₹500.00", "upi")
    assert topup.captured.startswith("04 Dec 2026, 12:00 PM")
    refund = list_line(RefundRow(3, 7, "Acme", 200_000_000, "INR", None, NOON))
    assert isinstance(refund, RefundLine) and (refund.amount, refund.payment_id) == ("₹200.00", "—")
    active = list_line(ActiveOrg(7, "Acme", date(2026, 12, 3), None))
    assert isinstance(active, ActiveOrgLine) and (active.last_usage, active.last_topup) == ("03 Dec 2026", "never")


def test_a_backlog_email_says_who_and_why_not_yet():
    row = BacklogEmail(9, 7, "Acme", "verify_email", None, "sending", 2, NOON, "421 try later", NOON)
    line = list_line(row)
    assert isinstance(line, BacklogLine)
    assert (line.kind, line.recipient, line.next_attempt) == ("verify email", "no owner to send it to", "being sent")
    assert (line.attempts, line.last_error) == ("2", "421 try later")


def test_titles_name_the_window():
    assert list_title("topups", "today") == "Top-ups, today"
    assert list_title("refunds", "30d") == "Refunds, 30 days"
    assert list_title("orgs_in_credit", None) == "Balances owed"
