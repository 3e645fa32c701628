"""devenv: the same container stack for every developer, mirrored from production."""

__version__ = "0.1.0"
