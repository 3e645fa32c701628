"""The team's standard images (`images/<name>/`) and per-service builds."""
