"""Production's Kustomize overlay beside a compose file → `[env] prod` (`init --from`).

A team that deploys with Kustomize keeps production's env in an overlay (`deploy/overlays/prod`
over `deploy/base`). When the project holds one such overlay, `init --from` lists it in
`[env] prod` and gives `env = "prod"` to each compose service a container of it configures
(named like the service; or the overlay's one container, when one service alone is built from
the project). It is rendered by the real Kustomize, as every `up` renders it; what cannot be
decided (two overlays, no container matching, Kustomize missing) is a note naming the edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple, Optional

from devenv.convert.compose_secrets import SecretMover
from devenv.convert.draft import Draft
from devenv.envvars.sources import ProdEnv
from devenv.errors import ConfigError

OVERLAY_NAMES = ("prod", "production")
_DEPTH = 3  # overlays/prod, deploy/overlays/prod, deploy/k8s/overlays/prod
_SKIP = ("node_modules", "vendor", "__pycache__")


class ProdOverlay(NamedTuple):
    entry: str  # as [env] prod lists it: the folder, with a #selector when one is needed
    services: dict[str, ProdEnv]  # devenv service name -> production's env for it


def find_overlays(root: Path) -> list[str]:
    """Project-relative folders named overlays/prod (or production) that hold a kustomization."""
    from devenv.envvars.kustomize import kustomization_file

    found: list[str] = []
    for depth in range(_DEPTH):
        for name in OVERLAY_NAMES:
            for folder in sorted(root.glob("/".join(["*"] * depth + ["overlays", name]))):
                rel = folder.relative_to(root)
                if any(p.startswith(".") or p in _SKIP for p in rel.parts):
                    continue
                if folder.is_dir() and kustomization_file(folder) is not None:
                    found.append(rel.as_posix())
    return found


def read_overlay(
    draft: Draft, root: Path, services: Sequence[str], built: Sequence[str], env_files: bool
) -> Optional[ProdOverlay]:
    """The overlay to list in [env] prod and the services it configures, or None (noted why);
    `env_files`: compose gives env_files, which become [env] prod instead."""
    found = find_overlays(root)
    if not found:
        return None
    if env_files:
        draft.note(
            "env.prod",
            f"{', '.join(found)}: Kustomize (production's config?); [env] prod lists compose's env_files "
            "instead: to mirror production, list the overlay there in their place",
        )
        return None
    if len(found) > 1:
        draft.note(
            "env.prod",
            f"Kustomize overlays {', '.join(found)}: devenv mirrors one production; list it in [env] prod "
            '(prod = ["FOLDER"]) and set env = "prod" on the service its container configures',
        )
        return None
    folder = found[0]
    from devenv.envvars.sources import load_prod, workload_containers

    try:
        containers = workload_containers(root, folder)
        names = {c.name for c in containers}
        matched = {s: folder for s in services if s in names}
        if not matched and len(containers) == 1 and len(built) == 1:
            matched = {built[0]: f"{folder}#{containers[0].title}"}
        if not matched:
            listing = ", ".join(c.title for c in containers) or "no workload"
            draft.note(
                "env.prod",
                f"{folder} (a Kustomize overlay) holds {listing}, which names no service here: list it in "
                f'[env] prod as "{folder}#WORKLOAD/CONTAINER" and set env = "prod" on the service it configures',
            )
            return None
        entry = next(iter(matched.values()))
        envs = {s: load_prod(root, (entry,), s) for s in matched}
    except ConfigError as err:
        draft.note(
            "env.prod",
            f"{folder} is a Kustomize overlay, but it did not render here ({err.message}"
            f"{'; ' + err.hint if err.hint else ''}); then list it in [env] prod and set env = \"prod\" "
            "on the service it configures",
        )
        return None
    which = ", ".join(sorted(matched))
    how = "named like it" if entry == folder else f"its one container, {entry.partition('#')[2]}"
    draft.note(
        "env.prod",
        f"{folder} is production's Kustomize overlay: [env] prod lists it and {which} receives its env "
        f'(env = "prod"; the container {how}); devenv renders it with Kustomize',
    )
    return ProdOverlay(entry, envs)


def prod_decides(mover: SecretMover, key: str, raw: str, prod: ProdEnv, where: str) -> bool:
    """Whether production's env decides a compose `environment` entry of a service receiving it,
    so it is written nowhere: a key the overlay reads from a Secret the cluster holds takes
    compose's value as its local one (to the secrets file); a key production sets to the same
    value needs no second copy. Any other value stays, on top of production's."""
    from devenv.envvars.k8s_env import CLUSTER_SECRET

    found = prod.values.get(key)
    if found is None:
        return False
    if found.secret and found.source.endswith(CLUSTER_SECRET):
        mover.keep_whole(key, raw, where, f"production reads {key} from a Secret the cluster holds")
        return True
    if not found.secret and mover.interpolated(raw) == found.value:
        mover.draft.note(where, f"left out: production's env gives {key} the same value ({found.source})")
        return True
    return False
