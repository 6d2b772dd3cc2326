"""Reflex states: event handlers call services and turn their errors into messages."""
