"""Atomic output: write to a temporary file in the destination folder, then ``os.replace``.

An exception (or a kill) while writing leaves no partial file at the destination and any
previous output untouched: the destination only ever holds a complete old or new file.
The temporary file is flushed to disk (``fsync``) before the rename and the folder after
it, so that a power loss right after a write cannot leave an empty or truncated file under
the destination's name (journaling file systems may otherwise reorder the two).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from steppe_geo._typing import PathLike
from steppe_geo.errors import OutputExistsError, OutputNotWritableError

__all__ = ["atomic_path", "check_output_path", "is_no_space", "no_space_error"]

TEMP_PREFIX = ".steppe_geo-tmp-"
NEARLY_FULL_BYTES = 1 << 20
"""A write error from GDAL on a file system with less free space than this (1 MiB) is a full disk.

GDAL reports a full disk as ``RasterioIOError("Write failed")`` chained to a
``CPLE_AppDefinedError("Write error at scanline ...")``, without the ``ENOSPC`` errno."""
_OGR_ERRORS = {"DataSourceError", "DataLayerError", "FieldError", "GeometryError"}  # pyogrio
_NO_SPACE_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _free_bytes(folder: Path) -> int | None:
    for p in (folder, *folder.parents):
        try:
            return shutil.disk_usage(p).free
        except OSError:
            continue
    return None


def is_no_space(exc: BaseException, folder: PathLike) -> bool:
    """Whether an error raised while writing into ``folder`` means the file system is full.

    Parameters
    ----------
    exc : BaseException
        The error (its ``__cause__`` / ``__context__`` chain is searched).
    folder : path
        The folder being written.

    Returns
    -------
    bool
        True for ``ENOSPC`` / ``EDQUOT`` anywhere in the chain, a "No space left on device"
        message, or an I/O error (GDAL's ``Write failed``) while the folder's file system has
        less than :data:`NEARLY_FULL_BYTES` free.

    Examples
    --------
    >>> is_no_space(OSError(28, "No space left on device"), ".")
    True
    >>> is_no_space(ValueError("bad value"), ".")
    False
    """
    chain: list[BaseException] = []
    c: BaseException | None = exc
    while c is not None and c not in chain and len(chain) < 20:
        chain.append(c)
        c = c.__cause__ or c.__context__
    for c in chain:
        if isinstance(c, OSError) and c.errno in _NO_SPACE_ERRNOS:
            return True
        if "no space left on device" in str(c).lower() or "disk quota exceeded" in str(c).lower():
            return True
    io_error = any(isinstance(c, OSError) or type(c).__name__.startswith("CPLE_")
                   or type(c).__name__ in _OGR_ERRORS for c in chain)
    if not io_error:
        return False
    free = _free_bytes(Path(folder))
    return free is not None and free < NEARLY_FULL_BYTES


def no_space_error(path: PathLike, exc: BaseException | None = None) -> OutputNotWritableError:
    """The error for a write into a full file system: names ``path`` and the free space left.

    Parameters
    ----------
    path : path
        The output file or folder being written.
    exc : BaseException, optional
        The underlying error (its first line is quoted).

    Returns
    -------
    OutputNotWritableError
    """
    p = Path(path)
    free = _free_bytes(p if p.is_dir() else p.parent)
    left = "unknown" if free is None else f"{free / 2**20:.2f} MiB ({free} bytes)"
    cause = f" ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})" if exc is not None else ""
    return OutputNotWritableError(
        f"no space left to write {str(p)!r}: free space on its file system is {left}{cause}; "
        "free some space or choose an output folder on another disk"
    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_output_path(
    path: PathLike, *, overwrite: bool = False, protected: Iterable[PathLike] | None = None
) -> Path:
    """Validate an output path and return it as a ``Path``; create its folder.

    Parameters
    ----------
    path : str or os.PathLike
        Intended output file.
    overwrite : bool, default False
        Whether an existing file at ``path`` may be replaced.
    protected : iterable of str or os.PathLike, optional
        The run's inputs: ``path`` may never be one of them, whatever ``overwrite`` says
        (compared after resolving symbolic links and ``..``, and by file identity).

    Returns
    -------
    pathlib.Path
        ``path``, whose parent folder now exists.

    Raises
    ------
    OutputExistsError
        ``path`` is one of the ``protected`` inputs (always refused), is a folder, or exists
        and ``overwrite`` is False.
    OutputNotWritableError
        The destination folder cannot be created.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_path(folder / "maps" / "wind.png").parent.is_dir()
    True
    >>> dem = folder / "dem.tif"
    >>> _ = dem.write_bytes(b"input")
    >>> check_output_path(folder / "maps" / ".." / "dem.tif", overwrite=True, protected=[dem])
    Traceback (most recent call last):
    ...
    steppe_geo.errors.OutputExistsError: refusing to write '...dem.tif': it is one of this run's
    inputs; choose another output path
    """
    dest = Path(path)
    for p in protected or ():
        if _same_file(dest, Path(p)):
            raise OutputExistsError(
                f"refusing to write {str(dest)!r}: it is one of this run's inputs; "
                "choose another output path"
            )
    if dest.is_dir():
        raise OutputExistsError(f"output path {str(dest)!r} is a directory")
    if dest.exists() and not overwrite:
        raise OutputExistsError(
            f"output {str(dest)!r} exists already; pass overwrite=True to replace it"
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputNotWritableError(
            f"cannot create output folder {str(dest.parent)!r}: {exc.strerror or exc}"
        ) from None
    return dest


@contextlib.contextmanager
def atomic_path(
    path: PathLike,
    *,
    overwrite: bool = False,
    protected: Iterable[PathLike] | None = None,
    suffix: str | None = None,
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on clean exit rename it onto ``path``.

    The temporary file is in the destination folder (same file system, so the rename is
    atomic) and is named ``.steppe_geo-tmp-*`` with the destination's suffix, so format
    drivers that look at the suffix still work. On an exception it is removed and the
    destination is untouched.

    Parameters
    ----------
    path : str or os.PathLike
        Final destination.
    overwrite : bool, default False
        Replace an existing file at ``path``.
    protected : iterable of str or os.PathLike, optional
        Paths that must never be written (the run's inputs).
    suffix : str, optional
        Suffix of the temporary file (default: the destination's full suffix).

    Yields
    ------
    pathlib.Path
        The temporary path to write (it does not exist yet).

    Raises
    ------
    OutputExistsError, OutputNotWritableError
        As :func:`check_output_path`; also when the writer produced no file, or another
        process created ``path`` meanwhile (without ``overwrite``). A writer's error on a full
        file system becomes an ``OutputNotWritableError`` naming ``path`` and the free space.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> dest = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_path(dest) as tmp:
    ...     _ = tmp.write_text("a,b")
    ...     dest.exists()  # nothing at the destination until the block ends
    False
    >>> dest.read_text()
    'a,b'
    """
    dest = check_output_path(path, overwrite=overwrite, protected=protected)
    sfx = suffix if suffix is not None else "".join(dest.suffixes[-2:]) or dest.suffix
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=sfx, dir=dest.parent)
    except OSError as exc:
        raise OutputNotWritableError(
            f"cannot write in output folder {str(dest.parent)!r}: {exc.strerror or exc}"
        ) from None
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # let the writer create it (some GDAL drivers refuse an existing file)
    try:
        try:
            yield tmp
            if not tmp.exists():
                raise OutputNotWritableError(f"writer produced no file for {str(dest)!r}")
            if dest.exists() and not overwrite:  # appeared while we were writing
                raise OutputExistsError(
                    f"output {str(dest)!r} appeared while writing; pass overwrite=True to replace it"
                )
            _fsync_file(tmp)
            os.replace(tmp, dest)
            _fsync_dir(dest.parent)
        except (OSError, RuntimeError, ValueError) as exc:  # GDAL / OGR errors on a full disk
            ours = isinstance(exc, OutputNotWritableError | OutputExistsError)
            if not ours and is_no_space(exc, dest.parent):
                raise no_space_error(dest, exc) from exc
            raise
    finally:
        _remove_quietly(tmp)


def _fsync_file(path: Path) -> None:
    """Flush a file's data to disk (Windows needs a writable handle for that)."""
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    """Flush a folder's entries (the rename) to disk, where the platform allows it."""
    if os.name == "nt":  # directories cannot be opened (nor need to be) on Windows
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems (network mounts) refuse fsync on a directory
        pass
    finally:
        os.close(fd)


def _remove_quietly(tmp: Path) -> None:
    # sidecars such as .aux.xml (GDAL) or -journal / -wal (SQLite, GeoPackage)
    for p in [tmp, *tmp.parent.glob(tmp.name + ".*"), *tmp.parent.glob(tmp.name + "-*")]:
        with contextlib.suppress(OSError):
            p.unlink()
