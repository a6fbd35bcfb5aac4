"""Checkpoint averaging: the final model as the mean of its last weights along the run.

``average_checkpoints: K`` in `RMTrainConfig` replaces the trained weights by the element-wise
mean of the final weights and those of the last K - 1 checkpoints saved before the end (the
Trainer's ``checkpoint-STEP`` folders; ``save_total_limit`` must keep that many). Late in a
decaying schedule the weights wander around a flat region, and their mean lands nearer its
middle: the "model soup" / stochastic weight averaging idea, at no extra training cost.
Floating-point tensors are averaged; integer buffers (position ids) are taken from the final
weights, where every checkpoint holds the same values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardkit.errors import RewardkitError

STEP = re.compile(r"^checkpoint-(\d+)$")


def average_state_dicts(states: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Element-wise mean of floating-point tensors over `states` (computed in float32, cast back
    to each tensor's dtype); other entries from the first state. Every state must hold the same
    keys and shapes."""
    if not states:
        raise RewardkitError("nothing to average")
    first = states[0]
    for i, s in enumerate(states[1:], 1):
        if set(s) != set(first):
            missing = sorted(set(first) ^ set(s))[:3]
            raise RewardkitError(f"weights {i} do not hold the same tensors as weights 0 (e.g. {missing})")
    out = {}
    for key, value in first.items():
        if not value.is_floating_point():
            out[key] = value
            continue
        shapes = {tuple(s[key].shape) for s in states}
        if len(shapes) > 1:
            raise RewardkitError(f"{key}: shapes differ between the weights averaged ({sorted(shapes)})")
        total = sum(s[key].float() for s in states)
        out[key] = (total / len(states)).to(value.dtype)
    return out


def checkpoints_before(folder: str | Path, step: int, count: int) -> list[tuple[int, Path]]:
    """The last `count` ``checkpoint-STEP`` folders in `folder` with STEP < `step`, oldest first."""
    found = []
    for p in Path(folder).iterdir() if Path(folder).is_dir() else []:
        m = STEP.match(p.name)
        if m and int(m.group(1)) < step and (p / "model.safetensors").is_file():
            found.append((int(m.group(1)), p))
    return sorted(found)[-count:] if count > 0 else []


def average_with_checkpoints(model: Any, folder: str | Path, step: int, k: int) -> list[int]:
    """Load into `model` the mean of its weights and those of the last ``k - 1`` checkpoints
    before `step` in `folder`; returns the steps averaged (the final one last). Refuses when
    fewer checkpoints exist than asked for."""
    import torch
    from safetensors.torch import load_file

    earlier = checkpoints_before(folder, step, k - 1)
    if len(earlier) < k - 1:
        raise RewardkitError(f"average_checkpoints={k} needs {k - 1} checkpoints before step {step} in {folder}, found "
                             f"{len(earlier)}: lower save_steps, or raise save_total_limit to at least {k - 1}")
    states = [load_file(str(p / "model.safetensors")) for _, p in earlier]
    # the keys every file holds: save_pretrained writes one of two tied tensors, and loading that
    # one updates its twin, which shares the storage
    keys = set.intersection(*(set(s) for s in states))
    final = {key: v.detach().cpu() for key, v in model.state_dict().items() if key in keys}
    if not final:
        raise RewardkitError(f"the checkpoints in {folder} hold none of the model's tensors")
    averaged = average_state_dicts([*({key: s[key] for key in final} for s in states), final])
    with torch.no_grad():
        missing_from_model = model.load_state_dict(averaged, strict=False).unexpected_keys
    if missing_from_model:
        raise RewardkitError(f"the checkpoints hold tensors the model does not: {missing_from_model[:3]}")
    return [s for s, _ in earlier] + [step]
