"""devenv.toml: declarations, validation, the typed model, schema and reference."""
