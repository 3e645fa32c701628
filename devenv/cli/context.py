"""The one object every command is handed: output, the project folder, the project on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import click

from devenv.cli.output import Output

if TYPE_CHECKING:  # pathlib (and the urllib it imports) loads with the first command, not for --help
    from pathlib import Path

    from devenv.config.model import Project
    from devenv.ops.instance import InstanceChoice


class AppContext:
    """What every command needs: output, the project folder, and a lazily loaded project."""

    __slots__ = ("_project", "output", "project_dir", "trust")

    def __init__(self, project_dir: Optional[Path], output: Output, trust: bool = False):
        self.project_dir = project_dir
        self.output = output
        self.trust = trust  # --trust / DEVENV_TRUST: act on what devenv.toml grants, unasked
        self._project: Optional[Project] = None

    def project(self) -> Project:
        if self._project is None:
            project = self.own_project()
            if project.include_specs:  # only then: a project without includes imports none of it
                from devenv.include.expand import expand

                project = expand(project)
            self._project = project
        return self._project

    def own_project(self) -> Project:
        """devenv.toml as written, its includes not resolved."""
        # Not at import: `devenv --help` loads neither the config layer nor pathlib.
        from pathlib import Path

        from devenv.config.load import load_project

        return load_project(self.project_dir or Path.cwd(), explicit=self.project_dir is not None)

    def project_as_running(self) -> Project:
        """The project for a command that reads or removes what runs (`status`, `down`): an
        include that cannot be resolved any more (its folder moved, its server unreachable and
        nothing cached) is warned about, not fatal: what it started carries this project's
        labels, so it is still shown and removed."""
        from devenv.errors import DevenvError

        try:
            return self.project()
        except DevenvError as err:
            own = self.own_project()
            if not own.include_specs:
                raise
            self.output.warn(f"{err} — acting on what runs under {own.name}'s labels without it")
            self._project = own  # the rest of the command (its instance) sees the same project
            return own

    def acting_project(self, scope: str, trust: bool = False, resolved: Optional[Project] = None) -> Project:
        """The project, for a command that acts on it: refused (exit 7, with the list) while
        devenv.toml grants what the user has not trusted. `scope`: "containers" for commands
        that create containers, "reads" for those that only read the env. `resolved`: the
        project as the command resolved it itself (`lock`: its includes afresh), used from then on."""
        from devenv.ops.trust import require

        if resolved is not None:
            self._project = resolved
        project = self.project()
        assumed = self.trust or trust
        found = require(project, scope, assume=assumed)
        if found.grants and not found.trusted:  # let through by --trust / DEVENV_TRUST
            count = len(found.grants)
            self.output.info(
                f"trusting devenv.toml's {count} grant{'s' if count != 1 else ''} unasked (--trust / DEVENV_TRUST): "
                + "; ".join(g.line() for g in found.grants)
            )
        return project

    def instance(self, requested: Optional[str]) -> InstanceChoice:
        """The instance a command acts on (`ops.instance.choose_instance`: one rule for all)."""
        from devenv.ops.instance import choose_instance

        return choose_instance(self.project(), requested)


def app_of(ctx: click.Context) -> AppContext:
    """The command group's AppContext, typed (what `ctx.obj` holds once `cli` has run)."""
    app = ctx.find_object(AppContext)
    if app is None:
        raise RuntimeError("a devenv command ran outside the `devenv` group")
    return app


# `@pass_app` hands a command its AppContext as the first argument, typed for the checker.
pass_app = click.make_pass_decorator(AppContext)
