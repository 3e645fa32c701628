"""`devenv doctor`'s lines for prod sources that a tool renders: Kustomize (kustomize or kubectl)
for a Kustomize folder, the command's program for a render entry. Only when such a source is
configured; each missing tool is a fail with how to install it (`devenv up` would stop there)."""

from __future__ import annotations

import os
import shutil

from devenv.config.model import Project, RenderSource
from devenv.ops.doctor_checks import FAIL, OK, Check


def render_tool_checks(project: Project) -> list[Check]:
    from devenv.envvars import render
    from devenv.envvars.sources import kustomize_folder, parse_ref

    checks: list[Check] = []
    kustomized = [e for e in project.env.prod if not isinstance(e, RenderSource) and kustomize_folder(project.root, parse_ref(e))]
    if kustomized:
        found = shutil.which("kustomize") or shutil.which("kubectl")
        if found:
            checks.append(Check("tool:kustomize", "kustomize", OK, f"{found} renders {kustomized[0]}"))
        else:
            checks.append(
                Check(
                    "tool:kustomize",
                    "kustomize",
                    FAIL,
                    f"[env] prod names a Kustomize folder ({kustomized[0]}) but neither kustomize nor kubectl is on PATH",
                    render.KUBECTL_HINT,
                )
            )
    for entry in project.env.prod:
        if not isinstance(entry, RenderSource):
            continue
        program = entry.command[0]
        path = str(project.root / program) if os.sep in program else shutil.which(program)
        if path and os.access(path, os.X_OK):
            checks.append(Check(f"tool:{program}", program, OK, f"{path} renders {entry.entry}"))
        else:
            checks.append(
                Check(
                    f"tool:{program}",
                    program,
                    FAIL,
                    f"[env] prod runs {program} ({entry.entry}), which is not installed",
                    f"install {program} so that it is on PATH",
                )
            )
    return checks
