"""`devenv ui`: serve the live dashboard on 127.0.0.1 and print its address (with the run's token)."""

from __future__ import annotations

from typing import Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.context import AppContext, pass_app
from devenv.cli.options import instance_option
from devenv.cli.output import Output


@click.command(short_help=SHORT_HELP["ui"])
@instance_option
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 (default: a free one).")
@click.option("--no-open", is_flag=True, help="Print the address only; do not open a browser.")
@pass_app
def ui(obj: AppContext, instance: Optional[str], port: int, no_open: bool) -> None:
    """Serve a dashboard of every instance and service of the project: state, health, ports,
    logs, env with its sources (secrets masked), drift, and restart/rebuild/up/down. Bound to
    127.0.0.1; the printed address carries a token new for each run. Ctrl-C stops it."""
    from devenv.ui.serve import require_extra

    require_extra()  # before anything else: one line naming the extra to install
    from devenv.ops.secrets import known_secret_values
    from devenv.ui.serve import serve

    out: Output = obj.output
    project = obj.acting_project("reads")  # env files outside the project: only once trusted
    choice = obj.instance(instance)
    secrets = known_secret_values(project)
    out.add_secrets(secrets)

    def ready(url: str) -> None:
        out.info(f"devenv ui: {project.name} ({choice.name}) at")
        out.line(url)
        out.info("Ctrl-C stops it")
        if not no_open:
            import webbrowser

            webbrowser.open(url)

    serve(project, choice.name, secrets, port=port, ready=ready, trust=obj.trust)
