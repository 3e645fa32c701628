"""Stacks that include stacks: `[include.NAME]` (declared in config.includes) resolved into one model
(resolve, expand), fetched from git (gitcache), switched to a local checkout (links)."""
