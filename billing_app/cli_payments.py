"""Operator commands for money in: promo codes and the reconciler."""

from __future__ import annotations

import argparse
from datetime import datetime

from billing_app.ist import IST, display_ist
from billing_app.jobs.reconciler import reconcile_once
from billing_app.money import format_units, parse_micros
from billing_app.services import promos


def _when(text: str | None) -> datetime | None:
    """'2026-12-01' or '2026-12-01T18:00' in IST."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=IST)


def _promo_create(args: argparse.Namespace) -> int:
    promo = promos.create_promo(
        code=args.code,
        flat_bonus_micros=parse_micros(args.flat) if args.flat else None,
        percent=args.percent,
        cap_micros=parse_micros(args.cap) if args.cap else None,
        min_topup_units=args.min_topup,
        starts_at=_when(args.starts),
        ends_at=_when(args.ends),
        max_redemptions=args.limit,
        active=not args.inactive,
    )
    print(f"created {promo.code}: {promos.describe(promo, 'INR')}")
    return 0


def _promo_list(_: argparse.Namespace) -> int:
    for promo in promos.list_promos():
        window = " → ".join(display_ist(t) if t else "…" for t in (promo.starts_at, promo.ends_at))
        limit = f"{promo.redeemed_count}/{promo.max_redemptions or '∞'} redeemed"
        minimum = f"min {format_units(promo.min_topup_units * 1_000_000)}" if promo.min_topup_units else "no minimum"
        state = "active" if promo.active else "disabled"
        print(f"{promo.code:<20} {promos.describe(promo, 'INR'):<28} {minimum:<12} {limit:<16} {window}  {state}")
    return 0


def _promo_disable(args: argparse.Namespace) -> int:
    promos.disable_promo(code=args.code)
    print(f"disabled {promos.normalise_code(args.code)}")
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    print(reconcile_once(older_than_seconds=args.older_than))
    return 0


def add_payment_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    promo = commands.add_parser("promo", help="promo codes")
    promo_commands = promo.add_subparsers(dest="promo_command", required=True)
    create = promo_commands.add_parser("create", help="a new code: --flat 50, or --percent 10 [--cap 100]")
    create.add_argument("code")
    bonus = create.add_mutually_exclusive_group(required=True)
    bonus.add_argument("--flat", help="bonus credits, e.g. 50")
    bonus.add_argument("--percent", type=int, help="bonus as a percentage of the top-up")
    create.add_argument("--cap", help="largest bonus for --percent, e.g. 100")
    create.add_argument("--min-topup", type=int, default=0, help="smallest top-up, whole units")
    create.add_argument("--starts", help="valid from (IST), e.g. 2026-12-01 or 2026-12-01T09:00")
    create.add_argument("--ends", help="valid until (IST)")
    create.add_argument("--limit", type=int, help="total redemptions across all orgs")
    create.add_argument("--inactive", action="store_true", help="create it disabled")
    create.set_defaults(run=_promo_create)
    promo_commands.add_parser("list", help="every code and its use").set_defaults(run=_promo_list)
    disable = promo_commands.add_parser("disable", help="stop a code being used")
    disable.add_argument("code")
    disable.set_defaults(run=_promo_disable)

    reconcile = commands.add_parser("reconcile", help="ask Razorpay about unpaid orders and finish stored webhooks")
    reconcile.add_argument("--older-than", type=int, default=None, help="seconds (default RECONCILE_AFTER_SECONDS)")
    reconcile.set_defaults(run=_reconcile)
