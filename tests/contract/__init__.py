"""Contract suites: one reference model, every backend held to it."""
