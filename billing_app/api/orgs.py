"""GET /me/orgs and POST /me/orgs/{id}/switch: the organisations a person belongs to, and
moving this session to another of them. Personal: any member, whatever their role."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import PathId
from billing_app.api.schema import errors
from billing_app.services import orgs

router = APIRouter(prefix="/me/orgs", tags=["orgs"], responses=errors(401, 422))


class OrgOut(BaseModel):
    id: int
    name: str
    role: str = Field(description="the caller's role in this org: owner, admin, developer or billing")
    balance_micros: int
    currency: str
    current: bool = Field(description="the org this session acts for")


class OrgsOut(BaseModel):
    orgs: list[OrgOut]


def _out(row: orgs.OrgRow) -> OrgOut:
    return OrgOut(
        id=row.id,
        name=row.name,
        role=row.role,
        balance_micros=row.balance_micros,
        currency=row.currency,
        current=row.current,
    )


@router.get("")
async def list_orgs(principal: CurrentPrincipal) -> OrgsOut:
    """The caller's orgs by name; `current` marks the one this session acts for."""
    rows = orgs.list_orgs(user_id=principal.user_id, current_org_id=principal.org_id)  # one indexed read
    return OrgsOut(orgs=[_out(row) for row in rows])


@router.post("/{org_id}/switch", responses=errors(404))
def switch_org(org_id: PathId, principal: CurrentPrincipal) -> OrgOut:
    """This session acts for `org_id` from now on (every /me route answers for it); the org,
    now current. An org the caller is not a member of is 404, whether or not it exists."""
    return _out(orgs.switch(session_id=principal.session_id, user_id=principal.user_id, org_id=org_id))
