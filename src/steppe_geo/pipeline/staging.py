"""The output folder of a run: claimed by a lock, staged in a hidden folder, swapped into place.

A run stopped by Ctrl-C (SIGINT) or by SIGTERM (``kill``, a batch scheduler's time limit, a
container stop) unwinds like any error: the staging folder is removed, the lock released and no
output folder appears (:func:`interrupt_on_signals`). Only SIGKILL cannot be caught; it leaves
the hidden staging folder behind (never a half-written output folder), and the next run for the
same folder removes it once its owner process is gone.

The sequence for an output folder ``out`` in folder ``parent`` (see :func:`staged_output_dir`):

1. ``parent/.out.lock`` is locked (``fcntl.flock``, exclusive, non-blocking; ``msvcrt.locking``
   on Windows) for the whole run and records the run's pid, host, start time and command. A
   second run for the same folder fails at once with :class:`~steppe_geo.errors.OutputLockedError`
   naming the first; the operating system releases the lock when a process dies, even by SIGKILL.
2. Holding the lock: leftovers of killed runs for ``out`` whose owner process is gone are removed
   (a complete previous output that a crash left in a hidden ``old`` folder is first put back).
3. ``parent/.steppe_geo-tmp-out-<token>.owner`` (pid, host, process start time) is written, then
   the staging folder ``parent/.steppe_geo-tmp-out-<token>`` is created; the run writes into it.
4. On success, ``overwrite`` is checked again (a folder that appeared meanwhile is kept, and the
   run fails). Without an existing ``out``: one ``rename(stage, out)``. With one: on Linux the two
   folders are exchanged in one atomic ``renameat2(RENAME_EXCHANGE)`` and the old content (now in
   the staging folder) is removed; elsewhere ``rename(out, old)`` then ``rename(stage, out)`` —
   a crash between the two leaves the complete old output in ``old``, which step 2 of the next
   run renames back. At every moment ``out`` is absent, the complete old or the complete new folder.
5. The owner file and the lock file are removed, the lock released.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import errno
import json
import logging
import os
import re
import shutil
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

from steppe_geo._typing import PathLike
from steppe_geo.errors import (
    OutputExistsError,
    OutputLockedError,
    OutputNotWritableError,
    SteppeGeoError,
)
from steppe_geo.io.atomic import is_no_space, no_space_error
from steppe_geo.io.remote import is_remote

STAGE_PREFIX = ".steppe_geo-tmp-"
"""Prefix of the hidden staging folders (and their ``.owner`` records) beside an output folder."""
LOCK_SUFFIX = ".lock"
"""An output folder ``out`` is claimed by the lock file ``.out.lock`` in the same folder."""

log = logging.getLogger(__name__)


class RunTerminated(KeyboardInterrupt):
    """Raised in a run when the process receives SIGTERM (handled like Ctrl-C).

    A :class:`KeyboardInterrupt`, so that everything that cleans up after Ctrl-C (the staging
    folder, a local Dask cluster) does so for SIGTERM too; the command line exits with 143
    (128 + SIGTERM) instead of 130.
    """


_SIGNALS_RECEIVED: list[int] = []
"""Signals that interrupted a run in this process (read by :func:`interrupted_by_signal`)."""


def interrupted_by_signal() -> bool:
    """Whether a run in this process has been interrupted by SIGINT or SIGTERM.

    The signal is raised as an exception wherever the main thread happens to be, possibly
    inside a dependency's constructor; such a half-built object can complain from its
    ``__del__`` later. The command line uses this to keep those complaints out of its output.

    Examples
    --------
    >>> interrupted_by_signal()
    False
    """
    return bool(_SIGNALS_RECEIVED)


@contextlib.contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """Within the block, SIGINT raises :class:`KeyboardInterrupt` and SIGTERM :class:`RunTerminated`.

    The block unwinds through its ``finally`` clauses and context managers (staging folder
    removed, cluster closed). A second signal while that cleanup runs is ignored (logged), so that
    cleanup completes. The previous handlers are restored on exit. Outside the main thread
    (where Python cannot install signal handlers) the block runs unchanged.

    Examples
    --------
    >>> with interrupt_on_signals():
    ...     pass
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if received:  # already unwinding: let the cleanup finish
            log.warning("signal %s ignored: still removing the partial outputs", signal.Signals(signum).name)
            return
        received.append(signum)
        _SIGNALS_RECEIVED.append(signum)
        if signum == signal.SIGTERM:
            raise RunTerminated(f"terminated by {signal.Signals(signum).name}")
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# ----------------------------------------------------------------------------- output folder
def _check_no_inputs_inside(out: Path, inputs: Mapping[str, Path | str]) -> None:
    out_r = out.resolve()
    for name, p in inputs.items():
        if is_remote(p):  # a URL is in no local folder
            continue
        try:
            Path(p).resolve().relative_to(out_r)
        except ValueError:
            continue
        raise OutputExistsError(
            f"refusing to use output folder {str(out)!r}: it holds input {name!r} ({str(p)!r}); "
            "choose another output folder"
        )

# ----------------------------------------------------------------------------- lock
def lock_path(out_dir: PathLike) -> Path:
    """The lock file claiming an output folder: ``.<name>.lock`` beside it.

    Parameters
    ----------
    out_dir : path
        Output folder.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> lock_path("results/wind").as_posix()
    'results/.wind.lock'
    """
    out = Path(out_dir)
    return out.parent / f".{out.name}{LOCK_SUFFIX}"


def _process_start(pid: int) -> float | None:
    """Start time of process ``pid`` (seconds since the epoch), None if there is no such process."""
    try:
        return round(psutil.Process(pid).create_time(), 2)
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.Error:  # access denied: it exists; its start time is unknown
        return -1.0


def _owner_record() -> dict[str, Any]:
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "process_start": _process_start(pid),
            "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": " ".join(sys.argv)[:500]}


def owner_alive(record: Mapping[str, Any]) -> bool | None:
    """Whether the process an owner record names still runs; None when it cannot be told.

    Parameters
    ----------
    record : mapping
        ``pid``, ``host`` and ``process_start`` (seconds since the epoch, from psutil) of a run.

    Returns
    -------
    bool or None
        False when the host is this one and no process ``pid`` exists, or one exists that started
        at another time (the pid was reused); True when it runs; None for another host or an
        incomplete record (a folder of another machine on a shared disk is never touched).
    """
    try:
        pid = int(record["pid"])
        host = str(record["host"])
    except (KeyError, TypeError, ValueError):
        return None
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    start = _process_start(pid)
    if start is None:
        return False
    want = record.get("process_start")
    if start < 0 or want is None or float(want) < 0:  # a start time unknown on either side
        return True
    return abs(start - float(want)) < 1.0


def _describe_owner(text: str) -> str:
    try:
        rec = json.loads(text)
        return (f"pid {rec['pid']} on host {rec['host']}, started {rec['started']}"
                + (f": {rec['command']}" if rec.get("command") else ""))
    except (ValueError, KeyError, TypeError):
        return "details not recorded yet"


def _try_lock(fd: int) -> bool:
    """Lock an open file exclusively without waiting; False if another process holds it."""
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]  # Windows only: no stubs here
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def output_lock(out_dir: PathLike) -> Iterator[Path]:
    """Claim an output folder for the duration of the block (an OS-level lock on ``.<name>.lock``).

    The lock file records this run (pid, host, start time, command) and is removed at the end;
    the operating system releases the lock if the process dies, even by SIGKILL.

    Parameters
    ----------
    out_dir : path
        Output folder (its parent must exist).

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    OutputLockedError
        Another process holds the lock: the message names the folder and that run.
    OutputNotWritableError
        The lock file cannot be created (the parent folder is read-only, ...).
    """
    out = Path(out_dir)
    path = lock_path(out)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputNotWritableError(
                f"cannot write output folder {str(out)!r}: cannot create its lock file {str(path)!r}: "
                f"{exc.strerror or exc}; choose a writable folder"
            ) from None
        if not _try_lock(fd):
            try:
                other = os.read(fd, 4096).decode("utf-8", "replace")
            except OSError:  # Windows: the locked region cannot be read
                other = ""
            finally:
                os.close(fd)
            raise OutputLockedError(
                f"output folder {str(out)!r} is being written by another run ({_describe_owner(other)}); "
                f"nothing was changed. Wait for that run to finish, or choose another folder "
                f"(lock file {str(path)!r})"
            )
        try:  # the holder before us may have removed the file we opened: lock the current one
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_owner_record()).encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # while still holding the lock (see the inode check above)
        os.close(fd)


# ----------------------------------------------------------------------------- staging folder
def _stage_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(STAGE_PREFIX)}(old-)?{re.escape(name)}-([0-9a-f]{{12}})(\.owner)?$")


def _read_owner(owner: Path) -> dict[str, Any] | None:
    try:
        return json.loads(owner.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def clean_stale_stages(out_dir: PathLike) -> list[Path]:
    """Remove what killed runs left beside ``out_dir``, when their owner process is gone.

    Call it only while holding the folder's lock (:func:`output_lock`). A staging folder
    ``.steppe_geo-tmp-<name>-<token>`` is removed when its ``.owner`` record names a process of
    this host that no longer runs (pid gone, or reused by a process that started at another
    time). A hidden ``old`` folder (a complete previous output, moved aside for a swap the crash
    interrupted) is renamed back to ``out_dir`` when ``out_dir`` is missing, else removed.
    Folders without a readable record, or of another host, are left alone (logged).

    Parameters
    ----------
    out_dir : path
        Output folder.

    Returns
    -------
    list of pathlib.Path
        What was removed or restored.
    """
    out = Path(out_dir)
    parent = out.absolute().parent
    pattern = _stage_pattern(out.name)
    done: list[Path] = []
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return done
    for p in entries:
        m = pattern.match(p.name)
        if not m or m.group(3):
            continue
        owner = p.with_name(p.name + ".owner")
        record = _read_owner(owner)
        alive = owner_alive(record) if record is not None else None
        if alive is not False:
            if alive is None:
                log.warning("leaving %s: its owner is unknown or on another host", p)
            continue
        assert record is not None  # an owner is known dead only from its record
        if m.group(1) and not out.exists():  # the previous complete output: put it back
            os.replace(p, out)
            log.warning("restored %s from %s (left by a run killed during its final swap)", out, p.name)
        else:
            shutil.rmtree(p, ignore_errors=True)
            log.warning("removed %s left by a killed run (pid %s)", p.name, record.get("pid"))
        owner.unlink(missing_ok=True)
        done.append(p)
    for owner in parent.glob(f"{STAGE_PREFIX}*.owner"):  # records whose folder is gone
        m = pattern.match(owner.name)
        if m and not owner.with_name(owner.name[: -len(".owner")]).exists():
            record = _read_owner(owner)
            if record is not None and owner_alive(record) is False:
                owner.unlink(missing_ok=True)
    return done


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # kernel or file system without the flag: fall back to two renames
    raise OSError(err, os.strerror(err), str(a))


def _swap_into_place(stage: Path, out: Path, token: str) -> None:
    """Replace ``out`` by ``stage`` so that ``out`` is at every moment the old or the new folder."""
    if not out.exists():
        os.replace(stage, out)
        return
    if _exchange(stage, out):
        shutil.rmtree(stage, ignore_errors=True)  # now the old output
        return
    old = out.parent / f"{STAGE_PREFIX}old-{out.name}-{token}"
    os.replace(out, old)  # a crash here: the next run puts `old` back (clean_stale_stages)
    os.replace(stage, out)
    shutil.rmtree(old, ignore_errors=True)


def _free_space(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _not_writable(out: Path, exc: OSError) -> OutputNotWritableError:
    where = out.absolute().parent
    free = ""
    with contextlib.suppress(OSError):
        free = f"; {shutil.disk_usage(where).free / 2**20:.1f} MiB free on its file system"
    return OutputNotWritableError(
        f"cannot write output folder {str(out)!r}: {exc.strerror or exc}"
        f"{f' ({exc.filename})' if getattr(exc, 'filename', None) else ''}{free}"
    )


@contextlib.contextmanager
def staged_output_dir(out_dir: PathLike, *, overwrite: bool = False,
                      inputs: Mapping[str, Path | str] | None = None,
                      expected_bytes: int | None = None) -> Iterator[Path]:
    """Yield an empty staging folder that becomes ``out_dir`` when the block completes.

    The folder is claimed for the whole block by :func:`output_lock`; leftovers of killed runs
    are removed first (:func:`clean_stale_stages`); the swap is described in the module
    docstring (:mod:`steppe_geo.pipeline.staging`).

    Parameters
    ----------
    out_dir : path
        Final output folder.
    overwrite : bool, default False
        Replace an existing ``out_dir`` (it is swapped out only after the new one is complete).
    inputs : mapping, optional
        The run's inputs; an output folder containing any of them is refused.
    expected_bytes : int, optional
        Estimated (uncompressed, so upper-bound) size of the outputs: a warning is logged when the
        file system has less free space. The run is not refused on an estimate; a write that
        finds the disk full raises ``OutputNotWritableError`` with the free space.

    Raises
    ------
    OutputLockedError
        Another run is writing ``out_dir`` (raised at once, before any work).
    OutputExistsError
        ``out_dir`` exists and ``overwrite`` is False (nothing is changed) — checked at the start
        and again before the final rename —, it is a file, or it contains one of the inputs.
    OutputNotWritableError
        The folder cannot be created or written (read-only, no space left: the message gives
        the free space).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output folder {str(out)!r} is an existing file; choose a folder path")
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"output folder {str(out)!r} exists already; nothing was changed. Use --overwrite "
            "(overwrite=True) to replace it, or choose another folder"
        )
    if inputs and out.exists():
        _check_no_inputs_inside(out, inputs)
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _not_writable(out, exc) from None
    with output_lock(out):
        if out.exists() and not out.is_dir():
            raise OutputExistsError(f"output folder {str(out)!r} is an existing file; choose a folder path")
        clean_stale_stages(out)
        if out.exists() and not overwrite:  # also: appeared before we held the lock
            raise OutputExistsError(
                f"output folder {str(out)!r} exists already; nothing was changed. Use --overwrite "
                "(overwrite=True) to replace it, or choose another folder"
            )
        if expected_bytes:
            free = _free_space(parent)
            if free is not None and free < expected_bytes:
                log.warning("output folder %s: %.1f MiB free on its file system, the outputs may need up "
                            "to %.1f MiB (uncompressed estimate; the compressed files are smaller)",
                            out, free / 2**20, expected_bytes / 2**20)
        token = uuid.uuid4().hex[:12]
        stage = parent / f"{STAGE_PREFIX}{out.name}-{token}"
        owner = stage.with_name(stage.name + ".owner")
        try:
            owner.write_text(json.dumps(_owner_record()), encoding="utf-8")
            # the output folder gets the usual mode (umask), not mkdtemp's private 0700
            stage.mkdir(mode=0o777)
        except OSError as exc:
            owner.unlink(missing_ok=True)
            raise _not_writable(out, exc) from None
        try:
            try:
                yield stage
            except (OSError, RuntimeError, ValueError) as exc:  # a writer's error on a full disk
                if isinstance(exc, OutputNotWritableError) and str(stage) in str(exc):
                    # name the file as the user will look for it: in the output folder
                    raise OutputNotWritableError(str(exc).replace(str(stage), str(out))) from exc
                if not isinstance(exc, SteppeGeoError) and is_no_space(exc, stage):
                    raise no_space_error(out, exc) from exc
                raise
            if out.exists() and not overwrite:  # appeared while we were running (not by a steppe_geo run)
                raise OutputExistsError(
                    f"output folder {str(out)!r} appeared while this run was writing; it was kept and "
                    "this run's outputs were discarded. Use --overwrite (overwrite=True) to replace it"
                )
            if inputs and out.exists():
                _check_no_inputs_inside(out, inputs)
            try:
                _swap_into_place(stage, out, token)
            except OSError as exc:
                raise _not_writable(out, exc) from None
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)
            owner.unlink(missing_ok=True)
