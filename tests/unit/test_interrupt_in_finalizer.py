"""A Ctrl-C that lands while Python runs a finalizer (a garbage-collected HTTP pool closing, as
at the end of `devenv pull`) is not printed as "Exception ignored … Traceback" and lost: it is
delivered again to the main code, which unwinds as for any interrupt. Run in a subprocess: the
real signal, the real handler, the real garbage collection."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, signal, weakref
    from devenv import interrupts

    interrupts.install()

    class Pool:
        pass

    def close() -> None:  # the signal arrives while the finalizer runs
        os.kill(os.getpid(), signal.SIGINT)
        sum(range(200_000))

    pool = Pool()
    weakref.finalize(pool, close)
    try:
        del pool
        for _ in range(5_000_000):
            pass
        print("not interrupted")
    except KeyboardInterrupt:
        print("interrupted")
    """
)


def test_an_interrupt_landing_in_a_finalizer_reaches_the_main_code_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.stdout.strip() == "interrupted"


def test_other_unraisable_errors_are_still_reported() -> None:
    script = SCRIPT.replace("os.kill(os.getpid(), signal.SIGINT)", "raise ValueError('boom')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "ValueError: boom" in done.stderr and done.stdout.strip() == "not interrupted"
