"""`DynamicBatcher`: one bounded queue for every client, one worker thread that scores.

A request becomes a `Job` of items (encoded sequences, or conversations for scorers that encode
themselves). The worker blocks for the first job, then keeps taking jobs for at most
``max_wait_ms`` or until ``max_batch_tokens`` worth of items is gathered, drops jobs whose client
has gone, scores the rest in one call (which sorts by length and pads only within a batch), and
hands each job its slice. Scores do not depend on what else shares the batch: padding is
masked and the pooled token is each sequence's own last one.

The queue is bounded in sequences: a job that does not fit is refused at once (`QueueFull`), so
the server answers 503 instead of queueing without end or leaving a client hanging.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any


class QueueFull(Exception):
    """The queue has no room for a job now; try again after a moment."""


@dataclass
class Job:
    items: Sequence[Any]
    tokens: int
    future: Future = field(default_factory=Future)
    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass
class BatchStats:
    batches: int = 0
    sequences: int = 0
    dropped_jobs: int = 0


class DynamicBatcher:
    """See the module docstring. `run(items) -> list[float]` scores a list of items."""

    def __init__(self, run: Callable[[list[Any]], list[float]], *, max_batch_tokens: int = 16384, max_wait_ms: float = 5.0,
                 max_queue: int = 4096, on_batch: Callable[[int], None] | None = None) -> None:
        self.run = run
        self.max_batch_tokens = max_batch_tokens
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue
        self.on_batch = on_batch
        self.stats = BatchStats()
        self._jobs: deque[Job] = deque()
        self._queued = 0
        self._cond = threading.Condition()
        self._closing = False
        self._worker = threading.Thread(target=self._loop, name="rewardkit-batcher", daemon=True)
        self._worker.start()

    @property
    def depth(self) -> int:
        """Sequences waiting."""
        return self._queued

    def submit(self, items: Sequence[Any], tokens: int) -> Job:
        """Queue a job; raises `QueueFull` when its items do not fit."""
        job = Job(items, tokens)
        with self._cond:
            if self._closing:
                raise QueueFull("the server is shutting down")
            if self._queued + len(items) > self.max_queue:
                raise QueueFull(f"{self._queued} sequences are waiting; the queue holds {self.max_queue}")
            self._jobs.append(job)
            self._queued += len(items)
            self._cond.notify()
        return job

    def close(self, timeout: float = 60.0) -> None:
        """Stop taking jobs, finish those queued, stop the worker."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._worker.join(timeout)

    def _take(self) -> list[Job]:
        with self._cond:
            while not self._jobs and not self._closing:
                self._cond.wait()
            if not self._jobs:
                return []
            taken = [self._jobs.popleft()]
            tokens = taken[0].tokens
            deadline = time.monotonic() + self.max_wait
            while tokens < self.max_batch_tokens:
                if not self._jobs:
                    left = deadline - time.monotonic()
                    if left <= 0 or self._closing:
                        break
                    self._cond.wait(left)
                    continue
                if tokens + self._jobs[0].tokens > self.max_batch_tokens:
                    break
                job = self._jobs.popleft()
                taken.append(job)
                tokens += job.tokens
            self._queued -= sum(len(j.items) for j in taken)
            return taken

    def _loop(self) -> None:
        while True:
            taken = self._take()
            if not taken:
                return
            live = [j for j in taken if not j.cancelled.is_set()]
            self.stats.dropped_jobs += len(taken) - len(live)
            for job in taken:
                if job.cancelled.is_set():
                    job.future.cancel()
            if not live:
                continue
            items = [item for job in live for item in job.items]
            try:
                values = self.run(items)
            except BaseException as e:  # noqa: BLE001 - handed to every waiting request
                for job in live:
                    job.future.set_exception(e)
                continue
            self.stats.batches += 1
            self.stats.sequences += len(items)
            if self.on_batch:
                self.on_batch(len(items))
            start = 0
            for job in live:
                job.future.set_result(values[start : start + len(job.items)])
                start += len(job.items)
