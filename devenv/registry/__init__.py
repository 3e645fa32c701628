"""Team registry: image references, auth (docker config + credential helpers), digest resolution,
the lock file, and pulls with progress and an offline fallback."""
