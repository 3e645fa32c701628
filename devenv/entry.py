"""The console entry point. It installs the interrupt handling (`devenv.interrupts`) before
anything heavy is imported, so a Ctrl-C in the first fraction of a second exits 130 without a
traceback too."""

from __future__ import annotations


def _interrupted() -> None:
    import os  # loaded by the interpreter's own start: no new window here

    os.write(2, b"\ninterrupted\n")
    os._exit(130)


def run() -> None:
    try:  # until our handler is in place, Python's default one raises KeyboardInterrupt
        import os
        import sys

        from devenv import interrupts

        interrupts.install()
        from devenv.cli.app import main
    except KeyboardInterrupt:  # from either handler: nothing has started, nothing to unwind
        _interrupted()
    try:
        main()
    except KeyboardInterrupt:  # one that lands after the command's own handling, while exiting
        _interrupted()
    except SystemExit as done:
        # Leave at once: a Ctrl-C during the interpreter's own shutdown would otherwise kill the
        # process by signal (status -2 instead of the command's code). Everything is unwound.
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, (int, type(None))):
            sys.stderr.write(f"{done.code}\n")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
