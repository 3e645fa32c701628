"""`devenv export`: the stack as a compose file or Kubernetes manifests, with locked digests and
the layered env of a profile. Secret values are never written, only references to them."""

from __future__ import annotations

from devenv.export.common import EnvLike
from devenv.export.compose import export_compose
from devenv.export.k8s import export_k8s

__all__ = ["EnvLike", "export_compose", "export_k8s"]
