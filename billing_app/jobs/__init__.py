"""Background loops, runnable as lifespan tasks of the app and from the CLI."""
