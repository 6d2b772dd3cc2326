"""Operator commands: `python -m billing_app.cli --help`."""

from __future__ import annotations

import argparse
import sys

from billing_app.errors import BillingAppError
from billing_app.money import AmountError, format_money, parse_micros
from billing_app.services import ledger


def _manual(args: argparse.Namespace) -> int:
    micros = parse_micros(args.amount)
    entry = ledger.add_manual_entry(org_id=args.org, amount_micros=micros, reason=args.reason)
    print(f"entry {entry.id}: {format_money(entry.amount_micros)} → balance {format_money(entry.balance_after_micros)}")
    return 0


def _audit(_: argparse.Namespace) -> int:
    mismatches = ledger.audit()
    for m in mismatches:
        print(
            f"org {m.org_id}: balance {m.balance_micros} micros but the ledger explains {m.explained_micros}",
            file=sys.stderr,
        )
    if mismatches:
        print(f"audit FAILED: {len(mismatches)} org(s) out of balance", file=sys.stderr)
        return 1
    print("audit ok: every balance equals its ledger")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m billing_app.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    manual = commands.add_parser("manual", help="credit (positive) or debit (negative) an org, with a reason")
    manual.add_argument("--org", type=int, required=True, help="org id")
    manual.add_argument("--amount", required=True, help="in units of the credit currency, e.g. 50 or -12.5")
    manual.add_argument("--reason", required=True)
    manual.set_defaults(run=_manual)

    audit = commands.add_parser("audit", help="check balance == Σ ledger entries − Σ usage for every org")
    audit.set_defaults(run=_audit)
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
