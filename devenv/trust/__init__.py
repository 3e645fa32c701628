"""The trust gate: a devenv.toml that grants host access is acted on only once you trusted it."""
