"""REST routes: parse, authenticate, call a service, map its errors to the envelope."""
