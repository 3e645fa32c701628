"""Small file-system helpers shared by every module that reads a project file or writes one.

Reading: a file in a cloned repository is untrusted. It may be a symbolic link to anything
(`/proc/self/environ`), a FIFO that never ends, huge, or not UTF-8: every reader here takes
regular files only, up to a size limit, and raises one ConfigError line naming the file and
the fix; content appears in a message only as a short escaped excerpt.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path, PurePosixPath
from typing import Optional, Union

from devenv.errors import ConfigError

TEXT_LIMIT = 16 * 1024 * 1024  # a config, env or lock file; far beyond any real one


def excerpt(data: Union[str, bytes], length: int = 40) -> str:
    """Untrusted content quoted in a message: its first characters, escaped, on one line."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return repr(text[:length]) + ("..." if len(text) > length else "")


def decode_text(raw: bytes, label: str) -> str:
    """`raw` as UTF-8; else one line naming the file, the line and the byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"{label}:{line}: not UTF-8 text (byte 0x{raw[err.start]:02x})", "save the file as UTF-8"
        ) from None


def read_text(path: Union[str, Path], label: Optional[str] = None, *, limit: int = TEXT_LIMIT) -> str:
    """A regular file's text (symbolic links followed). FileNotFoundError when there is none;
    ConfigError when it cannot be read, is no regular file, exceeds `limit` or is not UTF-8."""
    shown = label or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not block
    except OSError as err:
        raise _open_error(err, shown) from None
    return decode_text(_read_fd(fd, shown, limit), shown)


def read_project_file(root: Path, rel: str, *, limit: int, label: Optional[str] = None) -> Optional[str]:
    """A small state file under `root` (`.devenv/instance`), read without following any
    symbolic link on the way: a committed link could point anywhere. None when it does not exist."""
    shown = label or str(root / rel)
    parts = PurePosixPath(rel).parts
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise _open_error(err, str(root)) from None
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            flags = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_RDONLY | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            try:
                inner = os.open(part, flags, dir_fd=fd)
            except OSError as err:
                if _is_link(fd, part):
                    link = root.joinpath(*parts[: index + 1])
                    reading = "" if last else f" to read {shown}"
                    raise ConfigError(
                        f"{link} is a symbolic link: devenv does not follow it{reading} "
                        "(a link that comes with a folder could point anywhere, e.g. at /proc/self/environ)",
                        f"replace it with a plain {'file' if last else 'folder'}, or remove it",
                    ) from None
                if err.errno in (errno.ENOENT, errno.ENOTDIR):
                    return None
                raise _open_error(err, shown) from None
            os.close(fd)
            fd = inner
        file_fd, fd = fd, -1
    finally:
        if fd >= 0:
            os.close(fd)
    return decode_text(_read_fd(file_fd, shown, limit), shown)


def inside(root: Path, rel: str, doing: str) -> Path:
    """`root / rel`, checked to stay in the project folder once every symbolic link on the way is
    followed (a cloned `.devenv -> /home/you/.ssh` must not be written through); else one line
    naming the link."""
    top = root.resolve()
    path = root / rel
    resolved = path.resolve()
    if resolved == top or top in resolved.parents:
        return path
    parts = PurePosixPath(rel).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    link = next((p for p in prefixes if (root / p).is_symlink()), rel)
    kind = "file" if link == rel else "folder"
    raise ConfigError(
        f"{link} leads outside the project (to {resolved}): {doing} does not write there",
        f"replace {link} with a plain {kind} in the project, or remove it",
    )


def _is_link(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def _open_error(err: OSError, shown: str) -> Exception:
    if isinstance(err, (FileNotFoundError, NotADirectoryError)):
        return FileNotFoundError(err.errno, err.strerror, shown)
    return ConfigError(f"{shown}: cannot be read ({err.strerror})", "check the file's permissions")


def _read_fd(fd: int, shown: str, limit: int) -> bytes:
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"{shown}: not a regular file", "replace it with a plain text file")
        try:
            data = handle.read(limit + 1)
        except OSError as err:
            raise ConfigError(f"{shown}: cannot be read ({err.strerror})", "check the file") from None
    if len(data) > limit:
        raise ConfigError(
            f"{shown}: larger than {_size(limit)}, too large for what it holds",
            "check what the file is (it should be a small text file)",
        )
    return data


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


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


def replace_files(
    folder: Path,
    files: Mapping[str, str],
    *,
    hold: Callable[[], AbstractContextManager[object]] = nullcontext,
    mode: int = 0o644,
) -> list[Path]:
    """Write `files` (name -> text) into `folder` as a whole: each is written complete into a
    temporary folder beside them first, then all are renamed into place inside `hold()` (the
    caller's way to hold interrupts back); a rename that fails puts the files already renamed
    back as they were. OSError when the folder cannot be written (nothing is changed then)."""
    import shutil
    import tempfile

    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".devenv-export-", dir=folder))
    try:
        (staging / "new").mkdir()
        (staging / "old").mkdir()
        for name, text in files.items():
            _write_complete(staging / "new" / name, text.encode(), mode)
        for name in files:  # the files replaced, kept until every new one is in place
            if (folder / name).exists():
                try:
                    os.link(folder / name, staging / "old" / name)
                except OSError:  # a file system without hard links
                    shutil.copy2(folder / name, staging / "old" / name)
        with hold():
            done: list[str] = []
            try:
                for name in files:
                    os.replace(staging / "new" / name, folder / name)
                    done.append(name)
            except BaseException:
                for name in reversed(done):
                    if (staging / "old" / name).exists():
                        os.replace(staging / "old" / name, folder / name)
                    else:
                        os.unlink(folder / name)
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [folder / name for name in files]


def _write_complete(path: Path, raw: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, mode)  # whatever the umask took away
