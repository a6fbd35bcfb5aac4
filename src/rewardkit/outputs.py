"""Output paths: checked before any work starts, never one of the inputs, never left half-made.

Every command that writes calls one of these before it reads a model or a row:

* `check_output_file` for a single output file (``score --out``, ``data convert OUT``): it must not
  be a folder or one of the inputs, and its folder must be writable;
* `output_folder` for an output folder (``eval``, ``judge``, ``train rm``, ``curate``...): the
  same checks, then a context in which the run writes. If the run fails with bad input or usage
  (a `RewardkitError`) in a folder it created, the folder is removed: nothing is left behind; a
  folder that existed is left as it was (an earlier run's results stay valid). Any other failure (an interrupt, a bug) leaves what was written, which may be worth keeping
  (training checkpoints), with a ``FAILED`` file saying why; the next successful run removes it.
  So a folder either holds a finished run (its ``manifest.json``, written last), or says FAILED.

Files themselves are written atomically by `rewardkit.data.containers.atomic_path`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rewardkit.errors import DataError, RewardkitError

FAILED = "FAILED"


def _same_path(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _local_inputs(inputs: Iterable[str | os.PathLike]) -> list[Path]:
    return [Path(p) for p in inputs if p and os.path.exists(p)]


def probe_writable(folder: Path) -> None:
    """Fail now, not after hours of work, if `folder` (or, when it does not exist yet, the
    nearest folder above it that does) cannot take a new file."""
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise DataError(f"{existing} is a file, not a folder: cannot write below it", path=str(folder))
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as e:
        raise DataError(f"cannot write here: {e.strerror or e}", path=str(existing)) from None


def check_output_file(out: str | os.PathLike, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Check a single output file before any work (see the module docstring)."""
    path = Path(out)
    if path.is_dir():
        raise DataError("is a directory; --out names a file here", path=str(path))
    for src in _local_inputs(inputs):
        if _same_path(path, src):
            raise DataError("is also an input: writing the output would destroy it; choose another --out", path=str(path))
    probe_writable(path.parent)
    return path


@contextmanager
def output_folder(out: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (),
                  writes: Iterable[str] = ()) -> Iterator[Path]:
    """Check an output folder and run the block that fills it (see the module docstring).

    `writes` names the files the run puts in the folder; an input that is one of them is refused.
    """
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise DataError("is a file; --out names a folder here", path=str(folder))
    sources = _local_inputs(inputs)
    for name in writes:
        for src in sources:
            if _same_path(folder / name, src):
                raise DataError(f"is also an input, and this run writes {name} there: choose another --out", path=str(folder))
    probe_writable(folder)
    existed = folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / FAILED).unlink(missing_ok=True)
    except OSError as e:
        raise DataError(f"cannot create the output folder: {e.strerror or e}", path=str(folder)) from None
    try:
        yield folder
    except BaseException as e:
        if isinstance(e, RewardkitError):  # refused for bad input or usage: nothing of this run is worth keeping
            if not existed:
                shutil.rmtree(folder, ignore_errors=True)
        else:
            reason = "interrupted" if isinstance(e, (KeyboardInterrupt, SystemExit)) else f"{type(e).__name__}: {e}"
            try:
                (folder / FAILED).write_text(f"this run did not finish: {reason}\n", encoding="utf-8")
            except OSError:
                pass
        raise
