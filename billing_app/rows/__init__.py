"""What the pages show, one frozen dataclass per kind of row, built by pure functions
(no database, no Reflex): the page states only call these and store the result."""
