"""Scoring across processes: ``torchrun --nproc_per_node N -m rewardkit score ...`` (or
``accelerate launch``) gives each process a shard, and every process gets the merged rewards
back in input order, identical to what one process computes.

Shards are strided (process r scores items r, r + N, r + 2N, ...), so each gets the same mix of
lengths; each process sorts its shard by length as a single process would. Only process 0
writes outputs. On GPUs each process uses the device its ``LOCAL_RANK`` names.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Sequence

from rewardkit.models.protocols import Conversation, RewardScorer, score_with_progress


def world() -> tuple[int, int]:
    """(rank, world size) from the launcher's environment; (0, 1) for a plain run."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return world()[0] == 0


def _process_group() -> None:
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        atexit.register(_leave_process_group)


def _leave_process_group() -> None:
    """At exit: wait for every process, then close the group. Left to the interpreter's teardown,
    a process that exits first closes its connections under a peer still writing outputs, and a
    CI run saw that peer's gloo group abort (SIGABRT) on exit after a complete `eval`."""
    import torch.distributed as dist

    if dist.is_initialized():
        try:
            dist.barrier()
        finally:
            dist.destroy_process_group()


def score_sharded(scorer: RewardScorer, conversations: Sequence[Conversation],
                  on_batch: Callable[[int], None] | None = None) -> list[float]:
    """`scorer.score` over all processes of the launch (see the module docstring)."""
    rank, size = world()
    if size == 1:
        return score_with_progress(scorer, conversations, on_batch)
    import torch.distributed as dist

    _process_group()
    mine = score_with_progress(scorer, conversations[rank::size], on_batch)
    shards: list[list[float] | None] = [None] * size
    dist.all_gather_object(shards, mine)
    out = [0.0] * len(conversations)
    for r, shard in enumerate(shards):
        out[r::size] = shard  # type: ignore[assignment]
    return out
