"""`RMTrainConfig`: every setting of `rewardkit train rm`, typed and documented.

The CLI flags and a YAML file (``--config``) both map onto it; flags given on the command line
win over the file. The resolved config is saved in the output's ``manifest.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import yaml

from rewardkit.errors import RewardkitError
from rewardkit.models.loading import ATTN_IMPLEMENTATIONS
from rewardkit.train.losses import LOSSES, LossParams
from rewardkit.typed import ConfigFieldError, check_fields


@dataclass
class TrainConfig:
    """What every training config shares: the settings of the data, the optimiser and schedule,
    checkpoints and loading (documented in `RMTrainConfig`; a config redeclares a field to change
    its default), reading a YAML file under CLI overrides, the settings dump for the manifest, and
    the comparison with a saved run (`rewardkit.train.runs`)."""

    model: str = "minilm"
    data: list[str] = field(default_factory=list)
    out: str = ""
    eval_data: list[str] = field(default_factory=list)
    max_length: int = 512
    batch_size: int = 16
    grad_accum: int = 1
    learning_rate: float = 3e-5
    weight_decay: float = 0.0
    warmup_ratio: float = 0.05
    lr_scheduler: str = "linear"
    epochs: float = 1.0
    max_steps: int = -1
    bf16: bool | None = None
    dtype: str = "auto"
    seed: int = 42
    save_steps: int = 200
    save_total_limit: int = 2
    eval_steps: int | None = None
    logging_steps: int = 10
    attn_implementation: str | None = None
    gradient_checkpointing: bool = False
    invalid: str = "error"
    resume: bool | None = None
    overwrite: bool = False
    keep_checkpoints: bool = False
    trust_remote_code: bool = False
    freeze_layers: int = 0

    COMMAND: ClassVar[str] = ""  # the manifest's command for this kind of run
    MERGED: ClassVar[frozenset[str]] = frozenset()  # mapping fields whose file and CLI values merge key by key
    # settings that do not change what a run trains: they may differ between a run and its resume
    BOOKKEEPING: ClassVar[frozenset[str]] = frozenset({"out", "resume", "overwrite", "keep_checkpoints", "logging_steps", "save_steps",
                                                      "save_total_limit", "eval_steps"})
    # settings a checkpoint is made of: its weights and optimiser state belong to one backbone and
    # one set of trained parameters (frozen ones have no optimiser state), so not even --resume
    # continues it across a change of these
    CHECKPOINT_BOUND: ClassVar[frozenset[str]] = frozenset({"model", "freeze_layers"})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def differing_fields(self, saved: dict[str, Any]) -> list[str]:
        """The names of the settings that differ from a saved run's config (bookkeeping left out)."""
        mine = self.to_dict()
        return [k for k in sorted(mine) if k not in self.BOOKKEEPING and _plain(saved.get(k)) != _plain(mine[k])]

    def differences(self, saved: dict[str, Any]) -> list[str]:
        """The settings that differ from a saved run's config, as ``name: old -> new``."""
        mine = self.to_dict()
        return [f"{k}: {saved.get(k)!r} -> {mine[k]!r}" for k in self.differing_fields(saved)]

    def check_training(self, positive: tuple[str, ...]) -> None:
        """The checks every training config needs: field types, the schedule, data, output and
        loading options; `positive` names the integer settings that must be at least 1."""
        c = self
        for name in ("data", "eval_data"):
            if isinstance(getattr(c, name), str):
                setattr(c, name, [getattr(c, name)])
        check_fields(self)
        if c.freeze_layers < 0:
            raise ConfigFieldError("freeze_layers", f"must be 0 or more, got {c.freeze_layers}")
        if c.max_steps == 0 or c.max_steps < -1:
            raise ConfigFieldError("max_steps", f"must be at least 1 (or -1 to train for `epochs`), got {c.max_steps}")
        if c.save_total_limit < 1:
            raise ConfigFieldError("save_total_limit", f"must be at least 1, got {c.save_total_limit}")
        if not 0 <= c.warmup_ratio < 1 or c.weight_decay < 0:
            raise RewardkitError("warmup_ratio must be in [0, 1) and weight_decay >= 0")
        if not c.data:
            raise RewardkitError("no training data: give --data PATH (or data: in the config file)")
        if c.invalid not in ("error", "skip"):
            raise RewardkitError(f"invalid must be error or skip, not {c.invalid!r}")
        for name in positive:
            if getattr(c, name) < 1:
                raise RewardkitError(f"{name} must be at least 1, got {getattr(c, name)}")
        if c.max_steps == -1 and c.epochs <= 0:
            raise RewardkitError("give max_steps > 0 or epochs > 0")
        if c.learning_rate <= 0:
            raise RewardkitError(f"learning_rate must be > 0, got {c.learning_rate}")
        if c.attn_implementation not in ATTN_IMPLEMENTATIONS:
            raise RewardkitError(f"unknown attn_implementation {c.attn_implementation!r}")
        if c.dtype not in ("auto", "float32", "bfloat16"):
            raise ConfigFieldError("dtype", f"training takes auto, float32 or bfloat16 weights, not {c.dtype!r}")
        if not c.out:
            raise ConfigFieldError("out", "give the output folder with --out DIR (or out: in the config file)")

    @classmethod
    def from_sources(cls, yaml_path: str | Path | None, overrides: dict[str, Any]) -> Any:
        """Merge a YAML file and CLI overrides (None values in `overrides` mean 'not given')."""
        values: dict[str, Any] = {}
        if yaml_path is not None:
            try:
                loaded = yaml.safe_load(Path(yaml_path).read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as e:
                raise RewardkitError(f"{yaml_path}: cannot read config: {e}") from None
            if not isinstance(loaded, dict):
                raise RewardkitError(f"{yaml_path}: expected a mapping of settings")
            values.update(loaded)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise RewardkitError(f"{yaml_path}: unknown settings {unknown}; known: {', '.join(sorted(known))}")
        for key, value in overrides.items():
            if value is None or (isinstance(value, (list, tuple)) and not value):
                continue
            values[key] = {**(values.get(key) or {}), **value} if key in cls.MERGED else value
        try:
            return cls(**values)
        except TypeError as e:
            raise RewardkitError(f"{yaml_path or 'config'}: {e}") from None
        except ConfigFieldError as e:
            raise RewardkitError(f"{yaml_path}: {e}" if yaml_path else str(e)) from None


@dataclass
class RMTrainConfig(TrainConfig):
    """Training a Bradley-Terry-style sequence-classifier reward model.

    Attributes:
        model: backbone: ``minilm``, ``smollm2``, a local folder or a Hugging Face Hub id; any
            ``AutoModelForSequenceClassification``-compatible model (a scalar head is added).
        data: training files (any format `rewardkit.data.io` reads).
        exclude_sources: leave the training pairs whose ``source`` is one of these out (e.g. a
            source a curation keeps for other uses); the evaluation data is not filtered. Each
            name must match some training pair; what was left out is counted in the manifest.
        out: output folder (required); the final model lands here, checkpoints under
            ``out/checkpoints`` (removed when the run finishes unless ``keep_checkpoints``).
        eval_data: held-out files; accuracy and mean margin on them are logged.
        loss: one of the eight losses in `rewardkit.train.losses`.
        loss_params: hyperparameters of the chosen loss (`LossParams`).
        use_margin: use each pair's ``margin`` in the loss (pairs without one get 0).
        center_rewards_coefficient: weight of the reward-centering term (TRL's option); None is off.
        length_penalty: weight of the squared batch correlation between reward margins and log
            length ratios (`length_correlation_penalty`); None is off.
        length_head: train a second, length output beside the reward, as ODIN does
            (`rewardkit.train.length_head`): the loss sees their sum, and this weighs the terms
            that make the second output follow the log length ratio and stay orthogonal to the
            first; the saved model keeps the first output only. None is off. Both length terms
            are correlations over the step's batch of every process (`rewardkit.train.gather`),
            so they do not change with the number of processes; with ``grad_accum`` each
            micro-batch is correlated on its own.
        max_length: tokens per (prompt, response); longer ones are truncated (start of the prompt
            first, see `rewardkit.data.chat`), never dropped; counts go to the manifest.
        template: ``auto`` (the tokenizer's chat template if it has one, else ``plain``), ``chat``, ``plain``.
        batch_size: pairs per device per step (each step runs 2 x batch_size sequences in one forward pass).
        length_buckets: split each step's 2 x batch_size sequences, sorted by length, into this
            many forward calls each padded to its own longest sequence (1: a single call). Same
            gradient, less padding when chosen and rejected lengths differ.
        grad_accum: gradient accumulation steps.
        learning_rate, weight_decay, warmup_ratio, lr_scheduler: optimiser (AdamW) and schedule.
        epochs: passes over the data (ignored when max_steps > 0).
        max_steps: optimiser steps; -1 means use epochs.
        bf16: bf16 autocast; None picks it when the hardware supports it (recorded in the manifest).
        dtype: weights' dtype: ``auto`` and ``float32`` keep fp32 master weights (mixed precision
            comes from ``bf16``); ``bfloat16`` trains bf16 weights (half the memory, for big
            backbones on GPUs).
        seed: seed for initialisation and data order.
        save_steps: checkpoint every N steps (exact resume after a kill).
        save_total_limit: checkpoints kept.
        eval_steps: evaluate every N steps (None: only at the end).
        logging_steps: log loss, accuracy, margin and throughput every N steps.
        attn_implementation: ``eager``, ``sdpa`` or None for the model's default (Gemma-2 RMs need eager).
        disable_dropout: turn dropout off (as TRL and OpenRLHF do for RMs): deterministic steps.
        freeze_layers: freeze the backbone's embeddings and its first N transformer layers
            (`rewardkit.train.freezing`): no backward pass through them and no optimiser state,
            so more pairs per minute; 0 trains everything.
        gradient_checkpointing: trade compute for memory on large backbones.
        average_checkpoints: K >= 2 makes the final model the mean of the final weights and those
            of the last K - 1 checkpoints before the end (`rewardkit.train.averaging`); needs
            ``save_total_limit`` >= K (the Trainer also saves the final step). None is off.
        normalize: after training, store the mean and std of rewards on the eval data (or a
            training sample) in the model config; scorers then report (r - mean) / std.
        invalid: ``error`` or ``skip`` for flawed pairs (empty/identical responses...); skipped
            pairs are counted in the manifest.
        resume: None (default): continue from the last checkpoint in ``out/checkpoints`` only if
            it was written with the same settings and data, else refuse naming what differs;
            True: continue from it even with other settings, except another ``model`` or
            ``freeze_layers`` (the checkpoint's weights and optimiser state belong to those:
            refused); False: never continue (refused
            when checkpoints exist, unless ``overwrite``).
        overwrite: remove an earlier run in ``out`` (model, checkpoints, manifest) and start over.
        keep_checkpoints: keep ``out/checkpoints`` (optimizer state, ~5x the model) after the run.
        trust_remote_code: allow custom model code from the hub (off by default).
    """

    loss: str = "bt"
    loss_params: LossParams = field(default_factory=LossParams)
    use_margin: bool = False
    center_rewards_coefficient: float | None = None
    length_penalty: float | None = None
    length_head: float | None = None
    template: str = "auto"
    length_buckets: int = 1
    disable_dropout: bool = True
    average_checkpoints: int | None = None
    normalize: bool = False
    exclude_sources: list[str] | None = None

    COMMAND: ClassVar[str] = "train rm"
    MERGED: ClassVar[frozenset[str]] = frozenset({"loss_params"})

    def __post_init__(self) -> None:
        if isinstance(self.loss_params, dict):
            known = {f.name for f in fields(LossParams)}
            unknown = sorted(set(self.loss_params) - known)
            if unknown:
                raise ConfigFieldError("loss_params", f"unknown settings {unknown}; known: {', '.join(sorted(known))}")
            for key, value in self.loss_params.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ConfigFieldError(f"loss_params.{key}", f"expected a number, got {value!r}")
            self.loss_params = LossParams(**self.loss_params)
        if self.loss not in LOSSES:
            raise RewardkitError(f"unknown loss {self.loss!r}; known: {', '.join(LOSSES)}")
        if self.template not in ("auto", "chat", "plain"):
            raise RewardkitError(f"template must be auto, chat or plain, not {self.template!r}")
        self.check_training(("batch_size", "length_buckets", "grad_accum", "max_length", "save_steps", "logging_steps"))
        for name in ("length_penalty", "length_head"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                raise ConfigFieldError(name, f"a weight, 0 or more (or unset), got {getattr(self, name)}")
        if self.average_checkpoints is not None:
            if self.average_checkpoints < 2:
                raise ConfigFieldError("average_checkpoints", f"must be at least 2 (or unset), got {self.average_checkpoints}")
            if self.save_total_limit < self.average_checkpoints:
                raise ConfigFieldError("average_checkpoints", f"averaging {self.average_checkpoints} weights needs save_total_limit >= "
                                       f"{self.average_checkpoints} (it is {self.save_total_limit})")

def _plain(value: Any) -> Any:
    """A value as it reads back from JSON (tuples as lists, paths as strings)."""
    import json

    return json.loads(json.dumps(value, default=str))


JUDGE_METHODS = ("sft", "con-j")
CONJ_STAGES = ("all", "sample", "hint", "pairs", "dpo")
DEFAULT_LR = {"sft": 2e-5, "con-j": 5e-7}  # Con-J's DPO learning rate
ORDERS = ("balanced", "both")


@dataclass
class JudgeTrainConfig(TrainConfig):
    """Training a pairwise generative judge (`rewardkit train judge`).

    Attributes:
        method: ``sft``: supervised fine-tuning on the template's verdict for preference pairs
            (the Skywork-Critic recipe).
        model: a causal LM: ``smollm2``, a local folder or a Hugging Face Hub id.
        template: the judge template the examples are rendered with (built-in name or file);
            the trained folder is then used as ``judge:TEMPLATE:OUT``.
        data: preference pairs (any format `rewardkit.data.io` reads).
        out: output folder (required): a plain causal-LM folder plus ``manifest.json``.
        eval_data: held-out pairs; the loss on their verdict tokens is logged.
        orders: ``balanced``: one order per pair, the chosen answer shown first for exactly half
            of the pairs (seeded); ``both``: both orders of every pair (twice the examples).
        synthetic: critic examples to mix in, as a fraction of the pairs: half answers to a
            similar but different instruction from the same data (`curate.neighbors`), half
            subtle-error pairs from `data synth` (math, units, code slips; instruction
            violations; safety both ways). 0 is off.
        max_length: tokens per example (judge prompt plus verdict); longer prompts lose their
            start, as the judge backends do at inference, and are counted.
        learning_rate: None picks the method's: 2e-5 for sft, Con-J's 5e-7 for con-j.
        stage (con-j): ``all`` or one of ``sample``, ``hint``, ``pairs``, ``dpo``.
        samples, temperature, max_new_tokens (con-j): judgments per pair and order, their sampling
            temperature and length (None: the template's).
        sampler (con-j): the judge backend that samples (e.g. ``openai:MODEL@URL`` for vLLM);
            None samples from `model` with transformers.
        per_prompt (con-j): judgment pairs per preference pair at most, over both orders.
        unparsed_wrong (con-j): a judgment without a verdict counts as a wrong one (else it is dropped).
        beta, sft_weight (con-j): DPO's β and the weight of the SFT term on the right judgment.
        limit: use only the first N pairs (quick runs).
        batch_size, grad_accum, learning_rate, weight_decay, warmup_ratio, lr_scheduler, epochs,
        max_steps, bf16, dtype, seed, save_steps, save_total_limit, eval_steps, logging_steps,
        attn_implementation, gradient_checkpointing, invalid, resume, overwrite,
        keep_checkpoints, trust_remote_code, freeze_layers: as in `RMTrainConfig`. With tied
        embeddings (SmolLM2) frozen embeddings freeze the output layer too: it is the same matrix.
    """

    method: str = "sft"
    model: str = "smollm2"  # redeclared: the base's fields with this config's defaults
    template: str = "skywork-critic"
    orders: str = "balanced"
    synthetic: float = 0.0
    max_length: int = 2048
    stage: str = "all"
    samples: int = 8
    temperature: float = 1.0
    max_new_tokens: int | None = None
    sampler: str | None = None
    per_prompt: int = 3
    unparsed_wrong: bool = True
    beta: float = 0.1
    sft_weight: float = 0.001
    limit: int | None = None
    batch_size: int = 8
    learning_rate: float | None = None  # type: ignore[assignment]  # None: the method's (DEFAULT_LR)

    COMMAND: ClassVar[str] = "train judge"

    def __post_init__(self) -> None:
        if self.method not in JUDGE_METHODS:
            raise ConfigFieldError("method", f"known methods: {', '.join(JUDGE_METHODS)}; got {self.method!r}")
        if self.orders not in ORDERS:
            raise ConfigFieldError("orders", f"must be {' or '.join(ORDERS)}, got {self.orders!r}")
        if self.stage not in CONJ_STAGES:
            raise ConfigFieldError("stage", f"must be one of {', '.join(CONJ_STAGES)}, got {self.stage!r}")
        if self.method == "con-j" and self.eval_data:
            raise ConfigFieldError("eval_data", "con-j does not use held-out pairs while training; evaluate the result "
                                   "with `rewardkit eval --model judge:TEMPLATE:OUT`")
        if self.learning_rate is None:
            self.learning_rate = DEFAULT_LR[self.method]
        self.check_training(("batch_size", "grad_accum", "max_length", "save_steps", "logging_steps", "samples", "per_prompt"))
        if self.temperature <= 0 or self.beta <= 0 or self.sft_weight < 0:
            raise RewardkitError("temperature and beta must be > 0, sft_weight >= 0")
        if self.limit is not None and self.limit < 1:
            raise ConfigFieldError("limit", f"must be at least 1, got {self.limit}")
        if not 0.0 <= self.synthetic <= 1.0:
            raise ConfigFieldError("synthetic", f"a fraction of the pairs in [0, 1], got {self.synthetic}")
