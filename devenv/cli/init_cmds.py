"""`devenv init`: a commented devenv.toml, from prompts, flags, a compose file or a devcontainer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.context import AppContext, pass_app
from devenv.convert import (
    SECRETS_FILE,
    ScaffoldAnswers,
    convert_compose,
    convert_devcontainer,
    ensure_gitignore,
    scaffold,
    write_config,
    write_local_secrets,
)
from devenv.convert.scaffold import port_string
from devenv.errors import ConfigError
from devenv.fsutil import inside


def _kind(source: Path) -> str:
    if (
        source.suffix == ".json"
        or source.parent.name == ".devcontainer"
        or source.name.startswith(".devcontainer")
    ):
        return "devcontainer"
    return "compose"


@click.command("init", short_help=SHORT_HELP["init"])
@click.option(
    "--from",
    "source",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Convert docker-compose.yml / compose.yaml or .devcontainer/devcontainer.json.",
)
@click.option(
    "--force", is_flag=True, help="Replace an existing devenv.toml (the old one is kept as .bak, never over a .bak)."
)
@click.option("--name", help="Project name (default: the folder name).")
@click.option("--registry", help="Team registry for short image names, e.g. registry.example.com/team.")
@click.option("--image", help="Image of the first service, e.g. python:3.12.")
@click.option("--port", help="Port of the first service: PORT or HOST:CONTAINER.")
@click.option("--code", "code", help="Mount the project folder at this container path, e.g. /app.")
@click.option("--service", default="app", show_default=True, help="Name of the first service.")
@click.option(
    "--compose-profile",
    "compose_profiles",
    multiple=True,
    metavar="NAME",
    help="With --from: convert the services of this compose profile too (repeatable).",
)
@click.option("-y", "--yes", is_flag=True, help="Never prompt; take flags and defaults.")
@pass_app
def init(
    app: AppContext,
    source: Optional[Path],
    force: bool,
    name: Optional[str],
    registry: Optional[str],
    image: Optional[str],
    port: Optional[str],
    code: Optional[str],
    service: str,
    compose_profiles: tuple[str, ...],
    yes: bool,
) -> None:
    """Write a commented devenv.toml in the project folder (and `.devenv/` in .gitignore).

    \b
    devenv init                                    ask (on a terminal) or take flags
    devenv init --image python:3.12 --port 8000 --code /app --yes
    devenv init --from docker-compose.yml          convert; what cannot be converted is listed
    devenv init --from .devcontainer/devcontainer.json
    """

    out = app.output
    root = (app.project_dir or Path.cwd()).resolve()
    if not force and (root / "devenv.toml").exists():
        # Checked before any prompt, so nobody answers questions for a file that will not be written.
        raise ConfigError(
            f"{root / 'devenv.toml'} already exists",
            "use --force to replace it (the old file is kept as devenv.toml.bak, or .bak.1, .bak.2 ...)",
        )
    unconverted: list[str] = []
    notes: list[str] = []
    secrets: dict[str, str] = {}
    if source is not None:
        if not source.is_file():
            raise ConfigError(
                f"{source}: no such file", "pass the path of a compose file or devcontainer.json"
            )
        convert = convert_devcontainer if _kind(source) == "devcontainer" else convert_compose
        from devenv.registry.reference import effective_registry

        # With a team registry known, public images its catalog has become the catalog's.
        catalog = effective_registry(registry) is not None
        conversion = convert(
            source, root, name=name, registry=registry, profiles=compose_profiles, catalog=catalog
        )
        text, unconverted, notes = conversion.toml_text, conversion.unconverted, conversion.notes
        secrets = conversion.secrets
        out.add_secrets(set(secrets.values()))  # never echoed, not even in a note
    else:
        answers = ScaffoldAnswers(name or root.name, registry, image, port, code, service)
        if not yes and sys.stdin.isatty():
            answers = _ask(answers)
        text = scaffold(answers)
    for rel in ("devenv.toml", ".gitignore", *([SECRETS_FILE] if secrets else [])):
        inside(root, rel, "devenv init")  # all checked before the first write
    result = write_config(root, text, force=force)
    if result.backup is not None:
        out.info(f"kept the previous file as {result.backup.name}")
    added = ensure_gitignore(root)
    if added:
        out.info(f"added {', '.join(added)} to .gitignore")
    if secrets:
        kept = write_local_secrets(root, SECRETS_FILE, secrets)
        out.info(f"wrote {len(kept)} secret value(s) to {SECRETS_FILE} (gitignored; keep it out of git)")
    out.line(str(result.path))
    for item in notes:
        out.info(f"note: {item}")
    if unconverted:
        out.warn(f"{len(unconverted)} item(s) not converted (also listed at the top of devenv.toml):")
        for item in unconverted:
            out.info(f"  - {item}")
    _check_written(text, result.path)
    out.info("next: `devenv doctor`, then `devenv up`")


def _check_written(text: str, path: Path) -> None:
    """What init wrote goes through the same validation as every load: a value the source had
    that devenv cannot use (an address, an image name) fails here, not at the first `up`."""
    from devenv.config.loader import parse_project

    try:
        parse_project(text, path, host_paths=False)  # its folders and data may come later
    except ConfigError as err:
        raise ConfigError(
            f"wrote {path.name}, but it does not validate: {err.message}",
            f"{err.hint + '; ' if err.hint else ''}fix that line, then run `devenv config validate`",
        ) from None


def _ask(defaults: Any) -> Any:

    name = click.prompt("Project name", default=defaults.name, err=True)
    registry = click.prompt("Team registry (empty: none)", default=defaults.registry or "", err=True) or None
    image = (
        click.prompt("First service image (e.g. python:3.12)", default=defaults.image or "", err=True) or None
    )
    while True:
        port = click.prompt("Port to publish (empty: none)", default=defaults.port or "", err=True) or None
        try:
            if port:
                port_string(port)
            break
        except ConfigError as err:
            click.echo(f"{err} — {err.hint}", err=True)
    code = click.prompt(
        "Mount the project folder at (empty: no mount)", default=defaults.code or "/app", err=True
    )
    return ScaffoldAnswers(name, registry, image, port, code or None, defaults.service)
