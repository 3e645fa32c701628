"""The typed model of devenv.toml. Built by `config.loader`, read by every other layer.

Each record is filled from the key declarations in `config.schema` (`Record.build`: a key names
its field); a record's defaults are the declared ones, which tests/unit/test_config_declarations.py
holds equal. Fields the file does not set directly (`line`, a table's `name`) are the loader's.

Immutable records as NamedTuples: every devenv process loads this model, and a NamedTuple
class costs a fraction of a frozen dataclass's to create (one generated function, not five),
which a no-op `devenv up` notices. Copies with changes use `._replace(...)`.

No `from __future__ import annotations` here: NamedTuple turns a string annotation into a
ForwardRef, compiling it for every field, and an evaluated one costs less.
"""

from pathlib import Path
from typing import Any, NamedTuple, Optional, Union

from devenv.config.watch_actions import RESTART, SYNC, WatchAction


class PortSpec(NamedTuple):
    host: int  # requested host port (0 = any free port)
    container: int
    protocol: str = "tcp"
    host_ip: str = "127.0.0.1"
    strict: bool = False  # taken host port -> error instead of the next free one


class DataMount(NamedTuple):
    source: Path  # absolute, resolved
    target: str
    read_only: bool = True
    home: Optional[str] = None  # the source as written when under `~/`: exports keep it portable


class VolumeMount(NamedTuple):
    name: str  # logical name as in the file; the engine name adds project and instance
    target: str
    read_only: bool = False


class Health(NamedTuple):
    cmd: tuple[str, ...]
    interval_s: float = 1.0
    timeout_s: float = 5.0
    retries: int = 30
    start_period_s: float = 0.0


BASE_IMAGE_ARG = "BASE_IMAGE"  # the build arg a service's `build.from` (pinned by the lock) is passed as


class BuildSpec(NamedTuple):
    context: Path  # absolute
    dockerfile: str = "Dockerfile"
    args: tuple[tuple[str, str], ...] = ()
    target: Optional[str] = None
    base: Optional[str] = None  # `from`, as written: passed as BASE_IMAGE, pinned by the lock


class WatchRule(NamedTuple):
    """Paths matching `paths` trigger `action` (the first matching rule wins)."""

    paths: tuple[str, ...]
    action: WatchAction
    target: Optional[str] = None  # sync actions: the container path of `source`
    source: Optional[str] = None  # project-relative folder/file synced to `target`
    exec: tuple[str, ...] = ()  # exec actions: this rule's command (else the table's `exec`)
    initial_sync: bool = False  # copy `source` into `target` when watching starts


DOCKER_SOCKET = "/var/run/docker.sock"  # what `docker_socket = true` mounts (and compose files name)

DEFAULT_QUIET_MS = 100
SYNC_QUIET_MS = 20


class WatchSpec(NamedTuple):
    paths: tuple[str, ...] = ()  # project-relative; empty = the whole project
    ignore: tuple[str, ...] = ()
    action: WatchAction = RESTART
    debounce_ms: Optional[int] = None  # None: the action's default (see quiet_ms)
    max_wait_ms: int = 2000
    exec: tuple[str, ...] = ()  # for action = EXEC
    restart_after_exec: bool = False
    sync_target: Optional[str] = None  # for action = SYNC; default: the service's `code` path
    rules: tuple[WatchRule, ...] = ()
    include_ignored: bool = False  # watch node_modules/.venv etc. too
    preload: bool = False  # a Python command restarts as a fork of a parent with its packages loaded

    @property
    def quiet_ms(self) -> int:
        """The debounce quiet window in force. A sync copies only what changed and repeating it
        does no harm, so it waits less: a save reaches the container sooner."""
        if self.debounce_ms is not None:
            return self.debounce_ms
        return SYNC_QUIET_MS if self.action == SYNC else DEFAULT_QUIET_MS


class Service(NamedTuple):
    name: str
    image: Optional[str] = None  # as written in the file
    build: Optional[BuildSpec] = None
    command: Optional[tuple[str, ...]] = None
    entrypoint: Optional[tuple[str, ...]] = None
    workdir: Optional[str] = None
    ports: tuple[PortSpec, ...] = ()
    code: Optional[str] = None  # container path the code folder is mounted at
    data: tuple[DataMount, ...] = ()
    volumes: tuple[VolumeMount, ...] = ()
    environment: Optional[tuple[tuple[str, str], ...]] = None  # literal env; None = use the layered env
    env: Optional[str] = None  # "prod" = receive the layered project env
    depends_on: tuple[str, ...] = ()
    health: Optional[Health] = None
    user: Optional[str] = None  # "host", "uid:gid", a name, or None (image default)
    read_only: bool = False
    privileged: bool = False
    docker_socket: bool = False  # mount /var/run/docker.sock (explicit opt-in only)
    stop_timeout_s: float = 1.0
    stop_signal: Optional[str] = None  # None: the image's STOPSIGNAL
    restart: bool = True  # wrap the command in the supervisor shim (needs /bin/sh in the image)
    watch: Optional[WatchSpec] = None
    line: int = 0  # line of [services.NAME] in devenv.toml, for errors
    include: Optional[str] = None  # the [include.NAME] it came from (None: this project's own)
    code_source: str = ""  # the project folder mounted at `code`, project-relative ("" = the project)

    def code_folder(self, root: Path) -> Path:
        """The host folder mounted at `code`: the project, or one folder of it."""
        return root / self.code_source if self.code_source else root


class VolumeDecl(NamedTuple):
    name: str
    driver: str = "local"
    options: tuple[tuple[str, str], ...] = ()
    external: bool = False  # an existing engine volume used as is (never created or removed)


class CatalogImage(NamedTuple):
    """How `devenv images build` builds images/<name>/ (only what devenv.toml declares)."""

    name: str
    base: Optional[str] = None  # `from`: a catalog image name or an image reference
    build_args: tuple[tuple[str, str], ...] = ()


class Profile(NamedTuple):
    name: str
    extends: Optional[str] = None
    set: tuple[tuple[str, str], ...] = ()
    unset: tuple[str, ...] = ()
    dev_only: tuple[str, ...] = ()  # keys `set` may add although prod lacks them
    placeholder_secrets: bool = False  # a secret with no local value gets a placeholder


class RenderSource(NamedTuple):
    """A prod source whose Kubernetes YAML a command prints (helm template, jsonnet, ...)."""

    command: tuple[str, ...]  # run without a shell, in the project folder
    inputs: tuple[
        str, ...
    ] = ()  # project-relative files/folders: the output is reused while they are unchanged
    select: Optional[str] = None  # the container to mirror, as after `#` in a path entry

    @property
    def entry(self) -> str:
        """How messages name it: the command as typed, with its selector."""
        return "render `" + " ".join(self.command) + "`" + (f"#{self.select}" if self.select else "")


class EnvSpec(NamedTuple):
    # source paths (project-relative), optional "#selector"; or a command rendering YAML
    prod: tuple[Union[str, RenderSource], ...] = ()
    secrets: Optional[str] = None  # project-relative path of the local secrets dotenv file
    profiles: tuple[Profile, ...] = ()
    default_profile: str = "dev"
    secret_keys: tuple[str, ...] = ()  # secret although no prod source says so (a compose .env's)
    # [env.targets]: name -> sources, `prod` among them when it has any; `prod` above holds the
    # sources of `target`, the one mirrored (see devenv.envvars.targets.for_target).
    targets: tuple[tuple[str, tuple[Union[str, RenderSource], ...]], ...] = ()
    target: str = "prod"


class Project(NamedTuple):
    name: str
    root: Path  # the folder holding devenv.toml
    config_file: Path
    registry: Optional[str] = None
    services: tuple[Service, ...] = ()
    volumes: tuple[VolumeDecl, ...] = ()
    env: EnvSpec = EnvSpec()
    stop_timeout_s: float = 1.0
    images: tuple[CatalogImage, ...] = ()  # [images.NAME] tables
    instance_per_worktree: bool = True  # a linked git worktree gets its own instance by default
    # config.includes' IncludeSpec and IncludedStack (Any here: that module builds on this one)
    include_specs: tuple[Any, ...] = ()  # [include.NAME] tables as written
    includes: tuple[Any, ...] = ()  # resolved (devenv.include.expand): their services are merged

    def included(self, name: str) -> Any:  # an IncludedStack
        for stack in self.includes:
            if stack.name == name:
                return stack
        raise KeyError(name)

    def service(self, name: str) -> Service:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)

    @property
    def service_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.services)
