"""roles.check: the service layer's question "may whoever acts do this, in this org?"."""

from __future__ import annotations

import pytest

from billing_app.errors import Forbidden
from billing_app.services import roles
from billing_app.services.actors import SYSTEM, Actor, acting_as
from billing_app.services.roles import GRANTS, Permission, Role


def person(role: str, org_id: int = 7) -> Actor:
    return Actor(user_id=1, org_id=org_id, role=role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_a_person_may_do_what_their_role_grants_and_nothing_else(role, permission):
    with acting_as(person(role)):
        if permission in GRANTS[role]:
            roles.check(7, permission)
        else:
            with pytest.raises(Forbidden, match=role.value):
                roles.check(7, permission)


def test_an_owner_of_one_org_may_do_nothing_in_another():
    with acting_as(person("owner", org_id=7)), pytest.raises(Forbidden):
        roles.check(8, Permission.VIEW_BALANCE)


def test_someone_not_signed_in_may_do_nothing_in_an_org():
    with acting_as(Actor(ip="10.0.0.1")), pytest.raises(Forbidden):
        roles.check(7, Permission.VIEW_BALANCE)


def test_a_role_this_version_does_not_know_grants_nothing():
    with acting_as(person("auditor")), pytest.raises(Forbidden):
        roles.check(7, Permission.VIEW_BALANCE)


def test_the_system_may_do_anything_anywhere():
    with acting_as(SYSTEM):
        for permission in Permission:
            roles.check(123, permission)


def test_admins_may_do_everything_but_manage_owners():
    assert GRANTS[Role.ADMIN] == frozenset(Permission) - {Permission.MANAGE_OWNERS}
