"""Reusable pieces of UI. No SQL, no business rules."""
