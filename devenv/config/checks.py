"""What each key's type cannot see alone: values the declarations accept that the engine or an
export would refuse later. Run once, on the validated data, so whatever `config validate`
accepts, `up` and `export` can use: a host address that is an address, a mount the engine can
make, a signal it knows, an image reference it can pull.

Each check raises `Problem` with the key it is about; the loader turns it into its one line.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any, Optional, Union

from devenv.config.imageref import parse_reference
from devenv.config.types import quoted
from devenv.errors import ConfigError

Where = list[Union[str, int]]

# The Linux signal names the engine's ParseSignal knows (a container's signals are Linux's,
# whatever the host), with or without SIG; numbers 1-64; RTMIN+n and RTMAX-n.
_SIGNALS = frozenset(
    [
        "ABRT",
        "ALRM",
        "BUS",
        "CHLD",
        "CLD",
        "CONT",
        "FPE",
        "HUP",
        "ILL",
        "INT",
        "IO",
        "IOT",
        "KILL",
        "PIPE",
        "POLL",
        "PROF",
        "PWR",
        "QUIT",
        "SEGV",
        "STKFLT",
        "STOP",
        "SYS",
        "TERM",
        "TRAP",
        "TSTP",
        "TTIN",
        "TTOU",
        "URG",
        "USR1",
        "USR2",
        "VTALRM",
        "WINCH",
        "XCPU",
        "XFSZ",
    ]
)
_REALTIME = frozenset(
    ["RTMIN", "RTMAX", *(f"RTMIN+{n}" for n in range(1, 16)), *(f"RTMAX-{n}" for n in range(1, 15))]
)


class Problem(Exception):
    def __init__(self, where: Where, message: str, hint: Optional[str] = None):
        super().__init__(message)
        self.where = where
        self.message = message
        self.hint = hint


def check_project(data: dict[str, Any]) -> None:
    """Every check, in file order: the first problem is raised."""
    nul = _first_nul(data, [])
    if nul is not None:
        raise Problem(
            nul,
            "holds a NUL character (\\u0000), which no process argument or variable can carry",
            "remove it",
        )
    registry = (data["project"] or {}).get("registry")
    if registry is not None:
        _reference(["project", "registry"], f"{registry.strip().rstrip('/')}/image", "a registry", registry)
    for name, service in (data["services"] or {}).items():
        check_service(["services", name], service)
    catalog = set(data["images"] or {})
    for name, image in (data["images"] or {}).items():
        if image["from"] is not None and image["from"] not in catalog:
            _reference(["images", name, "from"], image["from"])


def check_service(where: Where, raw: dict[str, Any]) -> None:
    if raw["image"] is not None:
        _reference([*where, "image"], raw["image"])
    build = raw["build"]
    if isinstance(build, dict) and build["from"] is not None:
        _reference([*where, "build", "from"], build["from"])
    for index, port in enumerate(raw["ports"] or ()):
        _host_ip([*where, "ports", index], port["host_ip"])
    _mounts(where, raw)
    if raw["stop_signal"] is not None:
        _signal([*where, "stop_signal"], raw["stop_signal"])


def _has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(k for k in item if "\x00" in k)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _first_nul(value: Any, where: Where) -> Optional[Where]:
    """The key of the first string holding a NUL (the engine's API and argv end a string there)."""
    if not _has_nul(value):  # the usual answer, found without building a key path per value
        return None
    stack: list[tuple[Any, Where]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return at
        elif isinstance(item, dict):
            for key in item:
                if "\x00" in key:  # a free key (build args, driver options) is checked by no pattern
                    return [*at, key]
            stack.extend((v, [*at, k]) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((v, [*at, i]) for i, v in reversed(list(enumerate(item))))
    return None


def _reference(
    where: Where, text: str, what: str = "an image reference", shown: Optional[str] = None
) -> None:
    try:
        parse_reference(text)
    except ConfigError as err:
        why = err.message.split(": ", 2)[-1]  # parse_reference's own reason, after its "image: '…'"
        hint = err.hint if shown is None else 'write a host[:port][/path], e.g. "registry.example.com/team"'
        raise Problem(
            where, f"{quoted(text if shown is None else shown)} is not {what}: {why}", hint
        ) from None


def _host_ip(where: Where, address: str) -> None:
    import ipaddress  # only here: most files publish no port with an address of their own

    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise Problem(
            where,
            f"host address {quoted(address)} is not an IP address",
            'write e.g. "127.0.0.1" (this machine only), "0.0.0.0" (every interface) or "::1"',
        ) from None


def _mount_targets(where: Where, raw: dict[str, Any]) -> Iterator[tuple[Where, str]]:
    code = raw["code"]
    if code is True:
        code = "/app"
    if isinstance(code, str):
        yield [*where, "code"], code
    for index, data in enumerate(raw["data"] or ()):
        yield [*where, "data", index, "target"], data["target"]
    for index, volume in enumerate(raw["volumes"] or ()):
        yield [*where, "volumes", index], volume["target"]


def _mounts(where: Where, raw: dict[str, Any]) -> None:
    """The engine refuses a mount over / and two mounts at one place; a compose export writes
    each as SOURCE:TARGET, which a `:` in the target would split."""
    taken: dict[str, Where] = {}
    for key, target in _mount_targets(where, raw):
        clean = posixpath.normpath(target)
        if clean == "/" or clean == "//":
            raise Problem(
                key,
                f"{quoted(target)} would mount over the container's root",
                'mount at a folder of its own, e.g. "/app" or "/data"',
            )
        if ":" in target:
            raise Problem(key, f"{quoted(target)}: a mount target cannot hold ':'", "rename the folder")
        if clean in taken:
            other = taken[clean][len(where) :]
            shown = ".".join(str(p) for p in other)
            raise Problem(
                key,
                f"{quoted(target)} is also where {shown} is mounted: one place holds one mount",
                "give one of them another container path",
            )
        taken[clean] = key


def _signal(where: Where, signal: str) -> None:
    name = signal[3:] if signal.startswith("SIG") else signal
    if signal.isdigit():
        if 1 <= int(signal) <= 64:
            return
    elif name in _SIGNALS or name in _REALTIME:
        return
    raise Problem(
        where,
        f"{quoted(signal)} is not a signal the engine knows",
        'write a name such as "SIGTERM", "SIGINT", "SIGQUIT" or "SIGRTMIN+3", or a number 1-64',
    )


def rules_markdown() -> list[str]:
    """The reference page's section on what no single key's type says: these checks and the
    reading limits (devenv.config.bounded), from the values the code uses."""
    from devenv.config import bounded
    from devenv.config.types import MAX_DURATION_TEXT

    return [
        "## Checks beyond each key's type",
        "",
        "`devenv config validate` (and every command, as it loads the file) also refuses what the",
        "engine or an export would refuse later, so a file that validates is one `up` and `export` can use:",
        "",
        "- a string holding a NUL character (`\\u0000`), anywhere;",
        f"- a duration that is `inf`, `nan` or longer than {MAX_DURATION_TEXT};",
        "- a port's host address that is not an IP address (`host_ip`, or the `IP:` of a port string);",
        "- a mount (`code`, `data[].target`, `volumes`) over `/`, two mounts at one container path, or a",
        "  `:` in a mount target;",
        "- a `stop_signal` the engine does not know (a Linux signal name, `SIGRTMIN+n`/`SIGRTMAX-n`, or 1-64);",
        "- an `image`, `build.from` or `[images.NAME] from` that is not an image reference (e.g.",
        '  `"--privileged"`), and a `[project] registry` that is not a registry host.',
        "",
        "`devenv init` checks the file it wrote the same way (all but the existence of build folders and",
        "data paths, which may come later) and exits 1 naming the line when a converted value cannot be used.",
        "",
        "## Limits on the files devenv reads",
        "",
        "devenv.toml, devenv.lock, compose files, Kubernetes manifests, devcontainer.json and JSON prod",
        "sources are read within limits, so a hostile file costs bounded time and memory; past one, the",
        "command exits 1 with one line naming the file:",
        "",
        f"- size: at most {bounded.MAX_BYTES // (1024 * 1024)} MiB, from a regular file (not a FIFO or device);",
        f"- nesting: at most {bounded.MAX_DEPTH} levels of tables, arrays, mappings or sequences (in TOML,",
        f"  also at most {bounded.MAX_DEPTH} dotted parts in one key or table header);",
        f"- YAML aliases (`*name`): together they may add at most {bounded.MAX_ALIAS_NODES:,} nodes, each",
        "  alias counted as the nodes it repeats (a few nested anchors can otherwise stand for billions),",
        "  and an alias cannot sit inside its own anchor;",
        "- numbers: an integer of more than 4,300 digits (Python's limit) is refused, as is a YAML date",
        "  that is not a date.",
    ]
