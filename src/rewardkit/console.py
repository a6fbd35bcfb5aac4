"""The rich consoles (stdout for results, stderr for progress) and progress bars, for the CLI and
for library code that reports progress (training)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

from rich.console import Console


@cache
def console() -> Console:
    return Console()


@cache
def err_console() -> Console:
    return Console(stderr=True)


@contextmanager
def progress_for(description: str, *, total: int | None = None, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (only on a terminal); yields ``advance(n)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    con = err_console()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=con, transient=True, disable=not (enabled and con.is_terminal),
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


def rescaled(on_batch: Callable[[int], None] | None, work: int, shown: int) -> Callable[[int], None]:
    """``advance(n)`` over `work` units that reports to `on_batch` in `shown` units (whole ones,
    rounded down, so the reports add up to `shown` exactly when all the work is done): an
    ensemble's k passes over n conversations, or the distinct texts behind n conversations."""
    done = [0, 0]  # work units done, shown units reported

    def advance(n: int) -> None:
        done[0] += n
        step = done[0] * shown // max(work, 1) - done[1]
        if step and on_batch is not None:
            done[1] += step
            on_batch(step)

    return advance
