"""The rules. Keyword-only functions that own their transactions; the only writers."""
