"""The signed-in person's own security: PUT /me/password, GET /me/sessions,
DELETE /me/sessions/{id} and DELETE /me/sessions (every other session)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from billing_app.api.deps import CurrentPrincipal, RequestActor
from billing_app.api.inputs import PathId, RequestBody
from billing_app.api.schema import enforced_by_service, errors
from billing_app.ist import iso_ist
from billing_app.services import passwords, sessions
from billing_app.services.accounts import MIN_PASSWORD_LENGTH

router = APIRouter(prefix="/me", tags=["account"], responses=errors(401, 422))


class PasswordIn(RequestBody):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024, json_schema_extra=enforced_by_service(minLength=MIN_PASSWORD_LENGTH))


class EndedOut(BaseModel):
    sessions_ended: int


@router.put("/password")
def change_password(body: PasswordIn, principal: CurrentPrincipal, actor: RequestActor) -> EndedOut:
    """Needs the current password; ends every other session (this one stays)."""
    ended = passwords.change(
        user_id=principal.user_id,
        session_id=principal.session_id,
        current_password=body.current_password,
        new_password=body.new_password,
        actor=actor,
    )
    return EndedOut(sessions_ended=ended)


class SessionOut(BaseModel):
    id: int
    created_at: str
    last_used_at: str | None
    user_agent: str
    ip: str
    current: bool


class SessionsOut(BaseModel):
    sessions: list[SessionOut]


@router.get("/sessions")
def list_sessions(principal: CurrentPrincipal) -> SessionsOut:
    """The person's live sessions, newest first; `current` marks the one making this request."""
    rows = sessions.list_sessions(user_id=principal.user_id, current_session_id=principal.session_id)
    return SessionsOut(
        sessions=[
            SessionOut(
                id=row.id,
                created_at=iso_ist(row.created_at),
                last_used_at=iso_ist(row.last_used_at) if row.last_used_at else None,
                user_agent=row.user_agent,
                ip=row.ip,
                current=row.current,
            )
            for row in rows
        ]
    )


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response, responses=errors(404))
def end_session(session_id: PathId, principal: CurrentPrincipal, actor: RequestActor) -> Response:
    sessions.end_session(user_id=principal.user_id, org_id=principal.org_id, session_id=session_id, actor=actor)
    return Response(status_code=204)


@router.delete("/sessions")
def end_other_sessions(principal: CurrentPrincipal, actor: RequestActor) -> EndedOut:
    """Sign out everywhere else."""
    ended = sessions.end_other_sessions(
        user_id=principal.user_id, org_id=principal.org_id, keep_session_id=principal.session_id, actor=actor
    )
    return EndedOut(sessions_ended=ended)
