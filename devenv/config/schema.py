"""Every key of devenv.toml, declared once: type (its validator), default, one line of help,
and the model field it fills.

Validation and the model records (`loader`: `Record.build`), `devenv config schema` (JSON
Schema) and docs/config-reference.md (`reference`) all read these declarations. A unit test
holds each record's field defaults equal to the declared ones.
"""

from __future__ import annotations

import re
from typing import Any

from devenv.config import model
from devenv.config.includes import INCLUDES
from devenv.config.types import (
    Bool,
    Command,
    Duration,
    Entrypoint,
    Enum,
    EnvValue,
    Int,
    Invalid,
    Key,
    ListOf,
    MapOf,
    OneOf,
    Record,
    Str,
    Table,
    Type,
    quoted,
)
from devenv.config.watch_actions import WATCH_ACTIONS as ACTIONS

NAME = r"[a-z0-9][a-z0-9_-]{0,62}"
# Kubernetes 1.34 (KEP-4369): any printable ASCII but "=" names a variable; the engine agrees.
ENV_KEY = r"[ -<>-~]+"

_PORT = re.compile(
    r"(?:(?P<ip>\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(?:(?P<host>\d{1,5}):)?(?P<container>\d{1,5})"
    r"(?:/(?P<proto>tcp|udp))?"
)


class PortString(Type):
    """ "8000:8000", "8000" (same port on the host), "0.0.0.0:8080:80", "53:53/udp", or a table."""

    def check(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, dict):
            return _PORT_TABLE.check(value)
        if not isinstance(value, str):
            raise Invalid(f'expected a port like "8000:8000", got {value!r}')
        match = _PORT.fullmatch(value.strip())
        if not match:
            raise Invalid(f'{quoted(value)} is not HOST:CONTAINER — e.g. "8000:8000"')
        container = int(match["container"])
        host = int(match["host"]) if match["host"] is not None else container
        for number in (host, container):
            if not 0 <= number <= 65535 or (number == 0 and number == container):
                raise Invalid(f"{quoted(value)}: port {number} is out of range 1-65535")
        return {
            "host": host,
            "container": container,
            "protocol": match["proto"] or "tcp",
            "host_ip": (match["ip"] or "127.0.0.1").strip("[]"),
            "strict": False,
        }

    def to_model(self, value: Any) -> Any:
        return _PORT_TABLE.build(value)

    def schema(self) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "string", "pattern": f"^{_PORT.pattern}$"},
                {"type": "integer"},
                _PORT_TABLE.schema(),
            ]
        }

    def describe(self) -> str:
        return '"HOST:CONTAINER[/udp]", "IP:HOST:CONTAINER", or a table'


_PORT_TABLE = Record(
    model.PortSpec,
    (
        Key("container", Int(1, 65535), "Port inside the container.", required=True),
        Key("host", Int(0, 65535), "Port on the host (0 = any free port; default: same as container).", 0),
        Key("protocol", Enum(("tcp", "udp")), "Protocol.", "tcp"),
        Key(
            "host_ip",
            Str(),
            "Host address to bind; 127.0.0.1 keeps the port private to this machine.",
            "127.0.0.1",
        ),
        Key("strict", Bool(), "Fail when the host port is taken instead of using the next free one.", False),
    ),
    what="a port table",
)


def _volume_string(value: str) -> dict[str, Any]:
    parts = value.split(":")
    if len(parts) not in (2, 3) or not re.fullmatch(NAME, parts[0]) or not parts[1].startswith("/"):
        raise Invalid(f'{quoted(value)} is not NAME:/container/path[:ro] — e.g. "uploads:/srv/uploads"')
    if len(parts) == 3 and parts[2] not in ("ro", "rw"):
        raise Invalid(f"{quoted(value)}: mode {quoted(parts[2])} is not ro or rw")
    return {"name": parts[0], "target": parts[1], "read_only": len(parts) == 3 and parts[2] == "ro"}


class VolumeString(Type):
    def check(self, value: Any) -> Any:
        if isinstance(value, dict):
            return _VOLUME_TABLE.check(value)
        if not isinstance(value, str):
            raise Invalid(f'expected "NAME:/path", got {value!r}')
        return _volume_string(value)

    def to_model(self, value: Any) -> Any:
        return _VOLUME_TABLE.build(value)

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "string"}, _VOLUME_TABLE.schema()]}

    def describe(self) -> str:
        return '"NAME:/container/path[:ro]" or a table'


CONTAINER_PATH = Str(pattern=r"/.*", example="/app", what="an absolute container path")

_VOLUME_TABLE = Record(
    model.VolumeMount,
    (
        Key("name", Str(pattern=NAME, what="a volume name (a-z, 0-9, _ -)"), "Volume name.", required=True),
        Key("target", CONTAINER_PATH, "Where it is mounted in the container.", required=True),
        Key("read_only", Bool(), "Mount read-only.", False),
    ),
    what="a volume table",
)

DATA = Record(
    model.DataMount,
    (
        Key(
            "source",
            Str(what="a host path"),
            "Host path (absolute, ~ or project-relative); must exist.",
            required=True,
            custom=True,  # resolved against the project, checked to exist
        ),
        Key("target", CONTAINER_PATH, "Where it is mounted in the container.", required=True),
        Key("read_only", Bool(), "Mount read-only (external data is never written unless you say so).", True),
    ),
    help="An external data disk or folder, bind-mounted in. devenv never deletes it.",
    what="a data table {source, target}",
    extra=("home",),  # the source as written under ~/, from `source`
)

CODE = Table(
    (
        Key(
            "source",
            Str(what="a project folder"),
            'The project folder (relative to devenv.toml) mounted at `target`; "." is the whole project.',
            required=True,
        ),
        Key("target", CONTAINER_PATH, "Where it is mounted in the container.", required=True),
    ),
    help="One folder of the project mounted as the service's code (an app in a subfolder).",
    what="a code table {source, target}",
)

HEALTH = Record(
    model.Health,
    (
        Key("cmd", Command(), "Check command, run in the container; exit 0 = healthy.", required=True),
        Key("interval", Duration(), "Time between checks.", "1s", field="interval_s"),
        Key("timeout", Duration(), "A check running longer than this fails.", "5s", field="timeout_s"),
        Key("retries", Int(1, 10000), "Failed checks before the service counts as unhealthy.", 30),
        Key(
            "start_period",
            Duration(),
            "Grace period after start in which failures do not count.",
            "0s",
            field="start_period_s",
        ),
    ),
    what="a health table {cmd = [...]}",
)

BUILD = Record(
    model.BuildSpec,
    (
        Key(
            "context",
            Str(what="a project-relative folder"),
            "Build context folder.",
            ".",
            custom=True,  # resolved against the project, checked to exist
        ),
        Key("dockerfile", Str(), "Dockerfile path, relative to the context.", "Dockerfile"),
        Key("args", MapOf(EnvValue()), "Build arguments.", None),
        Key("target", Str(), "Build stage to stop at.", None),
        Key(
            "from",
            Str(what="an image reference"),
            "Base image, passed as the build arg BASE_IMAGE: a short name resolves against [project] "
            "registry and is pinned by devenv.lock, so the build starts from the team's exact image.",
            None,
            field="base",
        ),
    ),
    help="Build the service's image from the working tree (honours .dockerignore).",
    what="a build table {context = ...}",
)

WATCH_RULE = Record(
    model.WatchRule,
    (
        Key(
            "paths",
            ListOf(Str()),
            "Project-relative globs this rule matches (gitignore syntax: `!` excludes).",
            required=True,
        ),
        Key("action", Enum(ACTIONS), "Action for changes matching these paths.", required=True),
        Key(
            "target",
            CONTAINER_PATH,
            "Sync actions: where `source` goes in the container (default: the table's sync_target).",
            None,
        ),
        Key(
            "source",
            Str(),
            "Project-relative folder (or file) that `target` mirrors (default: the rule's one path).",
            None,
            custom=True,  # defaults to the rule's one path, made project-relative
        ),
        Key(
            "exec", Command(), 'Command for action = "exec" / "sync+exec" (default: the table\'s exec).', None
        ),
        Key("initial_sync", Bool(), "Copy `source` into `target` when watching starts.", False),
    ),
    what="a rule table {paths, action}",
)

WATCH = Record(
    model.WatchSpec,
    (
        Key("paths", ListOf(Str()), "Project-relative folders/files to watch (default: the project).", None),
        Key(
            "ignore",
            ListOf(Str()),
            "Extra ignore globs (.gitignore and .dockerignore are honoured too).",
            None,
        ),
        Key("action", Enum(ACTIONS), "What a change does.", "restart"),
        Key(
            "debounce_ms",
            Int(0, 60000),
            'Quiet window before a reload (default 100; 20 for action = "sync", whose copies are cheap '
            "and safe to repeat).",
            None,
        ),
        Key("max_wait_ms", Int(0, 600000), "Reload at the latest this long after the first change.", 2000),
        Key("exec", Command(), 'Command run in the container for action = "exec".', None),
        Key("restart_after_exec", Bool(), "Restart the service after the exec command succeeds.", False),
        Key("sync_target", CONTAINER_PATH, 'Container folder for action = "sync" (default: `code`).', None),
        Key(
            "rules",
            ListOf(WATCH_RULE),
            "Path rules mapping changes to other actions; first match wins.",
            None,
            custom=True,  # each checked against its action
        ),
        Key("include_ignored", Bool(), "Also watch node_modules, .venv and other ignored folders.", False),
        Key(
            "preload",
            Bool(),
            "A Python command (`python3 -m MODULE` or `python3 SCRIPT`) restarts as a fork of a parent "
            "that keeps the installed packages imported: a restart skips importing them again.",
            False,
        ),
    ),
    help="File watching: which changes reload the service, and how.",
    what="a watch table",
)

SERVICE = Record(
    model.Service,
    (
        Key("image", Str(), 'Image; a short name ("python:3.12") resolves against [project] registry.', None),
        Key(
            "build",
            OneOf((Str(), BUILD), "a context folder or a build table"),
            "Build the image from the working tree instead of pulling it.",
            None,
            custom=True,  # a folder or a table; the context must exist
        ),
        Key("command", Command(), "Command to run (default: the image's).", None),
        Key("entrypoint", Entrypoint(), "Entrypoint override (`[]`: none, the image's ENTRYPOINT cleared).", None),
        Key(
            "workdir",
            CONTAINER_PATH,
            "Working directory (default: `code` when set, else the image's).",
            None,
            custom=True,  # defaults to `code`
        ),
        Key("ports", ListOf(PortString()), "Published ports; the host side binds 127.0.0.1.", None),
        Key(
            "code",
            OneOf((Bool(), CONTAINER_PATH, CODE), "a container path, true, or {source, target}"),
            "Mount the project folder here, read-write (true = /app); "
            '{ source = "FOLDER", target = "/path" } mounts one folder of it.',
            None,
            custom=True,  # true means /app
        ),
        Key(
            "data",
            ListOf(DATA),
            "External data disks/folders (read-only unless read_only = false).",
            None,
            custom=True,  # each source resolved and checked to exist
        ),
        Key("volumes", ListOf(VolumeString()), "Named volumes, shared by every service naming them.", None),
        Key(
            "environment",
            MapOf(EnvValue(), ENV_KEY, "a variable name"),
            'Own environment (instead of, or with env = "prod" on top of, the layered env); '
            "${NAME} takes a value from the layered env, $$ is a literal $.",
            None,
            custom=True,  # unset stays None (use the layered env), not empty
        ),
        Key(
            "env",
            Enum(("prod", "none")),
            'Receive the layered project env ("prod", default without `environment`) or none.',
            None,
            custom=True,  # defaults by `environment`
        ),
        Key(
            "depends_on",
            ListOf(Str(pattern=NAME, what="a service name"), unique=True),
            "Services started (and healthy) first.",
            None,
        ),
        Key("health", HEALTH, "Health check; dependants wait for it.", None),
        Key(
            "user",
            Str(),
            '"host" (your uid:gid; default with `code`), "UID:GID", or a user name.',
            None,
            custom=True,  # defaults by `code`
        ),
        Key("read_only", Bool(), "Read-only root filesystem with a tmpfs /tmp, as in production.", False),
        Key("privileged", Bool(), "Run privileged (shown in status; off unless you say so).", False),
        Key(
            "docker_socket",
            Bool(),
            "Mount the engine's socket (shown in status; off unless you say so).",
            False,
        ),
        Key(
            "stop_timeout",
            Duration(),
            "Grace period on stop before SIGKILL (default: 30s for a service with a named volume, "
            "whose data needs a clean shutdown; else [project]'s).",
            None,
            field="stop_timeout_s",
            custom=True,  # defaults by `volumes` and [project] stop_timeout
        ),
        Key(
            "stop_signal",
            Str(pattern=r"SIG[A-Z0-9+-]+|[0-9]{1,2}", example="SIGINT", what="a signal name"),
            "Signal that asks the process to stop (default: the image's STOPSIGNAL, else SIGTERM).",
            None,
        ),
        Key(
            "supervise",
            Bool(),
            "Run the command under devenv's supervisor so `restart` reloads in-place (needs /bin/sh).",
            True,
            field="restart",
        ),
        Key(
            "watch",
            WATCH,
            "File watching and reload (default with `code`: any change in the code folder restarts the service).",
            None,
            custom=True,  # checked against `code`, `command`, `supervise`; implied by `code`
        ),
    ),
    help="One container of the stack.",
    what="a service table",
    extra=("name", "line", "code_source", "include"),  # code_source: from a `code` table; include: merged by devenv.include
)

PROFILE = Record(
    model.Profile,
    (
        Key("extends", Str(pattern=NAME, what="a profile name"), "Profile this one starts from.", None),
        Key("set", MapOf(EnvValue(), ENV_KEY, "a variable name"), "Values that differ from prod.", None),
        Key(
            "unset",
            ListOf(Str(pattern=ENV_KEY, what="a variable name")),
            "Prod keys removed on purpose.",
            None,
        ),
        Key(
            "dev_only",
            ListOf(Str(pattern=ENV_KEY, what="a variable name")),
            "Keys `set` may add although prod lacks them (not drift).",
            None,
        ),
        Key(
            "placeholder_secrets",
            Bool(),
            "A secret with no local value gets a placeholder instead of an error.",
            False,
        ),
    ),
    what="a profile table",
    extra=("name",),
)

RENDER = Record(
    model.RenderSource,
    (
        Key(
            "render",
            ListOf(Str()),
            "A command printing Kubernetes YAML (helm template, jsonnet...), run without a shell.",
            required=True,
            field="command",
            custom=True,  # checked not to be empty
        ),
        Key("inputs", ListOf(Str()), "Files and folders it reads: its output is reused while they are unchanged.", None),
        Key("select", Str(), "The container to mirror (as after `#` in a path entry).", None),
    ),
    what="a render table",
)

# What one environment's config is read from; `[env] prod` and each `[env.targets]` entry alike.
PROD_SOURCES = ListOf(OneOf((Str(), RENDER), "a path or a { render = [...] } table"))

ENV = Record(
    model.EnvSpec,
    (
        Key(
            "prod",
            PROD_SOURCES,
            "Production config (dotenv, k8s YAML, a Kustomize folder, compose, JSON, or a command "
            "printing k8s YAML), later wins; `file#selector` picks a container/service.",
            None,
            custom=True,  # or [env.targets] prod
        ),
        Key(
            "targets",
            MapOf(PROD_SOURCES, NAME, "a target name (a-z, 0-9, _ -)"),
            "Environments to mirror or compare besides production (`staging = [...]`), each read "
            "like `prod`; `up --target`, `env check --target`, `env diff --between` pick one. "
            "`prod` here is the same as [env] prod (the default target).",
            None,
            custom=True,  # with `prod` among them
        ),
        Key("secrets", Str(), "Local dotenv file with real values for secret keys (gitignored).", None),
        Key(
            "secret_keys",
            ListOf(Str(pattern=ENV_KEY, what="a variable name")),
            "Keys that are secret although no prod source says so (e.g. from a compose .env): "
            "masked everywhere, their dev/test values local.",
            None,
        ),
        Key("default_profile", Str(pattern=NAME), "Profile used when --profile is not given.", "dev"),
        Key(
            "profiles",
            MapOf(PROFILE, NAME, "a profile name (a-z, 0-9, _ -)"),
            "Declared differences from prod.",
            None,
        ),
    ),
    help="Production's environment, mirrored: prod sources → profile overrides → local secrets.",
    what="an env table",
    extra=("target",),  # the target mirrored: chosen by the command, not the file
)

VOLUME = Record(
    model.VolumeDecl,
    (
        Key("driver", Str(), "Volume driver.", "local"),
        Key("options", MapOf(EnvValue()), "Driver options (e.g. an NFS share).", None),
        Key("external", Bool(), "An existing volume, used as is: never created or removed by devenv.", False),
    ),
    what="a volume table",
    extra=("name",),
)

CATALOG_IMAGE = Record(
    model.CatalogImage,
    (
        Key(
            "from",
            Str(what="an image reference or catalog image name"),
            "Base image, passed as the build arg BASE_IMAGE: another catalog image (built first, and "
            "this one on the fresh build) or a reference (short names resolve against [project] "
            "registry), pinned by digest (default: the Dockerfile's `ARG BASE_IMAGE` default).",
            None,
            field="base",
        ),
        Key("build_args", MapOf(EnvValue()), "Build arguments of this image.", None),
    ),
    help="A standard image of the catalog in images/NAME/ (`devenv images build`).",
    what="an image table",
    extra=("name",),
)

PROJECT = Record(
    model.Project,
    (
        Key(
            "name",
            Str(pattern=NAME, example="shop", what="a project name (a-z, 0-9, _ -)"),
            "Project name (default: the folder name).",
            None,
            custom=True,  # defaults to the folder's name
        ),
        Key("registry", Str(), "Team registry for short image names; DEVENV_REGISTRY overrides.", None),
        Key(
            "stop_timeout",
            Duration(),
            "Grace period on stop before SIGKILL (dev stacks stop fast).",
            "1s",
            field="stop_timeout_s",
            custom=True,  # also the services' default
        ),
        Key(
            "instance_per_worktree",
            Bool(),
            "In a linked git worktree, use an instance named after it (false: `default`, as in "
            "the main worktree); --instance overrides either way.",
            True,
        ),
    ),
    what="a project table",
    # The top level's tables fill the rest of the project record.
    extra=("root", "config_file", "services", "volumes", "env", "images", "include_specs", "includes"),
)

ROOT = Table(
    (
        Key("project", PROJECT, "The project.", None),
        Key("env", ENV, "The layered environment.", None),
        Key(
            "services",
            MapOf(SERVICE, NAME, "a service name (a-z, 0-9, _ -)"),
            "The stack's services (a repo holding only the image catalog may have none).",
            None,
        ),
        Key(
            "volumes",
            MapOf(VOLUME, NAME, "a volume name (a-z, 0-9, _ -)"),
            "Named volumes with a driver or options.",
            None,
        ),
        Key(
            "images",
            MapOf(CATALOG_IMAGE, NAME, "an image name (a-z, 0-9, _ -)"),
            "How the catalog images in images/NAME/ are built (base image, build args).",
            None,
        ),
        Key("include", INCLUDES, "Other projects' stacks run beside this one (docs/many-apps.md).", None),
    ),
    what="devenv.toml",
)
