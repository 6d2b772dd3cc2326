"""What the operator console does (issue 18). Every function starts with staff.require():
staff act for any org (roles.check lets them through), and each change writes the audit log
with the staff member as the actor and the reason they gave."""
