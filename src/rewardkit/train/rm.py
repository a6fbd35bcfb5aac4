"""Train a pairwise reward model on the Hugging Face Trainer.

`PairwiseRewardTrainer` is a `transformers.Trainer` whose step runs the chosen and rejected
responses of B pairs as one batch of 2B sequences (one forward pass), applies one of the eight
pairwise losses, and logs accuracy, mean margin and throughput. Everything else — AdamW, the
schedule, gradient accumulation, bf16 autocast, checkpoints with optimiser/scheduler/RNG state
and exact resume, and DDP/FSDP/DeepSpeed under ``accelerate launch`` or ``torchrun`` — is the
Trainer's. `train_reward_model` wires a `RMTrainConfig` to it and writes a plain Hugging Face
folder (safetensors) plus ``manifest.json``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import EvalPrediction, PrinterCallback, Trainer, TrainerCallback, TrainingArguments
from transformers.integrations import is_deepspeed_zero3_enabled

from rewardkit.data.chat import ChatFormatter
from rewardkit.data.io import ReadReport, load_pairs
from rewardkit.errors import RewardkitError
from rewardkit.models.attention import fp32_attention_backward
from rewardkit.models.classifier import load_sequence_classifier
from rewardkit.models.loading import LoadOptions, bf16_supported, default_device
from rewardkit.models.pooled_layer import install as install_pooled_last_layer
from rewardkit.models.pooled_layer import only_pooled_token
from rewardkit.train.config import RMTrainConfig
from rewardkit.train.freezing import freeze_bottom
from rewardkit.train.gather import gather_rows
from rewardkit.train.data import EncodedPairs, LengthGroupedPairSampler, PairCollator, PairDataset, encode_pairs
from rewardkit.train.length_head import add_length_head, drop_length_head, output_layer
from rewardkit.train.losses import LossParams, center_penalty, get_loss, length_correlation_penalty, length_head_penalty

NORMALIZE_SAMPLE = 1024


class PairwiseRewardTrainer(Trainer):
    """A Trainer for pairwise reward models (see the module docstring)."""

    loss_is_scaled_for_ga = False  # compute_loss returns a per-batch mean

    def __init__(
        self,
        *args: Any,
        loss: str = "bt",
        loss_params: LossParams | None = None,
        use_margin: bool = False,
        center_rewards_coefficient: float | None = None,
        length_penalty: float | None = None,
        length_head: float | None = None,
        length_buckets: int = 1,
        pooled_last_layer: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.length_buckets = length_buckets
        self.pooled_last_layer = pooled_last_layer  # models/pooled_layer.py is installed on the model
        self.length_head = length_head
        self._two_row_layer: torch.nn.Linear | None = None  # the output layer with the length row, found once
        self.loss_fn = get_loss(loss)
        self.loss_params = loss_params or LossParams()
        self.use_margin = use_margin
        self.center_rewards_coefficient = center_rewards_coefficient
        self.length_penalty = length_penalty
        self._train_metrics: dict[str, list[float]] = defaultdict(list)
        self._last_log_time = time.perf_counter()

    def _get_train_sampler(self, train_dataset: Any = None) -> LengthGroupedPairSampler:
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        global_batch = self.args.per_device_train_batch_size * self.args.world_size * self.args.gradient_accumulation_steps
        return LengthGroupedPairSampler(dataset.lengths, global_batch, self.args.seed)

    def _rewards(self, model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """The chosen and rejected rewards (the model's first output: with a length head, the
        quality reward alone) and the margins the loss uses."""
        chosen, rejected, margin = self._outputs(model, inputs)
        return chosen[:, 0], rejected[:, 0], margin

    def _outputs(self, model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """All outputs of the chosen and rejected responses, ``(B, outputs)`` each (column 1 is
        the length head's, `rewardkit.train.length_head`), and the margins the loss uses."""
        inputs = dict(inputs)
        margin = inputs.pop("margin", None)
        n = inputs["input_ids"].shape[0] // 2
        outputs = self._forward_bucketed(model, inputs)  # (2B, outputs): chosen first, then rejected
        return outputs[:n], outputs[n:], margin if self.use_margin else None

    def _forward_bucketed(self, model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Outputs ``(2B, outputs)`` of all 2B sequences. With ``length_buckets = k > 1`` the sequences are sorted
        by length and run as k forward calls, each cut to its own longest sequence: the chosen
        and rejected responses of a pair often differ a lot in length, and one padded batch would
        pad every short response to the longest one. The rewards, and so the gradient, are the
        same as one call's (padding is masked and right-aligned)."""
        with only_pooled_token() if self.pooled_last_layer else nullcontext():
            if self.length_buckets <= 1:
                return model(**inputs).logits.float()
            lengths = inputs["attention_mask"].sum(dim=1)
            order = torch.argsort(lengths, descending=True)
            parts, values = [], []
            for idx in torch.tensor_split(order, min(self.length_buckets, len(order))):
                width = int(lengths[idx].max())
                values.append(model(**{k: v[idx, :width] for k, v in inputs.items()}).logits.float())
                parts.append(idx)
            return torch.cat(values)[torch.argsort(torch.cat(parts))]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # noqa: ANN001 - Trainer's signature
        chosen_out, rejected_out, margin = self._outputs(model, inputs)
        chosen, rejected = chosen_out[:, 0], rejected_out[:, 0]
        lengths = inputs["attention_mask"].sum(dim=1)
        n = len(chosen)
        if self.length_head or self.length_penalty:  # correlations over the step's whole batch, all processes' pairs
            all_chosen, all_rejected, len_chosen, len_rejected = gather_rows(chosen_out, rejected_out, lengths[:n], lengths[n:])
        if self.length_head:  # the preference loss sees quality + length (ODIN)
            loss = self.loss_fn(chosen + chosen_out[:, 1], rejected + rejected_out[:, 1], margin, self.loss_params).mean()
            if self._two_row_layer is None:
                self._two_row_layer = output_layer(self.accelerator.unwrap_model(model))[2]
            rows = self._two_row_layer.weight
            loss = loss + self.length_head * length_head_penalty(all_chosen[:, 1], all_rejected[:, 1], len_chosen, len_rejected,
                                                                 rows[0], rows[1])
        else:
            loss = self.loss_fn(chosen, rejected, margin, self.loss_params).mean()
        if self.center_rewards_coefficient:
            loss = loss + self.center_rewards_coefficient * center_penalty(chosen, rejected)
        if self.length_penalty:
            loss = loss + self.length_penalty * length_correlation_penalty(all_chosen[:, 0], all_rejected[:, 0], len_chosen, len_rejected)
        if model.training:
            m = self._train_metrics
            m["accuracy"].append((chosen > rejected).float().mean().item())
            m["margin"].append((chosen - rejected).mean().item())
            m["tokens"].append(float(inputs["attention_mask"].sum().item()) * self.args.world_size)
        if return_outputs:
            return loss, {"rewards_chosen": chosen, "rewards_rejected": rejected}
        return loss

    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):  # noqa: ANN001
        inputs = self._prepare_inputs(inputs)
        with torch.no_grad():
            chosen, rejected, margin = self._rewards(model, inputs)
            loss = self.loss_fn(chosen, rejected, margin, self.loss_params).mean().detach()
        if prediction_loss_only:
            return loss, None, None
        logits = torch.stack([chosen, rejected], dim=1)  # (B, 2)
        return loss, logits, torch.zeros(len(chosen), device=logits.device)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs and self._train_metrics:
            now = time.perf_counter()
            m = self._train_metrics
            logs["accuracy"] = float(np.mean(m["accuracy"]))
            logs["margin"] = float(np.mean(m["margin"]))
            logs["tokens_per_second"] = sum(m["tokens"]) / max(now - self._last_log_time, 1e-9)
            self._last_log_time = now
            self._train_metrics = defaultdict(list)
        super().log(logs, start_time)


def pair_metrics(pred: EvalPrediction) -> dict[str, float]:
    """Held-out accuracy (ties count as wrong, as in reward-bench) and mean margin."""
    logits = np.asarray(pred.predictions)
    return {"accuracy": float(np.mean(logits[:, 0] > logits[:, 1])), "margin": float(np.mean(logits[:, 0] - logits[:, 1]))}


class RichProgressCallback(TrainerCallback):
    """A rich progress bar with loss, accuracy and throughput; plain log lines off a terminal."""

    def __init__(self) -> None:
        self.progress = None
        self.task = None

    def on_train_begin(self, args, state, control, **kwargs):  # noqa: ANN001
        if not state.is_world_process_zero:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        from rewardkit.console import err_console

        console = err_console()
        if console.is_terminal:
            self.progress = Progress(
                TextColumn("training"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                TextColumn("{task.fields[stats]}"), console=console,
            )
            self.progress.start()
            self.task = self.progress.add_task("train", total=state.max_steps, completed=state.global_step, stats="")

    def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
        if not state.is_world_process_zero or not logs:
            return
        parts = []
        for key, label, fmt in (("loss", "loss", ".4f"), ("accuracy", "acc", ".3f"), ("tokens_per_second", "tok/s", ",.0f"),
                                ("eval_accuracy", "eval acc", ".3f"), ("eval_margin", "eval margin", ".3f")):
            if key in logs:
                parts.append(f"{label} {logs[key]:{fmt}}")
        if not parts:
            return
        line = " | ".join(parts)
        if self.progress is not None:
            self.progress.update(self.task, stats=line)
        else:
            from rewardkit.console import err_console

            err_console().print(f"step {state.global_step}/{state.max_steps}: {line}", highlight=False)

    def on_train_end(self, args, state, control, **kwargs):  # noqa: ANN001
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _disable_dropout(model: torch.nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0


def exclude_sources(pairs: list, sources: list[str] | None, paths: list[str]) -> tuple[list, dict[str, int]]:
    """The pairs whose source is not in `sources`, and how many of each excluded source went.
    A name no pair carries is an error (a misspelt source would otherwise train on everything)."""
    if not sources:
        return pairs, {}
    from collections import Counter

    from rewardkit.errors import DataError

    present = Counter(p.source for p in pairs)
    missing = [s for s in sources if s not in present]
    if missing:
        raise DataError(f"exclude_sources names {', '.join(map(repr, missing))}, which no training pair in "
                        f"{', '.join(paths)} carries; its sources: {', '.join(sorted(present))}")
    drop = set(sources)
    return [p for p in pairs if p.source not in drop], {s: present[s] for s in sources}


def _read(paths: list[str], invalid: str) -> tuple[list, ReadReport]:
    report = ReadReport()
    return load_pairs(paths, invalid=invalid, report=report), report


def training_arguments(config: Any, has_eval: bool, **extra: Any) -> TrainingArguments:
    """The Trainer's arguments for a `RMTrainConfig` or `JudgeTrainConfig` (the fields they share)."""
    device = default_device()
    bf16 = bf16_supported(device) if config.bf16 is None else config.bf16
    return TrainingArguments(
        output_dir=str(Path(config.out) / "checkpoints"),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup_ratio,
        lr_scheduler_type=config.lr_scheduler,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        bf16=bf16,
        use_cpu=device == "cpu",
        seed=config.seed,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        eval_strategy="steps" if has_eval and config.eval_steps else "no",
        eval_steps=config.eval_steps,
        logging_steps=config.logging_steps,
        logging_first_step=True,
        report_to="none",
        disable_tqdm=True,
        remove_unused_columns=False,
        **({"activation_checkpointing": True} if config.gradient_checkpointing else {}),
        dataloader_drop_last=False,
        ddp_find_unused_parameters=False,
        **extra,
    )


def reward_stats(trainer: Trainer, encoded: EncodedPairs) -> dict[str, float]:
    """Mean and std of rewards over the responses of `encoded` (for normalisation): all of them,
    or `NORMALIZE_SAMPLE` pairs evenly spaced over it (the first ones would be one source's
    when the file is written source by source)."""
    out = trainer.predict(PairDataset(encoded.spread(NORMALIZE_SAMPLE)))
    rewards = np.asarray(out.predictions).reshape(-1)
    return {"mean": float(rewards.mean()), "std": float(rewards.std() or 1.0), "n": int(rewards.size)}


def train_reward_model(config: RMTrainConfig, *, progress: bool = True) -> dict[str, Any]:
    """Train, save the model to ``config.out``, and return the summary written to the manifest."""
    from rewardkit.manifest import build_manifest, write_manifest

    from rewardkit.errors import DataError
    from rewardkit.train.runs import finish_run, input_hashes, plan_run, record_run

    hashes = input_hashes(config)
    plan = plan_run(config, hashes)
    if plan.finished is not None:  # the same settings and data were trained to the end already
        return {**plan.finished.get("result", {}), "already_finished": True}
    torch.manual_seed(config.seed)
    train_pairs, train_report = _read(config.data, config.invalid)
    train_pairs, excluded = exclude_sources(train_pairs, config.exclude_sources, config.data)
    if not train_pairs:
        left = f"; exclude_sources left out {sum(excluded.values()):,}" if excluded else ""
        raise DataError(f"no training pairs in {', '.join(config.data)} ({train_report.summary()}{left})")
    eval_pairs, eval_report = _read(config.eval_data, config.invalid) if config.eval_data else ([], ReadReport())
    if config.eval_data and not eval_pairs:
        raise DataError(f"no evaluation pairs in {', '.join(config.eval_data)} ({eval_report.summary()})")
    # training keeps fp32 master weights (bf16 comes from the Trainer's autocast) unless asked for bf16 weights
    options = LoadOptions(dtype="float32" if config.dtype == "auto" else config.dtype,
                          attn_implementation=config.attn_implementation, trust_remote_code=config.trust_remote_code)
    model, tokenizer = load_sequence_classifier(config.model, options=options)
    if config.disable_dropout:
        _disable_dropout(model)
    frozen = freeze_bottom(model, config.freeze_layers)
    if config.length_head:  # a second output for length, dropped before the model is evaluated and saved
        add_length_head(model, seed=config.seed)
    # the loss reads [CLS] alone: a BERT's last layer is computed for it only (exact, models/pooled_layer.py);
    # not with activation checkpointing, whose recomputation in backward runs outside the forward's block
    pooled_last_layer = not config.gradient_checkpointing and install_pooled_last_layer(model)
    formatter = ChatFormatter(tokenizer, max_length=config.max_length, template=config.template)
    train_enc = encode_pairs(train_pairs, formatter)
    eval_enc = encode_pairs(eval_pairs, formatter) if eval_pairs else None
    args = training_arguments(config, eval_enc is not None)
    trainer = PairwiseRewardTrainer(
        model=model,
        args=args,
        train_dataset=PairDataset(train_enc),
        eval_dataset=PairDataset(eval_enc) if eval_enc else None,
        data_collator=PairCollator(tokenizer.pad_token_id),
        processing_class=tokenizer,
        compute_metrics=pair_metrics,
        callbacks=[RichProgressCallback()] if progress else [],
        loss=config.loss,
        loss_params=config.loss_params,
        use_margin=config.use_margin,
        center_rewards_coefficient=config.center_rewards_coefficient,
        length_penalty=config.length_penalty,
        length_head=config.length_head,
        length_buckets=config.length_buckets,
        pooled_last_layer=pooled_last_layer,
    )
    trainer.remove_callback(PrinterCallback)  # our callback prints the logs
    if config.length_head and (getattr(trainer, "is_fsdp_enabled", False) or is_deepspeed_zero3_enabled()):
        raise RewardkitError("length_head reads the two rows of the output layer in the loss, and FSDP and DeepSpeed ZeRO-3 "
                             "shard them: train it on one device or with DDP (torchrun)")
    last = plan.resume_from
    if trainer.is_world_process_zero():
        record_run(config, hashes)
    started = time.perf_counter()
    # on a CPU under bf16 autocast, small attention heads are faster in fp32 backward (models/attention.py)
    on_cpu_bf16 = args.bf16 and args.device.type == "cpu"
    with fp32_attention_backward(model) if on_cpu_bf16 else nullcontext(False) as fp32_attention:
        result = trainer.train(resume_from_checkpoint=last)
    seconds = time.perf_counter() - started
    averaged = None
    if config.average_checkpoints:  # before the evaluation and normalisation, which are of the saved model
        from rewardkit.train.averaging import average_with_checkpoints

        averaged = average_with_checkpoints(trainer.accelerator.unwrap_model(trainer.model), args.output_dir,
                                            result.global_step, config.average_checkpoints)
    if config.length_head:  # what is evaluated, normalised and saved is the quality reward alone
        drop_length_head(trainer.accelerator.unwrap_model(trainer.model))
    eval_metrics = trainer.evaluate() if eval_enc else {}
    normalization = reward_stats(trainer, eval_enc or train_enc) if config.normalize else None

    summary: dict[str, Any] = {
        "steps": result.global_step,
        "train_loss": result.training_loss,
        "train_seconds": seconds,
        "resumed_from": last,
        "averaged_steps": averaged,
        "bf16": args.bf16,
        "fp32_attention_backward": fp32_attention,
        "pooled_last_layer": pooled_last_layer,
        "frozen_parameters": frozen,
        "world_size": args.world_size,
        "template": formatter.template,
        "eval": {k.removeprefix("eval_"): v for k, v in eval_metrics.items() if k in ("eval_accuracy", "eval_margin", "eval_loss")},
        "normalization": normalization,
        "log_history": trainer.state.log_history,
    }
    if trainer.is_world_process_zero():
        out = Path(config.out)
        unwrapped = trainer.accelerator.unwrap_model(trainer.model)
        unwrapped.config.rewardkit = {
            "max_length": config.max_length,
            "template": formatter.template,
            "loss": config.loss,
            "normalization": {"mean": normalization["mean"], "std": normalization["std"]} if normalization else None,
        }
        unwrapped.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)
        counts = {
            "train": {**train_report.to_dict(), **({"excluded_sources": excluded} if excluded else {})},
            "eval": eval_report.to_dict() if config.eval_data else None,
            "truncation": {"train": train_enc.truncation.to_dict(), "eval": eval_enc.truncation.to_dict() if eval_enc else None},
        }
        write_manifest(out, build_manifest("train rm", config.to_dict(), [*config.data, *config.eval_data], counts, result=summary))
        finish_run(config)
    return summary
