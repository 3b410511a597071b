"""Writing an export file so a reader never sees half of it: the content goes to a temporary
file beside the target, which replaces the target only once it is complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

#: Permissions of a new export file: what `open` would give under the process's umask
#: (mkstemp's 0600 would hide it from the user's group; 0644 would ignore a stricter umask).
_UMASK = os.umask(0o022)  # read once, at import, before any worker thread writes
os.umask(_UMASK)
NEW_FILE_MODE = 0o666 & ~_UMASK


def write_atomically(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
    """Call `writer(temporary_path)` to write the whole file, then rename it onto `path`.

    The temporary file lives in the target's folder (a rename across file systems is not
    atomic); on any exception it is removed and the target is left as it was. Returns the
    target path.
    """
    target = Path(path)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    temporary = Path(name)
    try:
        writer(temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        mode = target.stat().st_mode & 0o777 if target.exists() else NEW_FILE_MODE
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return target


def export_format(
    path: str | os.PathLike[str] | None,
    fmt: str | None,
    formats: tuple[str, ...],
    default: str,
) -> str:
    """The format of an export: `fmt` when given, else the suffix of `path` (`.markdown` is md),
    else `default` when there is no path. ValueError naming the problem: a format not in
    `formats`, a suffix that names none, a suffix that disagrees with `fmt`."""
    named = None
    if path is not None:
        suffix = Path(path).suffix.lower().lstrip(".")
        named = "md" if suffix == "markdown" else suffix
        if named not in formats:
            named = None
    if fmt is not None:
        fmt = fmt.strip().lower()
        if fmt not in formats:
            raise ValueError(f"--format: unknown format {fmt!r}: use {', '.join(formats)}")
        if path is not None and named is not None and named != fmt:
            raise ValueError(
                f"{Path(path).name} is a .{named} file name but --format is {fmt}: make them agree"
            )
        return fmt
    if named is not None:
        return named
    if path is not None:
        raise ValueError(
            f"{Path(path).name}: cannot tell the format from the name: add --format"
            f" ({', '.join(formats)})"
        )
    return default
