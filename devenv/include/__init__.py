"""Stacks that include stacks: `[include.NAME]` parsed (schema), resolved into one model
(resolve, expand), fetched from git (gitcache), switched to a local checkout (links)."""
