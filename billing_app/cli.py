"""Operator commands: `python -m billing_app.cli --help`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from billing_app.cli_payments import add_payment_commands
from billing_app.config import get_settings
from billing_app.errors import BillingAppError
from billing_app.jobs.autotopup import autotopup_once
from billing_app.jobs.outbox import send_all_due
from billing_app.models import ModelPrice
from billing_app.money import AmountError, format_money, parse_micros
from billing_app.services import ledger, metering, pricing, staff, usage
from billing_app.services.gst_export import gstr1_export


def _manual(args: argparse.Namespace) -> int:
    micros = parse_micros(args.amount)
    entry = ledger.add_manual_entry(org_id=args.org, amount_micros=micros, reason=args.reason)
    print(f"entry {entry.id}: {format_money(entry.amount_micros)} → balance {format_money(entry.balance_after_micros)}")
    return 0


def _audit(_: argparse.Namespace) -> int:
    """The books' three invariants: balances, hold totals and daily rollups."""
    problems = [
        f"org {m.org_id}: balance {m.balance_micros} micros but the ledger explains {m.explained_micros}"
        for m in ledger.audit()
    ]
    problems += [
        f"org {org_id}: hold total {total} micros but its holds add up to {held}"
        for org_id, total, held in metering.hold_mismatches()
    ]
    problems += [
        f"org {org_id}: daily rollups add up to {rolled} micros but its usage events to {events}"
        for org_id, rolled, events in usage.rollup_mismatches()
    ]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"audit FAILED: {len(problems)} mismatch(es)", file=sys.stderr)
        return 1
    print("audit ok: every balance equals its ledger, every hold total its holds, every rollup its events")
    return 0


def _rates(price: ModelPrice) -> str:
    currency = get_settings().billing_currency
    rates = (
        format_money(price.input_micros_per_million, currency),
        format_money(price.output_micros_per_million, currency),
    )
    return f"in {rates[0]}, out {rates[1]} per 1M tokens"


def _prices_list(_: argparse.Namespace) -> int:
    for price in pricing.list_prices(include_inactive=True):
        print(f"{price.model:<36} {_rates(price)}  {price.source}{'' if price.active else '  (inactive)'}")
    return 0


def _prices_set(args: argparse.Namespace) -> int:
    price = pricing.set_price(
        model=args.model,
        input_micros_per_million=parse_micros(args.input),
        output_micros_per_million=parse_micros(args.output),
        display_name=args.name,
        provider=args.provider,
        active=None if args.active is None else args.active == "yes",
    )
    print(f"{price.model}: {_rates(price)}")
    return 0


def _prices_load(args: argparse.Namespace) -> int:
    changed = pricing.load_catalog(path=args.file, overwrite=args.overwrite)
    print(f"catalog loaded: {changed} price(s) changed")
    return 0


def _expire_holds(_: argparse.Namespace) -> int:
    print(f"{metering.expire_holds()} expired hold(s) released")
    return 0


def _send_emails(_: argparse.Namespace) -> int:
    report = send_all_due()
    print(
        f"email outbox: {report.sent} sent, {report.retrying} to retry, "
        f"{report.failed} given up, {report.cancelled} cancelled"
    )
    return 0


def _auto_topup(args: argparse.Namespace) -> int:
    report = autotopup_once(now=args.at)
    print(
        f"auto top-up: {report.notified} notified, {report.orders_placed} orders placed, "
        f"{report.charged} charged, {report.settled} settled, "
        f"{report.mandates_followed} mandates asked about, {report.errors} errors"
    )
    return 1 if report.errors else 0


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the moment with its offset, e.g. 2026-12-05T10:00:00+05:30")
    return moment.astimezone(UTC)


def _staff(args: argparse.Namespace) -> int:
    if args.staff_command == "list":
        for email in staff.list_staff():
            print(email)
        return 0
    granting = args.staff_command == "grant"
    changed = staff.set_staff(email=args.email, staff=granting)
    state = "is staff" if granting else "is not staff"
    print(f"{args.email} {state}" + ("" if changed else " (already)"))
    return 0


def _gst_export(args: argparse.Namespace) -> int:
    export = gstr1_export(month=args.month)
    if not get_settings().gst_enabled:
        print("note: SELLER_GSTIN is not set, so no GST documents are being issued now")
    for path in export.write_to(args.out):
        print(f"wrote {path}")
    for line in export.summary():
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m billing_app.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    staff_parser = commands.add_parser("staff", help="who may use the operator console (/console)")
    staff_commands = staff_parser.add_subparsers(dest="staff_command", required=True)
    for verb, what in (("grant", "make EMAIL's account staff"), ("revoke", "take staff away from EMAIL")):
        staff_commands.add_parser(verb, help=what).add_argument("email")
    staff_commands.add_parser("list", help="every staff account's email")
    staff_parser.set_defaults(run=_staff)

    manual = commands.add_parser("manual", help="credit (positive) or debit (negative) an org, with a reason")
    manual.add_argument("--org", type=int, required=True, help="org id")
    manual.add_argument("--amount", required=True, help="in units of the credit currency, e.g. 50 or -12.5")
    manual.add_argument("--reason", required=True)
    manual.set_defaults(run=_manual)

    audit = commands.add_parser(
        "audit", help="check balance == Σ ledger entries − Σ usage, hold totals and rollups for every org"
    )
    audit.set_defaults(run=_audit)

    prices = commands.add_parser("prices", help="the model catalog (rates per million tokens)")
    price_commands = prices.add_subparsers(dest="prices_command", required=True)
    price_commands.add_parser("list", help="every model with its rates").set_defaults(run=_prices_list)
    price_set = price_commands.add_parser("set", help="an operator's rates for a model (kept across catalog loads)")
    price_set.add_argument("model")
    price_set.add_argument("--input", required=True, help="credit-currency units per 1M input tokens, e.g. 12.75")
    price_set.add_argument("--output", required=True, help="credit-currency units per 1M output tokens")
    price_set.add_argument("--name", help="display name")
    price_set.add_argument("--provider")
    price_set.add_argument("--active", choices=["yes", "no"])
    price_set.set_defaults(run=_prices_set)
    load = price_commands.add_parser("load", help="bring prices in line with billing_app/data/models.json")
    load.add_argument("--file", type=Path, default=pricing.CATALOG_PATH, help="another catalog file")
    load.add_argument("--overwrite", action="store_true", help="also reset prices an operator set")
    load.set_defaults(run=_prices_load)

    add_payment_commands(commands)

    gst = commands.add_parser("gst", help="GST documents (docs/gst.md)")
    gst_commands = gst.add_subparsers(dest="gst_command", required=True)
    export = gst_commands.add_parser("export", help="a month's GSTR-1 CSV sheets (b2b, b2cs, cdnr, docs, …)")
    export.add_argument("--month", required=True, help="an IST calendar month, YYYY-MM, e.g. 2026-11")
    export.add_argument("--out", type=Path, default=Path("."), help="the directory to write into (default: here)")
    export.set_defaults(run=_gst_export)

    holds = commands.add_parser("expire-holds", help="release metering holds past their expiry")
    holds.set_defaults(run=_expire_holds)

    emails = commands.add_parser("send-emails", help="deliver due emails from the outbox (low-balance alerts)")
    emails.set_defaults(run=_send_emails)

    topup = commands.add_parser("auto-topup", help="one pass of the auto top-up job (notify, charge, follow)")
    topup.add_argument(
        "--at",
        type=_moment,
        default=None,
        help="run the pass as at this ISO 8601 moment with an offset (a rehearsal against the sandbox, "
        "whose clock can be moved); default now",
    )
    topup.set_defaults(run=_auto_topup)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (BillingAppError, AmountError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
