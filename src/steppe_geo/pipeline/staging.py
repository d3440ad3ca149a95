"""The output folder of a run: staged in a hidden folder, renamed into place when complete.

A run stopped by Ctrl-C (SIGINT) or by SIGTERM (``kill``, a batch scheduler's time limit, a
container stop) unwinds like any error: the staging folder is removed and no output folder
appears (:func:`interrupt_on_signals`). Only SIGKILL cannot be caught; it leaves the hidden
staging folder behind, never a half-written output folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType

from steppe_geo._typing import PathLike
from steppe_geo.errors import (
    OutputExistsError,
    OutputNotWritableError,
)
from steppe_geo.io.remote import is_remote

STAGE_PREFIX = ".steppe_geo-tmp-"

log = logging.getLogger(__name__)


class RunTerminated(KeyboardInterrupt):
    """Raised in a run when the process receives SIGTERM (handled like Ctrl-C).

    A :class:`KeyboardInterrupt`, so that everything that cleans up after Ctrl-C (the staging
    folder, a local Dask cluster) does so for SIGTERM too; the command line exits with 143
    (128 + SIGTERM) instead of 130.
    """


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
def _umask() -> int:
    """The process umask (read without changing it for longer than a moment)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _check_no_inputs_inside(out: Path, inputs: Mapping[str, Path]) -> None:
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


@contextlib.contextmanager
def staged_output_dir(out_dir: PathLike, *, overwrite: bool = False,
                      inputs: Mapping[str, Path] | None = None) -> Iterator[Path]:
    """Yield an empty staging folder that becomes ``out_dir`` when the block completes.

    Parameters
    ----------
    out_dir : path
        Final output folder.
    overwrite : bool, default False
        Replace an existing ``out_dir`` (it is swapped out only after the new one is complete).
    inputs : mapping, optional
        The run's inputs; an output folder containing any of them is refused.

    Raises
    ------
    OutputExistsError
        ``out_dir`` exists and ``overwrite`` is False (nothing is changed), it is a file, or it
        contains one of the inputs.
    OutputNotWritableError
        The folder cannot be created or written.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output folder {str(out)!r} is an existing file")
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
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{out.name}-", dir=parent))
        # mkdtemp makes the folder private (0700); the output folder gets the usual mode (umask)
        stage.chmod(0o777 & ~_umask())
    except OSError as exc:
        raise OutputNotWritableError(
            f"cannot write output folder {str(out)!r}: {exc.strerror or exc} ({str(parent)!r})"
        ) from None
    try:
        yield stage
        if out.exists():
            old = parent / f"{STAGE_PREFIX}old-{out.name}-{uuid.uuid4().hex[:8]}"
            os.replace(out, old)
            os.replace(stage, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(stage, out)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
