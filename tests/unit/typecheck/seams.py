"""Read by mypy in test_typed_seams.py, never run. A line ending `# E: code` must be reported with
that code, and no other line may be: the seams (the lazy `devenv.envvars` names, the commands'
AppContext) stay typed for the checker."""

import devenv.envvars
from devenv.cli.context import AppContext, app_of, pass_app
from devenv.envvars import LayeredEnv, Redactor, resolve_env

layered: LayeredEnv = 3  # E: assignment
masked: int = Redactor(set()).redact("text")  # E: assignment
resolved: int = resolve_env  # E: assignment
unknown = devenv.envvars.no_such_name  # E: attr-defined


@pass_app
def command(app: AppContext, name: str) -> int:
    app.output.line(name)
    app.output.no_such_method()  # E: attr-defined
    return app.project()  # E: return-value


@pass_app  # E: arg-type
def miswired(app: int) -> None:
    pass


def completion(ctx: object) -> None:
    app_of(ctx).output.line("x")  # E: arg-type


command(1)  # E: arg-type
