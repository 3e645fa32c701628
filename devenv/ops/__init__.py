"""Use cases: one plain typed function per command (`up`, `down`, `status`, ...), called by the CLI.
They return result objects; they never print."""
