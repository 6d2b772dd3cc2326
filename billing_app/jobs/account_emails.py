"""The emails that carry a single-use link: verify your address, reset your password, join an
org you were invited to; and the notice that a refund of a payment was started (the console)."""

from __future__ import annotations

from html import escape

from billing_app import routes
from billing_app.config import Settings
from billing_app.integrations.mailer import Email
from billing_app.money import format_money, format_paise, format_units
from billing_app.services import email_tokens, invitations, outbox


def verification_email(claimed: outbox.Claimed, *, settings: Settings) -> Email:
    link = routes.emailed_link(settings.base_url, routes.VERIFY_EMAIL, claimed.payload["link_token"])
    days = email_tokens.LIFETIMES[email_tokens.VERIFY].days
    credit = (
        f"Once it is verified, {format_units(settings.signup_credit_micros, settings.billing_currency)} "
        "of free credit is added to your balance.\n"
        if settings.signup_credit_micros
        else ""
    )
    return _link_email(
        claimed,
        settings=settings,
        subject="Verify your email address",
        lead="Confirm that this is your email address for billing_app.\n" + credit,
        button="Verify my email",
        link=link,
        after=f"The link works once, for {days} days. If you did not sign up, ignore this email.",
    )


def password_reset_email(claimed: outbox.Claimed, *, settings: Settings) -> Email:
    link = routes.emailed_link(settings.base_url, routes.RESET_PASSWORD, claimed.payload["link_token"])
    minutes = int(email_tokens.LIFETIMES[email_tokens.RESET].total_seconds() // 60)
    return _link_email(
        claimed,
        settings=settings,
        subject="Reset your billing_app password",
        lead="Someone (we hope you) asked to reset the password of your billing_app account.\n",
        button="Choose a new password",
        link=link,
        after=(
            f"The link works once, for {minutes} minutes, and signs you out everywhere. "
            "If you did not ask for it, ignore this email: your password stays as it is."
        ),
    )


def invitation_email(claimed: outbox.Claimed, *, settings: Settings) -> Email:
    facts = claimed.payload
    link = routes.emailed_link(settings.base_url, routes.INVITATION, facts["link_token"])
    org = claimed.org_name or "an organisation"
    who = facts.get("inviter_name") or "An owner"
    role = facts.get("role", "member")
    return _link_email(
        claimed,
        settings=settings,
        subject=f"Join {org} on billing_app",
        lead=f"{who} invited you to join {org} on billing_app as {_article(role)} {role}.\n"
        "Sign in with this email address, or create an account with it, to accept.\n",
        button=f"Join {org}",
        link=link,
        after=(
            f"The link works once, for {invitations.LIFETIME.days} days, and only for this address. "
            "If you did not expect it, ignore this email."
        ),
    )


def refund_started_email(claimed: outbox.Claimed, *, settings: Settings) -> Email:
    """To the org's owner when staff start a refund: the payment, the amount coming back to
    the card or account, and the credits that come off the balance once it is processed."""
    facts = claimed.payload
    org = claimed.org_name or "your organisation"
    refunded = format_paise(int(facts["amount_paise"]))
    paid = format_paise(int(facts["payment_amount_paise"]))
    credits = format_money(int(facts["credits_micros"]), facts.get("currency", "INR"))
    return _link_email(
        claimed,
        settings=settings,
        subject=f"Refund of {refunded} started",
        lead=(
            f"We have started a refund of {refunded} of your payment of {paid} "
            f"({facts['payment_id']}) to {org}.\n"
            f"Razorpay returns it to the card, account or UPI app you paid with, usually within a few working days.\n"
            f"When the refund is processed, {credits} of credit comes off {org}'s balance.\n"
        ),
        button="See your billing history",
        link=settings.base_url + routes.BILLING,
        after=f"Razorpay's refund reference: {facts.get('refund_id', '')}. Reply to this email with any question.",
    )


def autotopup_off_email(claimed: outbox.Claimed, *, settings: Settings) -> Email:
    """To the org's owner when the bank or the customer stops the mandate (rejected, cancelled,
    paused): auto top-up is off, and stays off until someone turns it on again."""
    facts = claimed.payload
    org = claimed.org_name or "your organisation"
    was_on = bool(facts.get("was_on"))
    lead = (
        f"Auto top-up for {org} is now off: {facts.get('reason', 'the mandate stopped')}.\n"
        if was_on
        else f"The auto top-up mandate for {org} stopped: {facts.get('reason', 'the mandate stopped')}.\n"
    )
    return _link_email(
        claimed,
        settings=settings,
        subject=f"Auto top-up is off for {org}" if was_on else f"Your auto top-up mandate for {org} stopped",
        lead=lead + "No automatic top-up will be charged. Your balance is not topped up until you do it yourself.\n"
        "To use auto top-up again, authorise a new mandate and turn it on in Settings.\n",
        button="Open auto top-up settings",
        link=settings.base_url + routes.AUTO_TOPUP,
        after="Auto top-up never turns itself back on. Reply to this email with any question.",
    )


def autotopup_notice_email(claimed: outbox.Claimed, *, settings: Settings) -> Email:
    """The pre-debit notification (RBI's e-mandate framework): to each owner and billing member
    before an automatic debit, with what, when, why, and how to skip it or stop auto top-up."""
    facts = claimed.payload
    org = claimed.org_name or "your organisation"
    amount, when = facts.get("amount", ""), facts.get("charge_after", "")
    # With GST: "₹500 + ₹90 GST = ₹590", the credit and the tax the debit is made of.
    made_of = f" ({facts['price_sentence']})" if facts.get("price_sentence") else ""
    instrument = f" ({facts['instrument']})" if facts.get("instrument") else ""
    return _link_email(
        claimed,
        settings=settings,
        subject=f"Auto top-up of {amount} for {org} on {when}",
        lead=(
            f"{settings.seller_name} will debit {amount}{made_of} from your auto top-up mandate{instrument} "
            f"on or after {when}.\n"
            f"Purpose: auto top-up of prepaid credit for {org}, as your auto top-up rule set.\n"
            f"Reference: {facts.get('reference', '')}\n"
            "To skip this debit before it is charged, or to turn auto top-up off or cancel the mandate, "
            "open Settings → Auto top-up.\n"
        ),
        button="Skip or manage auto top-up",
        link=settings.base_url + routes.AUTO_TOPUP,
        after="Nothing else is debited without another notice like this one.",
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _link_email(
    claimed: outbox.Claimed, *, settings: Settings, subject: str, lead: str, button: str, link: str, after: str
) -> Email:
    greeting = f"Hello {claimed.to_name}," if claimed.to_name else "Hello,"
    text = f"{greeting}\n\n{lead}\n{button}: {link}\n\n{after}\n"
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lead.strip().splitlines())
    html = f"""<!doctype html>
<html><body style="font-family: system-ui, sans-serif; color: #1c2024; line-height: 1.5">
<p>{escape(greeting)}</p>
{paragraphs}
<p><a href="{escape(link)}" style="display: inline-block; padding: 10px 16px; background: #3e63dd;
color: #ffffff; border-radius: 6px; text-decoration: none">{escape(button)}</a></p>
<p style="color: #60646c; font-size: 13px">{escape(after)}</p>
</body></html>
"""
    domain = settings.smtp_from.rpartition("@")[2] or "localhost"
    return Email(
        to=claimed.to_email or "",
        to_name=claimed.to_name,
        subject=subject,
        text=text,
        html=html,
        message_id=f"<outbox-{claimed.id}.{claimed.kind}@{domain}>",
    )
