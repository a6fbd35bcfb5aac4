"""What an output folder already holds before `train rm` or `train judge` writes into it, and what to do about it.

A training folder is in one of four states:

* empty (or new): train;
* holding an unfinished run (``checkpoints/`` with a ``run.json`` recording its settings and
  input hashes): resume it when the settings and data are the same, or with ``resume=True``
  whatever they are; otherwise refuse, naming what differs and the ways out;
* holding a finished run (a ``manifest.json`` of the same command): with the same settings and data
  there is nothing to do, and its summary is returned; otherwise refuse;
* anything, with ``overwrite=True``: the earlier run is removed and training starts over.

Refusing is the point: a rerun with other settings used to resume the old run and its schedule
while the manifest recorded the new settings.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.errors import RewardkitError
from rewardkit.manifest import describe_input
from rewardkit.train.config import TrainConfig

RUN_STATE = "run.json"
WAYS_OUT = "use a new --out, --overwrite to start over, or --resume to continue it with the new settings"


@dataclass
class RunPlan:
    resume_from: str | None = None  # a checkpoint folder to continue from
    finished: dict[str, Any] | None = None  # the manifest of an identical finished run: nothing to train


def input_hashes(config: TrainConfig) -> list[dict[str, Any]]:
    return [describe_input(p) for p in [*config.data, *config.eval_data]]


def _hash_differences(saved: list[dict[str, Any]], now: list[dict[str, Any]]) -> list[str]:
    old = {d["path"]: d.get("sha256") for d in saved}
    new = {d["path"]: d.get("sha256") for d in now}
    if old == new:
        return []
    changed = sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))
    return [f"data: {', '.join(changed)} differ"]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _is_run_folder(out: Path, command: str) -> bool:
    manifest = _read_json(out / "manifest.json")
    return (out / "checkpoints").is_dir() or (manifest or {}).get("command") == command


def plan_run(config: TrainConfig, hashes: list[dict[str, Any]]) -> RunPlan:
    """Decide, before any work, whether to train, resume or do nothing (see the module docstring)."""
    out = Path(config.out)
    if not out.exists():
        return RunPlan()
    if config.overwrite:
        if any(out.iterdir()) and not _is_run_folder(out, config.COMMAND):
            raise RewardkitError(f"{out}: --overwrite removes an earlier training run, and this folder holds something else; "
                                 "choose an empty or new --out")
        shutil.rmtree(out)
        return RunPlan()
    manifest = _read_json(out / "manifest.json")
    if manifest and manifest.get("command") == config.COMMAND:
        diffs = config.differences(manifest.get("config") or {}) + _hash_differences(manifest.get("inputs") or [], hashes)
        if not diffs:
            return RunPlan(finished=manifest)
        raise RewardkitError(f"{out} holds a finished run with other settings ({'; '.join(diffs)}); "
                             "use a new --out, or --overwrite to replace it")
    return RunPlan(resume_from=checkpoint_to_resume(config, hashes))


def checkpoint_to_resume(config: TrainConfig, hashes: list[dict[str, Any]]) -> str | None:
    """The last checkpoint of OUT's unfinished run, when it may be continued: same settings and
    inputs, or ``resume=True``; None when there is none; refuses otherwise (``WAYS_OUT``)."""
    from transformers.trainer_utils import get_last_checkpoint

    out = Path(config.out)
    checkpoints = out / "checkpoints"
    last = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    if last is None:
        return None
    if config.resume is False:
        raise RewardkitError(f"{out} has checkpoints of an unfinished run and --no-resume was given; "
                             "use --overwrite to start over, or a new --out")
    state = _read_json(checkpoints / RUN_STATE) or {}
    saved = state.get("config") or {}
    diffs = config.differences(saved) + _hash_differences(state.get("inputs") or [], hashes)
    bound = [k for k in config.differing_fields(saved) if k in config.CHECKPOINT_BOUND and k in saved]
    if bound and config.resume:
        changes = "; ".join(f"{k}: {saved[k]!r} -> {getattr(config, k)!r}" for k in bound)
        raise RewardkitError(f"{out} has checkpoints of an unfinished run that --resume cannot continue ({changes}): its weights "
                             "and optimiser state belong to that setting; use --overwrite to start over, or a new --out")
    if diffs and not config.resume:
        raise RewardkitError(f"{out} has checkpoints of an unfinished run with other settings ({'; '.join(diffs)}); {WAYS_OUT}")
    return last


def record_run(config: TrainConfig, hashes: list[dict[str, Any]]) -> None:
    """Save the settings and inputs the checkpoints in ``out/checkpoints`` are written with."""
    from rewardkit.data.containers import write_text_atomic

    state = {"config": config.to_dict(), "inputs": hashes}
    write_text_atomic(Path(config.out) / "checkpoints" / RUN_STATE, json.dumps(state, indent=2, default=str) + "\n")


def finish_run(config: TrainConfig) -> None:
    """Remove the checkpoints of a finished run (optimizer state: several times the model's
    size) unless they are to be kept."""
    if not config.keep_checkpoints:
        shutil.rmtree(Path(config.out) / "checkpoints", ignore_errors=True)
