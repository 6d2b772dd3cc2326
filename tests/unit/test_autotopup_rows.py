"""What Settings → Auto top-up says about a mandate, a notified debit and a dry run."""

from datetime import UTC, datetime, timedelta

from billing_app.models import AutoTopupDebit, AutoTopupMandate
from billing_app.rows.autotopup import dry_run_view, mandate_view, pending_debit
from billing_app.services.autotopup.replay import DryRun, SimulatedTopup

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # 17:30 IST
RUPEE = 1_000_000


def mandate(**fields: object) -> AutoTopupMandate:
    base: dict[str, object] = {
        "org_id": 1,
        "razorpay_customer_id": "cust_1",
        "method": "upi",
        "max_amount_paise": 1_500_000,
        "expire_at": datetime(2036, 12, 2, 12, 0, tzinfo=UTC),
    }
    return AutoTopupMandate(**(base | fields))


def test_a_confirmed_mandate_shows_its_instrument_maximum_and_expiry():
    view = mandate_view(mandate(status="confirmed", instrument="asha@okhdfc", token_id="token_1"))
    assert (view.instrument, view.method, view.maximum, view.expires) == (
        "asha@okhdfc",
        "UPI AutoPay",
        "₹15,000",
        "02 Dec 2036",
    )
    assert view.stopped == "" and not view.authorised


def test_a_stopped_mandate_says_why_auto_top_up_is_off_with_the_banks_words_only():
    rejected = mandate_view(mandate(status="rejected", failure_reason="Mandate declined by the customer's bank"))
    assert "declined the mandate" in rejected.stopped
    assert rejected.bank_reason == "Mandate declined by the customer's bank"
    cancelled = mandate_view(mandate(status="cancelled", failure_reason="cancelled by you"))
    assert "cancelled" in cancelled.stopped and cancelled.bank_reason == ""


def test_a_paid_authorisation_waits_for_the_bank():
    assert mandate_view(mandate(status="pending", token_id="token_1")).authorised
    assert not mandate_view(mandate(status="pending")).authorised  # checkout not completed


def test_a_notified_debit_shows_the_reference_of_its_notice_and_when_it_is_charged():
    debit = AutoTopupDebit(
        id=7,
        org_id=1,
        mandate_id=1,
        amount_units=500,
        amount_paise=50_000,
        credits_micros=500 * RUPEE,
        notified_at=NOW,
        charge_after=NOW + timedelta(hours=25),
    )
    shown = pending_debit(debit, "INR")
    assert (shown.amount, shown.reference, shown.charge_after) == ("₹500", "autotopup_7", "05 Dec 2026, 06:30 PM IST")
    assert not shown.charging
    debit.status = "charging"
    assert pending_debit(debit, "INR").charging  # too late to skip
    assert pending_debit(None, "INR").id == 0


def test_a_dry_run_lists_its_top_ups_and_the_one_still_pending():
    result = DryRun(
        start=NOW - timedelta(days=30),
        end=NOW,
        starting_balance_micros=100 * RUPEE,
        topups=[
            SimulatedTopup(NOW - timedelta(days=9), NOW - timedelta(days=8), 500 * RUPEE, 150 * RUPEE, False),
            SimulatedTopup(NOW - timedelta(hours=2), NOW + timedelta(hours=23), 500 * RUPEE, 90 * RUPEE, True),
        ],
        lowest_balance_micros=-5 * RUPEE,
        lowest_at=NOW - timedelta(hours=1),
        refused_from=NOW - timedelta(hours=1),
        held_by_cap=[],
    )
    summary, rows = dry_run_view(result, "INR")
    assert (summary.period, summary.count, summary.total) == ("04 Nov – 04 Dec 2026", 2, "₹1,000")
    assert summary.lowest_balance == "-₹5.00" and summary.refused_from.endswith("IST")
    assert [(row.late, row.pending) for row in rows] == [(False, False), (True, True)]
    assert rows[1].balance_at_notice == "₹90.00"


def test_a_dry_run_of_an_org_created_today_names_one_day():
    result = DryRun(NOW - timedelta(hours=3), NOW, 0, [], 0, NOW, None, [])
    summary, rows = dry_run_view(result, "INR")
    assert summary.period == "04 Dec 2026" and rows == [] and summary.refused_from == ""
