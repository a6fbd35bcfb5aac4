"""Batch statistics over every process of a DDP run.

The length terms of the reward-model loss (``length_penalty``, ``length_head``) are Pearson
correlations over the batch, not means of per-pair terms, so each process computing them on its
own shard would change the objective with the number of processes: 8 GPUs at 2 pairs each would
correlate 2 points (always +-1) where one process correlates 16. `gather_rows` concatenates the
processes' rows in rank order with gradients flowing back to each process's own rows, so every
process computes the one-process statistic of the whole step's batch.

Why the gradient comes out right: every process computes the same statistic ``P``; the backward
of the gather sums, over the processes, the gradient each one sends to a process's rows, so each
process receives ``world_size * dP/d(its rows)``, and DDP's mean of the parameter gradients over
the processes divides that back to ``dP/dθ``, the one-process gradient. (The batch is the
per-step batch: with gradient accumulation each micro-batch is correlated on its own.)
"""

from __future__ import annotations

import torch
from torch import Tensor


def _world_size() -> int:
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def gather_rows(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Each tensor (same first dimension on one process) concatenated along dimension 0 over the
    processes, in rank order, differentiable; the tensors as they are in a one-process run.
    Processes may hold different numbers of rows (a last, short batch)."""
    if _world_size() == 1:
        return tensors
    import warnings

    import torch.distributed as dist
    from torch.distributed.nn.functional import all_gather

    n = tensors[0].shape[0]
    if any(t.shape[0] != n for t in tensors):
        raise ValueError(f"gather_rows needs tensors with one first dimension, got {[tuple(t.shape) for t in tensors]}")
    sizes = [torch.zeros(1, dtype=torch.long, device=tensors[0].device) for _ in range(_world_size())]
    dist.all_gather(sizes, torch.tensor([n], dtype=torch.long, device=tensors[0].device))
    counts = [int(s.item()) for s in sizes]
    most = max(counts)
    gathered = []
    for t in tensors:
        padded = torch.cat([t, t.new_zeros((most - n, *t.shape[1:]))]) if n < most else t
        # torch 2.13 marks these autograd collectives deprecated for _functional_collectives, whose
        # gloo all_gather aborted a process at exit in a CI run ("terminate called without an
        # active exception"); these run gloo's backward as an all-to-all and pass every run
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            parts = all_gather(padded)
        gathered.append(torch.cat([part[:count] for part, count in zip(parts, counts)]))
    return tuple(gathered)
