"""What a compose conversion keeps out of devenv.toml: secret values.

devenv.toml is committed; a compose project's secrets usually are not (a gitignored `.env`, an
env_file). A value that reaches `environment` from `.env` is moved to the local secrets file
(`.devenv/secrets.env`) and declared in `[env] secret_keys` when its name (or the variable's)
looks like a secret — password, secret, token, key, credentials — when it is a URL holding a
password, or when `.env` is gitignored; devenv.toml then refers to it as `${NAME}`. A value
written in the compose file itself moves the same way when its name looks like a secret; a URL
written there keeps its shape and only its password moves (`postgres://app:${POSTGRES_PASSWORD}@db`,
named after the variable that holds the same password, if one does). An env_file that is
gitignored is local too: its keys move the same way instead of becoming a prod source.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

from devenv.convert.draft import Draft
from devenv.convert.mounts import Mount

SECRETS_FILE = ".devenv/secrets.env"
_SEGMENTS = {
    "PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "SECRETS", "TOKEN", "KEY", "APIKEY",
    "CREDENTIAL", "CREDENTIALS", "AUTH", "PRIVATE", "SALT", "PASSPHRASE",
}  # fmt: skip
_INSIDE = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "PASSPHRASE")
_URL_PASSWORD = re.compile(r"://[^/\s:@]*:[^/\s@]+@")
_URL_PARTS = re.compile(r"(?P<head>.*?://[^/\s:@]*:)(?P<password>[^/\s@]+)(?P<tail>@.*)", re.S)
_ONE_REFERENCE = re.compile(r"\$\{?([_a-zA-Z][_a-zA-Z0-9]*)(?:[:?+-][^}]*)?\}?")


def secret_like(name: str) -> bool:
    """A name that says it holds a secret: DB_PASSWORD, API_KEY, GITHUB_TOKEN, MYSQLPASSWORD."""
    upper = name.upper()
    return bool(set(re.split(r"[^A-Z0-9]+", upper)) & _SEGMENTS) or any(w in upper for w in _INSIDE)


def holds_credentials(value: str) -> bool:
    """A URL with a password in it (postgres://user:pw@host/db)."""
    return bool(_URL_PASSWORD.search(value))


def toml_literal(value: str) -> str:
    """A value written into devenv.toml `environment`, where `${NAME}` refers to the layered env
    and `$$` is a `$`: a `$` that would start one of those is doubled."""
    return re.sub(r"\$(?=[{$])", "$$", value)


def gitignored(root: Path, rel_path: str) -> bool:
    """Whether the project's .gitignore files (nested ones too) ignore `rel_path`."""
    from devenv.watch.ignore import IgnoreMatcher  # lazy: pathspec loads only for conversions

    matcher = IgnoreMatcher(root, (), use_dockerignore=False, include_ignored=True)
    return matcher.ignored(rel_path, is_dir=False)


class SecretMover:
    """Decides, value by value, what goes to the local secrets file instead of devenv.toml."""

    def __init__(self, draft: Draft, dotenv: dict[str, str], dotenv_label: str, dotenv_ignored: bool):
        self.draft = draft
        self.dotenv = dotenv
        self.label = dotenv_label
        self.ignored = dotenv_ignored
        # value -> the secret-looking key that holds it in the compose file, so a URL written
        # before that key (another service) still refers to it by name
        self.written: dict[str, str] = {}
        self.file_label = draft.source_label

    def learn_written(self, environments: list[Any]) -> None:
        """Note the literal secret-looking values of every service's `environment`, first wins."""
        for env in environments:
            items = env.items() if isinstance(env, dict) else (str(e).partition("=")[::2] for e in env or ())
            for key, value in items:
                if isinstance(value, (str, int)) and "$" not in str(value) and str(value) and secret_like(str(key)):
                    self.written.setdefault(str(value), str(key))

    def environment_entry(self, key: str, raw: str, where: str) -> str:
        """An `environment` value: interpolated from `.env` as compose does, unless it is a
        secret, which goes to the local secrets file and is referred to as `${NAME}`."""
        from devenv.envvars.interpolate import InterpolationError, interpolate

        used: list[str] = []
        unset: list[str] = []

        def lookup(name: str) -> Optional[str]:
            used.append(name)
            return self.dotenv.get(name)

        try:
            value = interpolate(raw, lookup, unset)
        except InterpolationError as err:
            self.draft.skip(where, f"{err}; kept as written")
            return toml_literal(raw)
        if unset:
            self.draft.skip(
                where,
                f"${{{unset[0]}}} is not set in .env; compose would take it from the shell — "
                "set it in devenv.toml or in the [env] secrets file",
            )
        return self.environment_value(key, raw, value, used, where)

    def interpolated(self, raw: str) -> Optional[str]:
        """`raw` interpolated from `.env` as compose does; None when it cannot be."""
        from devenv.envvars.interpolate import InterpolationError, interpolate

        unset: list[str] = []
        try:
            value = interpolate(raw, self.dotenv.get, unset)
        except InterpolationError:
            return None
        return None if unset else value

    def keep_whole(self, key: str, raw: str, where: str, why: str) -> None:
        """Move the whole value of `key` to the secrets file (as it is interpolated from `.env`)."""
        value = self.interpolated(raw)
        if value is None:
            self.draft.skip(where, f"{why}, but its value cannot be read here ({raw!r}): put it in {SECRETS_FILE}")
            return
        self.keep(key, value, where, f"{why}; compose's value is the local one", referred=False)

    def environment_value(self, key: str, raw: str, value: str, used: list[str], where: str) -> str:
        """The devenv.toml value for `key` (`raw` as compose wrote it, `value` interpolated from
        `.env`, `used` the names it read): the literal, or `${NAME}` when it is a secret."""
        from_env = [n for n in dict.fromkeys(used) if n in self.dotenv]
        if not from_env and "$" not in raw:
            return self.written_value(key, value, where)
        if not from_env or not (
            self.ignored
            or secret_like(key)
            or any(secret_like(n) or holds_credentials(self.dotenv[n]) for n in from_env)
            or holds_credentials(value)
        ):
            return toml_literal(value)
        whole = _ONE_REFERENCE.fullmatch(raw.strip())
        name = whole.group(1) if whole and whole.group(1) in self.dotenv else key
        why = f"{self.label} is gitignored" if self.ignored else "it looks like a secret"
        self.keep(name, value, where, f"its value comes from {self.label} ({', '.join(from_env)}) and {why}")
        return "${" + name + "}"

    def written_value(self, key: str, value: str, where: str) -> str:
        """A value written in the compose file: a secret-looking key's moves whole; a URL's
        password moves alone, the URL stays readable around `${NAME}`."""
        if not value:
            return value
        if secret_like(key):
            name = self._free(key, value)
            self.keep(name, value, where, f"{key} is written in {self.file_label} and looks like a secret")
            return "${" + name + "}"
        parts = _URL_PARTS.fullmatch(value)
        if parts is None:
            return toml_literal(value)
        password = parts["password"]
        name = self._free(self.written.get(password, f"{key}_PASSWORD"), password)
        self.keep(name, password, where, f"the URL in {key} carries a password in {self.file_label}")
        return toml_literal(parts["head"]) + "${" + name + "}" + toml_literal(parts["tail"])

    def _free(self, name: str, value: str) -> str:
        """`name`, unless it already holds another value: then NAME_2, NAME_3..."""
        candidate, n = name, 1
        while self.draft.secrets.get(candidate, value) != value:
            n += 1
            candidate = f"{name}_{n}"
        return candidate

    def keep(self, name: str, value: str, where: str, why: str, *, referred: bool = True) -> None:
        """Move `value` to the secrets file under `name` and declare `name` secret (`referred`:
        devenv.toml names it as `${NAME}`; else the layered env alone gives it)."""
        known = self.draft.secrets.get(name)
        if known is not None:
            if known != value:
                self.draft.note(where, f"{name} has two different values; {SECRETS_FILE} keeps the first")
            return
        self.draft.secrets[name] = value
        if name not in self.draft.secret_keys:
            self.draft.secret_keys.append(name)
        self.draft.note(
            where,
            f"{why}: moved to {SECRETS_FILE} (gitignored) and declared in [env] secret_keys; "
            + (f'devenv.toml refers to it as "${{{name}}}"' if referred else "the service receives it from [env] prod"),
        )


def env_file_secrets(mover: SecretMover, root: Path, path: str, entries: dict[str, str], where: str) -> bool:
    """An env_file's values: True when the whole file is local (gitignored: every key moves to
    the secrets file and it is no prod source), else its secret-looking keys move (declared secret,
    the file stays a prod source)."""
    if gitignored(root, path):
        for key, value in entries.items():
            mover.keep(key, value, where, f"{path} is gitignored, so its {key} is local")
        return True
    for key, value in entries.items():
        if secret_like(key) or holds_credentials(value):
            mover.keep(key, value, where, f"{path} sets {key}, which looks like a secret")
    return False


def secret_mounts(draft: Draft, declared: dict[str, Any], raw: Any, where: str) -> list[tuple[str, Mount]]:
    """A service's compose `secrets:`: the file-based ones as read-only mounts at /run/secrets/…
    (or the long form's `target`); the others named as not converted."""
    out: list[tuple[str, Mount]] = []
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        spec = entry if isinstance(entry, dict) else {"source": entry}
        name = str(spec.get("source", ""))
        target = str(spec.get("target") or name)
        target = target if target.startswith("/") else f"/run/secrets/{target}"
        source = declared.get(name)
        here = f"{where}[{i}]"
        if not isinstance(source, dict):
            draft.skip(here, f'secret "{name}" is not declared under top-level secrets')
        elif source.get("file"):
            out.append((here, Mount("bind", str(source["file"]), target, True)))
            for key in spec:
                if key in ("uid", "gid", "mode"):
                    draft.skip(f"{here}.{key}", "the file is mounted as it is on the host")
        elif source.get("environment"):
            draft.skip(
                here,
                f"comes from the variable {source['environment']} of the shell running compose: "
                "put the value in a file and mount it with `data`",
            )
        else:
            draft.skip(
                here, "an external secret lives in the cluster's store; mount a local file with `data`"
            )
    return out
