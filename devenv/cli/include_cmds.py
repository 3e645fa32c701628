"""`devenv link NAME PATH` and `devenv unlink NAME`: run one include from a local checkout."""

from __future__ import annotations

from pathlib import Path

import click

from devenv.cli.context import AppContext, pass_app
from devenv.cli.output import Output


@click.command(short_help="Run one include from a local checkout (watched, reloaded on save).")
@click.argument("name")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@pass_app
def link(obj: AppContext, name: str, path: Path) -> None:
    """Switch include NAME to the checkout at PATH: its services are built and run from there as
    its own devenv.toml says, code mounted and watched. Recorded in .devenv/links.toml (this
    machine only); `devenv unlink NAME` switches back. Takes effect on the next `devenv up`."""
    from devenv.errors import ConfigError
    from devenv.include.links import read_links, write_links

    out: Output = obj.output
    project = obj.own_project()  # includes not resolved: a link must work while a git server is down
    names = [s.name for s in project.include_specs]
    if name not in names:
        raise ConfigError(
            f"{project.config_file.name} has no include {name!r} (includes: {', '.join(names) or 'none'})",
            "name one of its [include.NAME] tables",
        )
    folder = path.expanduser().resolve()
    if not (folder / "devenv.toml").is_file():
        raise ConfigError(
            f"{folder} has no devenv.toml", "link the folder of the included project's checkout"
        )
    links = read_links(project.root)
    links[name] = folder
    write_links(project.root, links)
    out.info(
        f"include {name} now runs from {folder} (`devenv up` applies it; `devenv unlink {name}` switches back)"
    )


@click.command(short_help="Switch an include back from a local checkout to its devenv.toml source.")
@click.argument("name")
@pass_app
def unlink(obj: AppContext, name: str) -> None:
    """Forget `devenv link NAME`: the include runs from what devenv.toml (and devenv.lock) pins."""
    from devenv.errors import ConfigError
    from devenv.include.links import read_links, write_links

    out: Output = obj.output
    project = obj.own_project()
    links = read_links(project.root)
    if name not in links:
        raise ConfigError(
            f"include {name!r} is not linked (linked: {', '.join(sorted(links)) or 'none'})",
            "`devenv link NAME PATH` links one",
        )
    del links[name]
    write_links(project.root, links)
    out.info(f"include {name} runs from its devenv.toml source again (`devenv up` applies it)")
