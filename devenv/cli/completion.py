"""Shell completion: the callbacks that complete service, profile and instance names, and
devenv's fish protocol (the `devenv completion` command is in `completion_cmds.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

import click

from devenv import settings

if TYPE_CHECKING:  # click.shell_completion loads only when a shell asks (every command imports this)
    from click.shell_completion import CompletionItem

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = settings.COMPLETE.env


def _start(ctx: click.Context) -> Optional[Path]:
    """The folder to look for devenv.toml from: --project-dir when it was typed, else the cwd."""
    root = ctx.find_root()
    given = root.params.get("project_dir") if root.params else None
    return Path(given) if given else None


def _items(names: list[str], incomplete: str) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem

    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def _completer(names: Callable[[Optional[Path]], list[str]], *, taken: bool = False) -> Any:
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        found = names(_start(ctx))
        if taken:  # `up web <TAB>` offers the services not typed yet
            typed = set(ctx.params.get(param.name or "") or ())
            found = [n for n in found if n not in typed]
        return _items(found, incomplete)

    return complete


def _services(start: Optional[Path]) -> list[str]:
    from devenv.ops.completion import service_names

    return service_names(start)


def _profiles(start: Optional[Path]) -> list[str]:
    from devenv.ops.completion import profile_names

    return profile_names(start)


def _targets(start: Optional[Path]) -> list[str]:
    from devenv.ops.completion import target_names

    return target_names(start)


def _instances(start: Optional[Path]) -> list[str]:
    from devenv.ops.completion import instance_names

    return instance_names(start)


complete_service = _completer(_services)
complete_services = _completer(_services, taken=True)
complete_profile = _completer(_profiles)
complete_target = _completer(_targets)
complete_instance = _completer(_instances)


# click's fish script changed protocol between releases (8.4.0's splits each answer line on a
# newline it also writes as the separator, so fish gets nothing): devenv speaks fish's own
# format instead, one `value<TAB>help` line per suggestion, the same with every click.
_FISH_SOURCE = """\
function %(complete_func)s;
    env %(complete_var)s=fish_complete COMP_WORDS=(commandline -cp) COMP_CWORD=(commandline -t) %(prog_name)s;
end;

complete --no-files --command %(prog_name)s --arguments "(%(complete_func)s)";
"""


def register_fish() -> None:
    """Use devenv's fish protocol (call before click answers a completion request)."""
    from click.shell_completion import CompletionItem as Item
    from click.shell_completion import FishComplete, add_completion_class

    class DevenvFish(FishComplete):
        source_template = _FISH_SOURCE

        def format_completion(self, item: Item) -> str:
            value = item.value.replace("\n", " ")
            return f"{value}\t{item.help}" if item.help else value

    add_completion_class(DevenvFish, "fish")
