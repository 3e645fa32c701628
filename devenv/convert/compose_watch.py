"""compose `develop.watch` → a devenv `[services.NAME.watch]` table.

Each compose trigger becomes one rule: `path` an anchored project path (`/web`), `ignore` and
`include` (dockerignore patterns relative to `path`) exclusions (`!/web/node_modules/`) and the
rule's own globs, `target` and `initial_sync` as they are, `sync+restart` and `sync+exec` as the
devenv actions of the same names (the exec command as the rule's `exec`). Compose fires every
trigger whose path holds the file, devenv the first matching rule: deeper paths go first, so the
more specific trigger (e.g. `package.json` → rebuild inside `.` → sync) still wins. Changes
outside every trigger do nothing, as in compose (`action = "none"`).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from devenv.config.watch_actions import (
    NONE,
    REBUILD,
    RESTART,
    RESTART_CONTAINER,
    SYNC,
    SYNC_ACTIONS,
    SYNC_EXEC,
    SYNC_RESTART,
    WatchAction,
    runs_supervised,
)
from devenv.convert import compose_parts as parts
from devenv.convert.draft import Draft

ACTIONS: tuple[WatchAction, ...] = (SYNC, REBUILD, RESTART, SYNC_RESTART, SYNC_EXEC)  # compose's, devenv's too
_TRIGGER_KEYS = {"path", "action", "target", "ignore", "include", "initial_sync", "exec"}


def convert_watch(
    draft: Draft,
    svc: dict[str, Any],
    raw: Any,
    where: str,
    relative: Callable[[str], str],
) -> None:
    """Fill svc["watch"] from the `develop` mapping `raw` at `where` (services.NAME.develop).
    `relative` turns a path relative to the compose file into a project-relative one."""
    if not isinstance(raw, dict):
        draft.skip(where, f"expected a mapping, got {raw!r}")
        return
    for key in raw:
        if key != "watch":
            draft.skip(
                f"{where}.{key}", "not read by devenv" if str(key).startswith("x-") else "not a develop key"
            )
    triggers = raw.get("watch") or []
    if not isinstance(triggers, list):
        draft.skip(f"{where}.watch", f"expected a list of rules, got {triggers!r}")
        return
    rules: list[tuple[int, int, dict[str, Any]]] = []
    sources: list[str] = []
    for index, trigger in enumerate(triggers):
        here = f"{where}.watch[{index}]"
        rule = _rule(draft, svc, trigger, here, relative)
        if rule is None:
            continue
        rel = rule.pop("_rel")
        rules.append((-_depth(rel), index, rule))
        if rel not in sources:
            sources.append(rel)
    if not rules:
        return
    rules.sort(key=lambda item: item[:2])
    watch: dict[str, Any] = {}
    if "" not in sources:
        watch["paths"] = [s for s in sources if not any(s.startswith(o + "/") for o in sources)]
    watch["action"] = NONE
    watch["rules"] = [rule for _, _, rule in rules]
    svc["watch"] = watch
    restarts = [t for t in triggers if isinstance(t, dict) and t.get("action") in (RESTART, SYNC_RESTART)]
    if restarts and not _supervised(svc):
        draft.note(
            where,
            "compose restarts the container; devenv restarts the process in place when the service "
            "has a `command` (here it restarts the container: the image's own command runs)",
        )


def _depth(rel: str) -> int:
    return 0 if not rel else rel.count("/") + 1


def _rule(
    draft: Draft, svc: dict[str, Any], trigger: Any, here: str, relative: Callable[[str], str]
) -> Optional[dict[str, Any]]:
    if not isinstance(trigger, dict):
        draft.skip(here, f"expected a mapping with path and action, got {trigger!r}")
        return None
    action, path = trigger.get("action"), trigger.get("path")
    if action not in ACTIONS:
        draft.skip(f"{here}.action", f"{action!r} is not a compose watch action ({', '.join(ACTIONS)})")
        return None
    if not isinstance(path, str) or not path:
        draft.skip(f"{here}.path", "a watch rule needs a path")
        return None
    rel = relative(path)
    rel = "" if rel == "." else rel
    if rel.startswith(".."):
        draft.skip(f"{here}.path", f'"{path}" is outside the project; devenv watches only the project')
        return None
    for key in trigger:
        if key not in _TRIGGER_KEYS:
            draft.skip(f"{here}.{key}", "not a compose watch key")
    anchored = "/" + rel if rel else "**"
    base = rel + "/" if rel else ""
    includes = _patterns(trigger.get("include"), f"{here}.include", draft)
    ignores = _patterns(trigger.get("ignore"), f"{here}.ignore", draft)
    # `include` narrows the rule to its globs, `ignore` excludes (a `!` in either flips it).
    paths = [_flip(p, base, negate=False) for p in includes] if includes else [anchored]
    paths += [_flip(p, base, negate=True) for p in ignores]
    rule: dict[str, Any] = {"paths": paths, "action": _action(action, svc)}
    if action == REBUILD and "build" not in svc:
        draft.skip(f"{here}.action", "rebuild needs the service to build its image (it has no build)")
        return None
    if action in SYNC_ACTIONS:
        target = trigger.get("target")
        if not isinstance(target, str) or not target.startswith("/"):
            draft.skip(f"{here}.target", f"{action} needs an absolute container path as target")
            return None
        rule["target"] = target
        if paths != [anchored] or not rel:  # globs (or the whole project): say what target mirrors
            rule["source"] = rel or "."
        if trigger.get("initial_sync") is True:
            rule["initial_sync"] = True
    elif trigger.get("target") is not None:
        draft.note(f"{here}.target", f"not used by {action} (compose ignores it too)")
    if action == SYNC_EXEC:
        command = _exec(draft, svc, trigger.get("exec"), f"{here}.exec")
        if command is None:
            return None
        rule["exec"] = command
    rule["_rel"] = rel
    return rule


def _supervised(svc: dict[str, Any]) -> bool:
    return runs_supervised(svc.get("command"), svc.get("supervise", True))


def _action(action: WatchAction, svc: dict[str, Any]) -> WatchAction:
    if action == RESTART and not _supervised(svc):
        return RESTART_CONTAINER  # not supervised, so the container restarts (as compose)
    return action


def _flip(pattern: str, base: str, *, negate: bool) -> str:
    """A dockerignore pattern relative to the trigger's path, as an anchored rule path."""
    if pattern.startswith("!"):
        pattern, negate = pattern[1:], not negate
    return ("!" if negate else "") + f"/{base}{pattern}"


def _patterns(raw: Any, where: str, draft: Draft) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        text = parts.as_string(item).strip()
        negate = text.startswith("!")
        body = text[1:] if negate else text
        body = body.lstrip("/")
        body = body[2:] if body.startswith("./") else body
        if body:
            out.append(("!" if negate else "") + body)
        else:
            draft.skip(where, f"empty pattern {item!r}")
    return out


def _exec(draft: Draft, svc: dict[str, Any], raw: Any, where: str) -> Optional[list[str]]:
    if not isinstance(raw, dict) or raw.get("command") is None:
        draft.skip(where, "sync+exec needs exec.command")
        return None
    command = parts.command(raw["command"], f"{where}.command", draft)
    if command is None:
        return None
    if raw.get("user") is not None and parts.as_string(raw["user"]) != str(svc.get("user", "")):
        draft.skip(f"{where}.user", "devenv runs a watch command as the service's user")
    if raw.get("working_dir") is not None and str(raw["working_dir"]) != str(svc.get("workdir", "")):
        draft.skip(f"{where}.working_dir", "devenv runs a watch command in the service's workdir")
    if raw.get("privileged"):
        draft.skip(f"{where}.privileged", "devenv runs watch commands unprivileged")
    if raw.get("environment"):
        draft.skip(f"{where}.environment", "devenv runs a watch command with the service's env")
    for key in raw:
        if key not in ("command", "user", "working_dir", "privileged", "environment"):
            draft.skip(f"{where}.{key}", "not a compose exec key")
    return list(command)
