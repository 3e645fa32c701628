"""Env parity: production's env read from its own config, profile overrides, secrets, provenance.

prod sources (dotenv, Kubernetes, compose, JSON) → profile `set`/`unset` → local secret values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Names load on first use (PEP 562): `up` needs only layering, not diff and drift. The checker
# reads the real imports below; at run time only the module-level __getattr__ exists.
_WHERE = {
    "Change": "diff",
    "EnvDiff": "diff",
    "diff_envs": "diff",
    "DriftProblem": "drift",
    "DriftReport": "drift",
    "check_drift": "drift",
    "source_hashes": "drift",
    "known_profiles": "layering",
    "resolve_env": "layering",
    "service_env": "layering",
    "EnvValue": "model",
    "LayeredEnv": "model",
    "Unmirrorable": "model",
    "MASK": "redact",
    "Redactor": "redact",
}

if TYPE_CHECKING:
    from devenv.envvars.diff import Change, EnvDiff, diff_envs
    from devenv.envvars.drift import DriftProblem, DriftReport, check_drift, source_hashes
    from devenv.envvars.layering import known_profiles, resolve_env, service_env
    from devenv.envvars.model import EnvValue, LayeredEnv, Unmirrorable
    from devenv.envvars.redact import MASK, Redactor
else:

    def __getattr__(name: str) -> object:
        if name not in _WHERE:
            raise AttributeError(f"module 'devenv.envvars' has no attribute {name!r}")
        import importlib

        return getattr(importlib.import_module(f"devenv.envvars.{_WHERE[name]}"), name)


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
