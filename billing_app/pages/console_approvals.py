"""Manual entries waiting for a second staff member (/console/approvals)."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.console_frame import console_frame, muted, notice
from billing_app.components.empty_state import empty_state
from billing_app.components.forms import form_error
from billing_app.components.layout import section
from billing_app.components.responsive_list import RowVar
from billing_app.state.console_approvals import ConsoleApprovalsState

S = ConsoleApprovalsState


def _decision(row: RowVar, label: str, decision: str, **props: object) -> rx.Component:
    return rx.button(label, size="2", on_click=S.decide(row.id, decision), **props)  # type: ignore[operator]


def _request(row: RowVar) -> rx.Component:
    """One request: what and why, and a form to approve or reject it with a reason."""
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.link(row.org, href=row.org_href, weight="medium"),
                    muted("Asked by ", row.requested_by, " · ", row.requested),
                    spacing="0",
                ),
                rx.spacer(),
                rx.text(
                    row.amount,
                    size="4",
                    weight="bold",
                    color_scheme=rx.cond(row.credit, "green", "tomato"),
                    white_space="nowrap",
                ),
                width="100%",
                spacing="3",
                align="start",
            ),
            rx.text("“", row.reason, "”", size="2", overflow_wrap="anywhere"),
            rx.cond(S.error_id == row.id, form_error(S.error)),
            rx.flex(
                _decision(row, "Approve", "approve", data_testid="approve"),
                _decision(row, "Reject", "reject", variant="soft", color_scheme="tomato", data_testid="reject"),
                rx.cond(
                    (S.error_id == row.id) & S.error.contains("below zero"),  # type: ignore[attr-defined]
                    _decision(row, "Approve below zero", "confirm", color_scheme="tomato", variant="outline"),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        data_testid="approval-row",
    )


def console_approvals_page() -> rx.Component:
    return console_frame(
        routes.CONSOLE_APPROVALS,
        "Approvals",
        notice(S.notice),
        section(
            "Waiting for a second staff member",
            muted(
                "Manual entries above ",
                S.limit,
                " either way post only when another staff member approves them. You cannot approve your own.",
            ),
            rx.input(
                value=S.reason,
                on_change=S.set_reason,
                placeholder="Your reason for approving or rejecting (kept in the audit log)",
                aria_label="Reason",
                width="100%",
                data_testid="approval-reason",
            ),
            rx.cond(
                S.loading,
                rx.skeleton(height="8em", width="100%"),
                rx.cond(
                    S.pending.length() > 0,  # type: ignore[attr-defined]
                    rx.vstack(rx.foreach(S.pending, _request), spacing="3", width="100%"),
                    rx.box(
                        empty_state(
                            "circle-check",
                            "Nothing waiting",
                            "Large manual entries wait here.",
                            testid="approvals-empty",
                        ),
                        width="100%",
                    ),
                ),
            ),
        ),
    )
