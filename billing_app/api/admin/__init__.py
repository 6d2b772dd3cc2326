"""The operator console's REST API, under /admin: staff only (api/deps.StaffPrincipal), 404 to
everyone else, and left out of /openapi.json (which is public) so it does not reveal itself.
Each module is one part of the console; api/app.py includes its router."""
