"""Env parity: production's env read from its own config, profile overrides, secrets, provenance.

prod sources (dotenv, Kubernetes, compose, JSON) → profile `set`/`unset` → local secret values.
"""

from __future__ import annotations

from devenv.envvars.diff import Change, EnvDiff, diff_envs
from devenv.envvars.drift import DriftProblem, DriftReport, check_drift, source_hashes
from devenv.envvars.layering import known_profiles, resolve_env, service_env
from devenv.envvars.model import EnvValue, LayeredEnv, Unmirrorable
from devenv.envvars.redact import MASK, Redactor

__all__ = [
    "MASK",
    "Change",
    "DriftProblem",
    "DriftReport",
    "EnvDiff",
    "EnvValue",
    "LayeredEnv",
    "Redactor",
    "Unmirrorable",
    "check_drift",
    "diff_envs",
    "known_profiles",
    "resolve_env",
    "service_env",
    "source_hashes",
]
