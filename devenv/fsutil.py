"""Small file-system helpers shared by every module that writes a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Union


def atomic_write(path: Union[str, Path], data: Union[str, bytes], mode: int = 0o644) -> None:
    """Write `data` to `path` so readers see either the old or the new file, never half of one."""
    import tempfile  # here: most commands only read, and its import (shutil, random) is not free

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
