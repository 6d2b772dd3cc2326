"""Auto top-up's debits over real HTTP, on SQLite and PostgreSQL: the job (jobs/autotopup.py,
given the sandbox's clock as `now`) → the razorpay SDK → the sandbox → signed webhooks back to
our API → the existing settle and refund paths. The sandbox's clock is moved, never slept."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from billing_app.cli import main
from billing_app.db import read_session
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.jobs.autotopup import autotopup_once
from billing_app.jobs.outbox import send_due
from billing_app.models import AutoTopupDebit, EmailKind, EmailOutbox, Payment
from billing_app.services import metering, pricing
from billing_app.services.autotopup import debits
from tests.factories import paying_account
from tests.integration.test_autotopup_mandate import actions, authorised, put_rule, settings, wait_for_status
from tests.integration.test_jobs_two_processes import Child
from tests.payments_support import SANDBOX, LiveApp, assert_books_balance, credits_for, live_app, wait_until

RUPEE = 1_000_000
START = 100 * RUPEE
LEAD = timedelta(hours=25)  # the UPI notice lead time (configuration default)


@pytest.fixture
def app(any_db, mailbox, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        yield running


def on(app: LiveApp, **rule: Any) -> dict[str, Any]:
    """A signed-up org with a confirmed UPI mandate and auto top-up switched on."""
    account = paying_account(app)
    authorised(app, account)
    wait_for_status(app, account, "confirmed")
    response = put_rule(app, account, enabled=True, **rule)
    assert response.status_code == 200, response.text
    return account


def clock(app: LiveApp) -> datetime:
    response = app.http.get(f"{app.url}{SANDBOX}/_control/clock")
    response.raise_for_status()
    return datetime.fromtimestamp(response.json()["now"], UTC)


def advance(app: LiveApp, by: timedelta) -> datetime:
    app.control("/clock", {"advance": int(by.total_seconds())})
    return clock(app)


def debit_rows(org_id: int) -> list[AutoTopupDebit]:
    with read_session() as session:
        return list(
            session.exec(
                select(AutoTopupDebit).where(col(AutoTopupDebit.org_id) == org_id).order_by(col(AutoTopupDebit.id))
            )
        )


def notices(org_id: int) -> list[dict[str, Any]]:
    with read_session() as session:
        rows = session.exec(
            select(EmailOutbox).where(
                col(EmailOutbox.org_id) == org_id, col(EmailOutbox.kind) == EmailKind.AUTOTOPUP_NOTICE
            )
        ).all()
    return [json.loads(row.payload) for row in rows]


def off_notices(org_id: int) -> list[dict[str, Any]]:
    with read_session() as session:
        rows = session.exec(
            select(EmailOutbox).where(
                col(EmailOutbox.org_id) == org_id, col(EmailOutbox.kind) == EmailKind.AUTOTOPUP_OFF
            )
        ).all()
    return [json.loads(row.payload) for row in rows]


def charged_and_settled(app: LiveApp, org_id: int, now: datetime) -> None:
    """Run the job at `now`, let the webhooks land, then run it again (it follows the debit)."""
    autotopup_once(now=now)
    app.flush_webhooks()
    autotopup_once(now=now)


def test_spend_past_the_floor_notifies_once_then_the_debit_is_credited_once(app, mailbox):
    account = on(app, floor_micros=50 * RUPEE)
    org_id = account["org_id"]
    now = clock(app)
    assert debits.evaluate(org_id=org_id, now=now).debit is None  # ₹100 left, floor ₹50: no notice yet

    pricing.load_catalog()
    key = app.http.post(f"{app.url}/me/keys", json={"name": "ci"}, headers=account["headers"]).json()["key"]
    metering.record_usage(api_key=key, request_id="r1", model="sandbox-echo", prompt_tokens=0, completion_tokens=10**6)
    assert app.billing(account)["balance_micros"] < 50 * RUPEE

    evaluated = debits.evaluate(org_id=org_id, now=now)
    assert evaluated.debit is not None and evaluated.debit.razorpay_order_id is not None
    assert debits.evaluate(org_id=org_id, now=now).debit is None  # a second trigger: nothing
    [debit] = debit_rows(org_id)
    assert (debit.status, debit.amount_units, debit.charge_after) == ("notified", 500, now + LEAD)
    pending = settings(app, account)["pending_debit"]
    assert pending["id"] == debit.id and pending["charge_after"].endswith("+05:30")

    # the pre-debit notice: once, to the owner, with amount, date, reference and how to skip
    [notice] = notices(org_id)
    assert notice["to_email"] == account["email"] and notice["reference"] == f"autotopup_{debit.id}"
    assert send_due().sent >= 1
    [message] = [m for m in mailbox.messages if str(m["Subject"]).startswith("Auto top-up of ₹500")]
    body = message.get_body(("plain",)).get_content()
    assert "Reference: autotopup_" in body and "Settings → Auto top-up" in body and "on or after " in body
    assert body.count(" IST") >= 1 and "IST (IST)" not in body

    # before the lead time has passed nothing is charged
    charged_and_settled(app, org_id, now + timedelta(hours=1))
    assert debit_rows(org_id)[0].status == "notified"

    app.faults(webhook_duplicate=True)
    later = advance(app, LEAD + timedelta(minutes=1))
    charged_and_settled(app, org_id, later)
    [debit] = debit_rows(org_id)
    assert debit.attempts == 1
    [credit] = credits_for(org_id)
    assert credit.description == "Auto top-up via Razorpay (₹500)" and credit.amount_micros == 500 * RUPEE
    with read_session() as session:
        payment = session.exec(select(Payment).where(col(Payment.razorpay_payment_id) == credit.payment_id)).one()
    assert payment.receipt_number.startswith("BA")  # its own receipt
    # the duplicated webhooks and more passes credit nothing more
    charged_and_settled(app, org_id, later + timedelta(minutes=1))
    assert len(credits_for(org_id)) == 1
    assert settings(app, account)["pending_debit"] is None
    assert_books_balance()


def test_twenty_concurrent_triggers_make_one_debit(app):
    account = on(app)  # floor ₹200 above the ₹100 balance: due at once
    now = clock(app)
    with ThreadPoolExecutor(20) as pool:
        made = list(pool.map(lambda _: debits.evaluate(org_id=account["org_id"], now=now).debit, range(20)))
    assert sum(1 for each in made if each is not None) == 1
    assert len(debit_rows(account["org_id"])) == 1
    assert len(notices(account["org_id"])) == 1


def test_twenty_triggers_across_two_processes_make_one_debit(app, any_db):
    account = on(app)
    now = int(clock(app).timestamp())
    args = ["-m", "tests.integration.test_autotopup_debits", "evaluate", str(account["org_id"]), str(now)]
    children = [Child(args, any_db, app) for _ in range(2)]
    for each in children:
        each.expect("ready")
    for each in children:
        each.send("go")
    made = [int(each.expect("made")) for each in children]
    assert [each.finish() for each in children] == [0, 0]
    assert sum(made) == 1
    assert len(debit_rows(account["org_id"])) == 1
    assert len(notices(account["org_id"])) == 1


def test_the_monthly_cap_holds_the_debit_back(app):
    account = on(app, amount=500, monthly_cap=500, floor_micros=1000 * RUPEE)  # always below the floor
    org_id = account["org_id"]
    assert debits.evaluate(org_id=org_id, now=clock(app)).debit is not None
    now = advance(app, LEAD + timedelta(minutes=1))
    charged_and_settled(app, org_id, now)
    assert debit_rows(org_id)[0].status == "captured"
    later = advance(app, timedelta(hours=2))  # past the cooldown, still under the floor
    evaluated = debits.evaluate(org_id=org_id, now=later)
    assert evaluated.decision is not None and evaluated.debit is None
    assert evaluated.decision.action == "capped"
    assert len(debit_rows(org_id)) == 1


def test_three_failures_turn_auto_top_up_off_and_email_the_owner(app):
    account = on(app)
    org_id = account["org_id"]
    debits.evaluate(org_id=org_id, now=clock(app))
    app.faults(recurring_fail_next=3)
    now = advance(app, LEAD + timedelta(minutes=1))
    for attempt, pause in enumerate((*debits.RETRY_BACKOFF[:2], None), start=1):
        charged_and_settled(app, org_id, now)
        [debit] = debit_rows(org_id)
        assert debit.attempts == attempt
        if pause is None:
            break
        assert (debit.status, debit.charge_after) == ("notified", now + pause), debit.last_error
        now = advance(app, pause + timedelta(minutes=1))
    assert debit.status == "failed"
    assert settings(app, account)["enabled"] is False
    [notice] = off_notices(org_id)
    assert "failed 3 times" in notice["reason"]
    assert credits_for(org_id) == []


def test_a_debit_reversed_after_capture_is_debited_back_once(app):
    account = on(app)
    org_id = account["org_id"]
    debits.evaluate(org_id=org_id, now=clock(app))
    app.faults(recurring_reverse_next=1)
    now = advance(app, LEAD + timedelta(minutes=1))
    charged_and_settled(app, org_id, now)
    assert debit_rows(org_id)[0].status == "captured"
    advance(app, timedelta(hours=1, minutes=1))  # the bank takes it back an hour later
    app.flush_webhooks()
    wait_until(lambda: debit_rows(org_id)[0].status == "reversed", what="reversal")
    [refund] = credits_for(org_id, "refund")
    assert refund.amount_micros == -500 * RUPEE and refund.description.startswith("Auto top-up reversed")
    assert app.billing(account)["balance_micros"] == START
    assert_books_balance()


def test_a_skipped_debit_is_never_charged(app):
    account = on(app)
    org_id = account["org_id"]
    debit = debits.evaluate(org_id=org_id, now=clock(app)).debit
    assert debit is not None
    url = f"{app.url}/me/billing/auto-topup/debits/{debit.id}/skip"
    skipped = app.http.post(url, headers=account["headers"])
    assert skipped.status_code == 200 and skipped.json()["status"] == "skipped"
    assert app.http.post(url, headers=account["headers"]).status_code == 409
    now = advance(app, LEAD + timedelta(minutes=1))
    charged_and_settled(app, org_id, now)
    assert [row.status for row in debit_rows(org_id)] == ["skipped"]
    assert credits_for(org_id) == []


def test_a_debit_order_razorpay_failed_to_create_is_created_by_the_next_pass(app):
    account = on(app)
    org_id = account["org_id"]
    app.faults(api_error=503, api_error_count=1)
    now = clock(app)
    debit = debits.evaluate(org_id=org_id, now=now).debit
    assert debit is not None and debit_rows(org_id)[0].razorpay_order_id is None
    later = advance(app, timedelta(hours=2))
    autotopup_once(now=later)
    [debit] = debit_rows(org_id)
    assert debit.razorpay_order_id is not None and debit.charge_after == later + debits.RAZORPAY_NOTICE
    charged_and_settled(app, org_id, advance(app, debits.RAZORPAY_NOTICE + timedelta(minutes=1)))
    assert debit_rows(org_id)[0].status == "captured"
    assert len(credits_for(org_id)) == 1


def test_a_charge_whose_answer_was_lost_is_credited_once_and_never_charged_again(app):
    account = on(app)
    org_id = account["org_id"]
    debits.evaluate(org_id=org_id, now=clock(app))
    now = advance(app, LEAD + timedelta(minutes=1))
    # the first error is the contact lookup (harmless), the second the debit itself
    app.faults(api_error=500, api_error_count=2, api_error_after_commit=True)
    debits.charge_due(now=now)  # Razorpay charged, but we heard an error: a retry is scheduled
    assert debit_rows(org_id)[0].status == "notified"
    app.flush_webhooks()  # the payment's webhooks credit the order through the settle path
    charged_and_settled(app, org_id, now + timedelta(hours=2))
    [debit] = debit_rows(org_id)
    assert (debit.status, debit.attempts) == ("captured", 1)
    [credit] = credits_for(org_id)
    assert debit.razorpay_payment_id == credit.payment_id
    assert_books_balance()


def test_a_lost_answer_whose_webhooks_never_came_is_asked_about_before_the_retry(app):
    account = on(app)
    org_id = account["org_id"]
    debits.evaluate(org_id=org_id, now=clock(app))
    now = advance(app, LEAD + timedelta(minutes=1))
    app.faults(api_error=500, api_error_count=2, api_error_after_commit=True, webhook_drop=True)
    debits.charge_due(now=now)  # Razorpay charged; we heard an error and no webhook comes
    assert debit_rows(org_id)[0].status == "notified" and credits_for(org_id) == []
    app.faults(api_error=None, api_error_count=None, api_error_after_commit=False)
    autotopup_once(now=now + timedelta(hours=2))  # the retry is due: Razorpay is asked first
    [debit] = debit_rows(org_id)
    assert (debit.status, debit.attempts) == ("captured", 1)  # credited, never charged again
    [credit] = credits_for(org_id)
    assert debit.razorpay_payment_id == credit.payment_id
    assert debit.razorpay_order_id is not None
    assert len(get_gateway().order_payments(debit.razorpay_order_id)) == 1  # one charge at Razorpay
    assert_books_balance()


def test_turning_auto_top_up_off_after_the_notice_withdraws_the_debit(app):
    account = on(app)
    org_id = account["org_id"]
    assert debits.evaluate(org_id=org_id, now=clock(app)).debit is not None
    assert put_rule(app, account, enabled=False).status_code == 200
    now = advance(app, LEAD + timedelta(minutes=1))
    charged_and_settled(app, org_id, now)
    [debit] = debit_rows(org_id)
    assert (debit.status, debit.attempts) == ("skipped", 0)
    assert debit.last_error == "withdrawn: auto top-up was turned off"
    assert credits_for(org_id) == []


def test_the_cli_runs_one_pass(app, capsys):
    account = on(app)
    assert main(["auto-topup"]) == 0  # the real clock: the notice is due at once
    assert capsys.readouterr().out.startswith("auto top-up: 1 notified, 0 orders placed, 0 charged")
    assert [row.status for row in debit_rows(account["org_id"])] == ["notified"]


def _evaluate_in_child(org_id: str, now: str) -> None:
    """A child process: wait for "go", then ten concurrent evaluate() calls; print how many made a debit."""
    print("ready", flush=True)
    assert sys.stdin.readline().strip() == "go"
    moment = datetime.fromtimestamp(int(now), UTC)
    made: list[bool] = []

    def one() -> None:
        made.append(debits.evaluate(org_id=int(org_id), now=moment).debit is not None)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("made", sum(made), flush=True)


if __name__ == "__main__":
    assert sys.argv[1] == "evaluate"
    _evaluate_in_child(*sys.argv[2:])


def test_a_failed_debit_is_retried_on_its_webhook_without_waiting_for_the_next_pass(app):
    account = on(app)
    org_id = account["org_id"]
    debits.evaluate(org_id=org_id, now=clock(app))
    app.faults(recurring_fail_next=1)
    now = advance(app, LEAD + timedelta(minutes=1))
    assert debits.charge_due(now=now) == 1  # no `follow`: only the payment.failed webhook tells
    app.flush_webhooks()
    wait_until(lambda: debit_rows(org_id)[0].status == "notified", what="the failed attempt put back")
    [debit] = debit_rows(org_id)
    assert (debit.attempts, debit.charge_after) == (1, now + debits.RETRY_BACKOFF[0])
    assert debit.last_error and debit.razorpay_payment_id is None
    # the same event again, or the next pass's follow, fails nothing twice
    assert debits.follow(now=now) == 0
    assert actions(org_id).count("autotopup.debit.retry") == 1
    # the retry goes through and is credited once
    charged_and_settled(app, org_id, advance(app, debits.RETRY_BACKOFF[0] + timedelta(minutes=1)))
    assert [c.description for c in credits_for(org_id)] == ["Auto top-up via Razorpay (₹500)"]
