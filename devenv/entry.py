"""The console entry point. It installs a bare interrupt handler before anything heavy is
imported, so a Ctrl-C in the first fraction of a second exits 130 without a traceback;
`cli.app.main` then installs the real handling."""

from __future__ import annotations


def run() -> None:
    import os
    import signal

    def interrupted_early(signum: int, frame: object) -> None:
        os.write(2, b"\ninterrupted\n")
        os._exit(130)

    signal.signal(signal.SIGINT, interrupted_early)
    signal.signal(signal.SIGTERM, interrupted_early)
    from devenv.cli.app import main

    main()
