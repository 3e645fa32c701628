"""Action selection by path rules, and one plan per batch."""

from __future__ import annotations

from devenv.config.model import WatchRule, WatchSpec
from devenv.watch.rules import RuleSet, RuleSync


def rules(action: str = "restart", **kw) -> RuleSet:
    return RuleSet(
        WatchSpec(
            action=action,
            rules=(
                WatchRule(("requirements.txt", "Dockerfile"), "rebuild"),
                WatchRule(("static/",), "sync"),
                WatchRule(("*.c",), "exec"),
                WatchRule(("*.md",), "none"),
                WatchRule(("static/config.json",), "restart-container"),  # shadowed: first match wins
            ),
            **kw,
        )
    )


def test_first_matching_rule_wins_else_the_spec_action():
    rs = rules()
    assert rs.action_for("requirements.txt") == "rebuild"
    assert rs.action_for("api/Dockerfile") == "rebuild"
    assert rs.action_for("static/config.json") == "sync"
    assert rs.action_for("src/main.c") == "exec"
    assert rs.action_for("README.md") == "none"
    assert rs.action_for("app/server.py") == "restart"
    assert RuleSet(WatchSpec(action="none")).action_for("x.py") == "none"


def test_single_action_plans():
    rs = rules()
    assert rs.plan(["app/server.py"]).steps == ("restart",)
    assert rs.plan(["README.md"]).steps == ()
    assert rs.plan(["README.md"]).action == "none"
    plan = rs.plan(["static/a.css"])
    assert (plan.action, plan.steps, plan.sync_paths) == ("sync", ("sync",), frozenset({"static/a.css"}))
    assert rs.plan(["src/main.c"]).steps == ("exec",)
    assert rules(restart_after_exec=True).plan(["src/main.c"]).steps == ("exec", "restart")
    assert rs.plan([]).steps == ()


def test_mixed_batch_takes_the_strongest_action():
    rs = rules()
    plan = rs.plan(["app/server.py", "requirements.txt", "static/a.css"])
    assert (plan.action, plan.steps) == ("rebuild", ("rebuild",))
    plan = rs.plan(["app/server.py", "static/a.css", "README.md"])
    assert (plan.action, plan.steps) == ("restart", ("sync", "restart"))
    assert plan.sync_paths == frozenset({"static/a.css"})
    plan = rs.plan(["src/main.c", "static/a.css"])
    assert plan.steps == ("sync", "exec")


def test_a_sync_service_copies_every_change_before_restarting():
    rs = RuleSet(
        WatchSpec(
            action="sync", rules=(WatchRule(("*.py",), "restart"), WatchRule(("Dockerfile",), "rebuild"))
        )
    )
    plan = rs.plan(["a.py", "b.css"])
    assert (plan.action, plan.steps) == ("restart", ("sync", "restart"))
    assert plan.sync_paths == frozenset({"a.py", "b.css"})
    plan = rs.plan(["a.py", "Dockerfile"])
    assert plan.steps == ("rebuild", "initial-sync")
    assert rs.plan(["b.css"]).steps == ("sync",)


def test_restart_container_beats_restart():
    rs = RuleSet(WatchSpec(rules=(WatchRule(("*.conf",), "restart-container"),)))
    assert rs.plan(["a.py", "nginx.conf"]).steps == ("restart-container",)


def compose_like(supervised: bool = True) -> RuleSet:
    """What `init --from` writes for a compose develop.watch block (see convert/compose_watch.py)."""
    return RuleSet(
        WatchSpec(
            action="none",
            exec=("make",),
            rules=(
                WatchRule(("/web/templates/*.html",), "sync+exec", "/srv/tpl", "web/templates", ("reload",)),
                WatchRule(("/web", "!/web/node_modules/"), "sync", "/src/web", "web", initial_sync=True),
                WatchRule(("/package.json",), "rebuild"),
                WatchRule(("/etc",), "sync+restart", "/etc/app", "etc"),
                WatchRule(("*.c",), "exec"),
            ),
        ),
        supervised=supervised,
    )


def test_a_rule_with_a_target_copies_into_its_own_folder():
    plan = compose_like().plan(["web/a.js", "web/b/c.js", "web/node_modules/x.js"])
    assert plan.steps == ("sync",) and plan.action == "sync"
    assert plan.sync_paths == frozenset()  # nothing for the service's own sync target
    assert plan.targeted == (RuleSync("web", "/src/web", frozenset({"web/a.js", "web/b/c.js"})),)
    assert compose_like().action_for("web/node_modules/x.js") == "none"  # excluded by the rule's `!`


def test_sync_restart_copies_then_restarts_in_place_or_the_container():
    plan = compose_like().plan(["etc/app.conf"])
    assert (plan.action, plan.steps) == ("sync+restart", ("sync", "restart"))
    assert plan.targeted == (RuleSync("etc", "/etc/app", frozenset({"etc/app.conf"})),)
    assert compose_like(supervised=False).plan(["etc/app.conf"]).steps == ("sync", "restart-container")


def test_sync_exec_runs_the_rules_own_command_after_the_copy():
    plan = compose_like().plan(["web/templates/index.html", "src/main.c"])
    assert plan.steps == ("sync", "exec")
    assert plan.execs == (("reload",), ("make",))  # rule order; the table's exec for a plain exec rule
    assert plan.targeted[0].source == "web/templates"


def test_a_rebuild_copies_the_initial_syncs_again():
    rs = compose_like()
    assert [r.source for r in rs.initial_syncs()] == ["web"]
    assert rs.plan(["package.json", "web/a.js"]).steps == ("rebuild", "initial-sync")
