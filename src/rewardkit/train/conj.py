"""Con-J: a generative judge trained with DPO on its own contrastive judgments, as resumable stages.

    sample  N judgments per pair and answer order at temperature T from the base model, parsed
            with the template's verdict parser; right when the verdict names the human-chosen
            answer. Through any judge backend (transformers: batched ``generate`` with KV cache;
            ``openai:MODEL@URL``: vLLM and other servers), and through the judges' SQLite cache,
            so a killed run asks again only for what it does not have.
            With ``unparsed_wrong`` (the default), a judgment without a verdict counts as a wrong
            one: a small base model that cannot keep the format learns it from these pairs (Con-J's
            filter, which drops them, is ``--no-unparsed-wrong``).
    hint    for (pair, order) groups whose samples are all right or all wrong, ask again with a
            hint in the prompt toward the missing side (the right verdict, or the wrong one).
            The hint is never part of what is saved: the saved prompt is rendered without it,
            and a judgment that repeats the hint is dropped and counted (``leaked``).
    pairs   (right judgment, wrong judgment) pairs, at most `per_prompt` per pair over both
            answer orders (Con-J: 3), with the table: pairs in, judgments sampled, parse rate,
            positives, negatives, pairs built.
    dpo     TRL's `DPOTrainer` (sigmoid loss with β, plus an SFT term on the right judgment
            through TRL's ``loss_type=["sigmoid", "sft"]``, weighted `sft_weight`), starting from
            the base model, which is also the reference.

Each stage writes JSONL plus a manifest under ``OUT/stages/`` and can run on its own (it reads
the previous stage's file); the DPO stage writes the model folder to ``OUT``.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardkit.data.schema import PreferencePair
from rewardkit.errors import DataError, RewardkitError
from rewardkit.models.judges.templates import JudgeTemplate
from rewardkit.models.verdicts import parse_verdict
from rewardkit.train.config import JudgeTrainConfig
from rewardkit.train.judge import load_for_training, verdict_target

STAGES = ("sample", "hint", "pairs", "dpo")
ORDERS = ("chosen-first", "chosen-second")


def stage_path(out: str | Path, stage: str) -> Path:
    return Path(out) / "stages" / f"{stage}.jsonl"


def hint_text(template: JudgeTemplate, first_wins: bool) -> str:
    """The hint appended to the judge's request: which verdict to justify."""
    return f"(Hint: the better answer is the one the verdict {verdict_target(template, first_wins)} names.)"


def judge_chat(template: JudgeTemplate, pair: PreferencePair, order: str, hint: str | None = None) -> list[dict[str, str]]:
    """The judge's messages for `pair` shown in `order`, with `hint` appended to the request."""
    a, b = (pair.chosen, pair.rejected) if order == "chosen-first" else (pair.rejected, pair.chosen)
    messages = template.render(pair.prompt, a, b)
    if hint:
        messages[-1] = {**messages[-1], "content": messages[-1]["content"] + "\n\n" + hint}
    return messages


def label(row: dict[str, Any], unparsed_wrong: bool) -> bool | None:
    """Right (True), wrong (False) or neither (None, a tie): with `unparsed_wrong`, a judgment
    without a verdict is a wrong one."""
    if row["verdict"] == "unparsed":
        return False if unparsed_wrong else None
    return row["correct"]


def judgment(template: JudgeTemplate, order: str, text: str) -> dict[str, Any]:
    """Parse one judgment: its verdict (as shown) and whether it names the human-chosen answer."""
    winner = parse_verdict(text, template.verdict, allow_tie=template.tie).winner  # type: ignore[arg-type]
    right = {"chosen-first": "first", "chosen-second": "second"}[order]
    correct = None if winner in ("unparsed", "tie") else winner == right
    return {"verdict": winner, "correct": correct}


def _write_stage(out: str | Path, stage: str, rows: list[dict[str, Any]], config: JudgeTrainConfig, inputs: list[str],
                 counts: dict[str, Any]) -> Path:
    from rewardkit.data.containers import write_text_atomic
    from rewardkit.manifest import build_manifest

    path = stage_path(out, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    manifest = build_manifest(f"train judge --method con-j --stage {stage}", config.to_dict(), inputs, counts)
    write_text_atomic(path.with_suffix(".manifest.json"), json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def _read_stage(out: str | Path, stage: str) -> list[dict[str, Any]]:
    path = stage_path(out, stage)
    if not path.is_file():
        raise RewardkitError(f"{path} is missing: run the {stage} stage first (--stage {stage}, or --stage all)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sampled(backend: Any, template: JudgeTemplate, chats: list[list[dict[str, str]]], config: JudgeTrainConfig, cache: Any,
             seed: int, desc: str, progress: bool) -> list[list[str]]:
    """`config.samples` answers per chat through the response cache, in chunks (a kill keeps every finished chunk)."""
    from rewardkit.console import progress_for
    from rewardkit.models.judges.cache import cache_key

    tokens = config.max_new_tokens or template.max_new_tokens
    extra = {"n": config.samples, "temperature": config.temperature, "seed": seed, "max_new_tokens": tokens}
    keys = [cache_key(backend.name, template.fingerprint, "sample", c, extra) for c in chats]
    found = cache.get_many(keys)
    todo = [i for i, k in enumerate(keys) if k not in found]
    with progress_for(desc, total=len(chats), enabled=progress) as advance:
        advance(len(chats) - len(todo))
        for start in range(0, len(todo), 16):
            part = todo[start : start + 16]
            got = backend.sample([chats[i] for i in part], tokens, config.samples, config.temperature, seed, advance)
            for i, answers in zip(part, got):
                found[keys[i]] = answers
                cache.put(keys[i], answers)
    return [found[k] for k in keys]


def run_sample(config: JudgeTrainConfig, pairs: Sequence[PreferencePair], backend: Any, template: JudgeTemplate, cache: Any,
               progress: bool = True) -> list[dict[str, Any]]:
    groups = [(p, o) for p in pairs for o in ORDERS]
    answers = _sampled(backend, template, [judge_chat(template, p, o) for p, o in groups], config, cache, config.seed,
                       "sampling judgments", progress)
    return [{"pair_id": p.id, "order": o, "sample": j, "hinted": False, "text": t, **judgment(template, o, t)}
            for (p, o), texts in zip(groups, answers) for j, t in enumerate(texts)]


def run_hint(config: JudgeTrainConfig, pairs: Sequence[PreferencePair], sampled: list[dict[str, Any]], backend: Any,
             template: JudgeTemplate, cache: Any, progress: bool = True) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Hinted judgments for the groups without a right-and-wrong mix (see the module docstring)."""
    by_group: dict[tuple[str, str], list[bool | None]] = defaultdict(list)
    for r in sampled:
        by_group[(r["pair_id"], r["order"])].append(label(r, config.unparsed_wrong))
    byid = {p.id: p for p in pairs}
    asks: list[tuple[PreferencePair, str, bool, str]] = []  # pair, order, toward the right verdict?, hint
    for (pid, order), marks in sorted(by_group.items()):
        has_right, has_wrong = True in marks, False in marks
        if has_right and has_wrong:
            continue
        toward_right = not has_right  # all wrong (or unparsed): hint the right verdict; all right: the wrong one
        first_wins = (order == "chosen-first") == toward_right
        asks.append((byid[pid], order, toward_right, hint_text(template, first_wins)))
    answers = _sampled(backend, template, [judge_chat(template, p, o, h) for p, o, _, h in asks], config, cache,
                       config.seed + 1, "hinted judgments", progress)
    rows, leaked = [], 0
    for (p, order, toward_right, hint), texts in zip(asks, answers):
        for j, text in enumerate(texts):
            if hint in text or "Hint:" in text:
                leaked += 1
                continue
            rows.append({"pair_id": p.id, "order": order, "sample": j, "hinted": True,
                         "hint": "toward-right" if toward_right else "toward-wrong", "text": text, **judgment(template, order, text)})
    return rows, {"groups_hinted": len(asks), "judgments": sum(map(len, answers)), "leaked": leaked}


def build_pairs(pairs: Sequence[PreferencePair], judgments: list[dict[str, Any]], template: JudgeTemplate, per_prompt: int,
                seed: int, unparsed_wrong: bool = False) -> list[dict[str, Any]]:
    """(right, wrong) judgment pairs per the module docstring; the prompt is rendered without any hint."""
    rng = random.Random(seed)
    by_group: dict[tuple[str, str], dict[bool, list[str]]] = defaultdict(lambda: {True: [], False: []})
    for r in judgments:
        mark = label(r, unparsed_wrong)
        if mark is not None and r["text"] not in by_group[(r["pair_id"], r["order"])][mark]:
            by_group[(r["pair_id"], r["order"])][mark].append(r["text"])
    rows = []
    for p in pairs:
        options = {}
        for order in ORDERS:
            right, wrong = by_group[(p.id, order)][True], by_group[(p.id, order)][False]
            rng.shuffle(right)
            rng.shuffle(wrong)
            options[order] = list(zip(right, wrong))
        taken = 0
        while taken < per_prompt and any(options.values()):  # alternate the orders, so both are represented
            for order in ORDERS:
                if options[order] and taken < per_prompt:
                    good, bad = options[order].pop(0)
                    rows.append({"pair_id": p.id, "order": order, "prompt": judge_chat(template, p, order), "chosen": good, "rejected": bad})
                    taken += 1
    return rows


def pairs_table(pairs_in: int, judgments: list[dict[str, Any]], built: int | None) -> dict[str, Any]:
    """The stage table; ``built`` is None before the `pairs` stage has run."""
    parsed = [r for r in judgments if r["verdict"] not in ("unparsed",)]
    return {"pairs_in": pairs_in, "judgments": len(judgments), "hinted": sum(r["hinted"] for r in judgments),
            "parse_rate": len(parsed) / len(judgments) if judgments else None,
            "positives": sum(r["correct"] is True for r in judgments), "negatives": sum(r["correct"] is False for r in judgments),
            "pairs_built": built}


def run_dpo(config: JudgeTrainConfig, rows: list[dict[str, Any]], progress: bool = True) -> dict[str, Any]:
    """TRL's DPOTrainer on the judgment pairs; the model folder goes to ``config.out``."""
    try:
        from trl import DPOConfig, DPOTrainer
    except ImportError:
        from rewardkit.errors import MissingPackageError

        raise MissingPackageError("the Con-J dpo stage needs TRL: pip install trl==1.16.0") from None
    import torch
    from datasets import Dataset
    from transformers import PrinterCallback

    from rewardkit.manifest import describe_input
    from rewardkit.models.judges.backends import render_chat
    from rewardkit.models.loading import bf16_supported, default_device
    from rewardkit.train.freezing import frozen_parameters
    from rewardkit.train.rm import RichProgressCallback
    from rewardkit.train.runs import checkpoint_to_resume, input_hashes, record_run

    if not rows:
        raise DataError("no contrastive judgment pairs to train on: every group was all right or all wrong even with hints; "
                        "sample more (--samples) or at a higher --temperature")
    # a killed DPO stage continues from its last checkpoint when the settings and the pairs file
    # are the same (the reference log-probs are recomputed; they are not in the checkpoint)
    hashes = [*input_hashes(config), describe_input(str(stage_path(config.out, "pairs")))]
    if config.overwrite:  # start the DPO stage over; the stage files before it stay
        shutil.rmtree(Path(config.out) / "checkpoints", ignore_errors=True)
    resume_from = checkpoint_to_resume(config, hashes)
    torch.manual_seed(config.seed)
    tok, model = load_for_training(config)
    data, truncated = [], 0
    for r in rows:  # prompts rendered as the judge backend renders them; an over-long one loses its start, as there
        prompt = render_chat(tok, r["prompt"])
        ids = tok(prompt, add_special_tokens=False)["input_ids"]
        room = config.max_length - max(len(tok(r[k], add_special_tokens=False)["input_ids"]) for k in ("chosen", "rejected")) - 1
        if room < 1:
            raise RewardkitError(f"pair {r['pair_id']}: a judgment alone exceeds max_length {config.max_length}")
        if len(ids) > room:
            prompt, truncated = tok.decode(ids[-room:]), truncated + 1
        data.append({"prompt": prompt, "chosen": r["chosen"], "rejected": r["rejected"]})
    device = default_device()
    args = DPOConfig(
        output_dir=str(Path(config.out) / "checkpoints"), beta=config.beta, loss_type=["sigmoid", "sft"],
        loss_weights=[1.0, config.sft_weight], learning_rate=config.learning_rate, per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum, num_train_epochs=config.epochs, max_steps=config.max_steps,
        warmup_steps=config.warmup_ratio, lr_scheduler_type=config.lr_scheduler, weight_decay=config.weight_decay,
        bf16=bf16_supported(device) if config.bf16 is None else config.bf16, use_cpu=device == "cpu", seed=config.seed,
        logging_steps=config.logging_steps, save_steps=config.save_steps, save_total_limit=config.save_total_limit,
        report_to="none", disable_tqdm=True, max_length=None, precompute_ref_log_probs=True,
    )
    trainer = DPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(data), processing_class=tok,
                         callbacks=[RichProgressCallback()] if progress else [])
    trainer.remove_callback(PrinterCallback)
    if trainer.is_world_process_zero():
        record_run(config, hashes)
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume_from)
    summary = {"steps": result.global_step, "train_loss": result.training_loss, "train_seconds": time.perf_counter() - started,
               "resumed_from": resume_from, "frozen_parameters": frozen_parameters(model), "dpo_pairs": len(data), "truncated_prompts": truncated, "bf16": args.bf16,
               "log_history": trainer.state.log_history}
    trainer.save_model(config.out)
    tok.save_pretrained(config.out)
    return summary


def train_conj(config: JudgeTrainConfig, *, progress: bool = True) -> dict[str, Any]:
    """Run ``config.stage`` (one stage, or all four, reusing finished stage files); returns the summary."""
    from rewardkit.data.io import ReadReport, load_pairs
    from rewardkit.manifest import build_manifest, write_manifest
    from rewardkit.models.judges import load_backend
    from rewardkit.models.judges.cache import ResponseCache
    from rewardkit.models.judges.templates import load_template
    from rewardkit.train.runs import finish_run

    template = load_template(config.template)
    report = ReadReport()
    pairs = load_pairs(config.data, invalid=config.invalid, report=report)
    if config.limit:
        pairs = pairs[: config.limit]
    if not pairs:
        raise DataError(f"no training pairs in {', '.join(config.data)} ({report.summary()})")
    stages = STAGES if config.stage == "all" else (config.stage,)
    out, summary = Path(config.out), {"stages": list(stages), "pairs_in": len(pairs), "read": report.to_dict()}
    backend = cache = None
    if {"sample", "hint"} & set(stages):
        backend = load_backend(config.sampler or config.model, batch_size=config.batch_size,
                               trust_remote_code=config.trust_remote_code)
        cache = ResponseCache(out / "stages" / "cache.sqlite")
    if "sample" in stages:
        rows = run_sample(config, pairs, backend, template, cache, progress)
        _write_stage(out, "sample", rows, config, config.data, {"judgments": len(rows)})
        summary["sample"] = pairs_table(len(pairs), rows, None)
    if "hint" in stages:
        rows, counts = run_hint(config, pairs, _read_stage(out, "sample"), backend, template, cache, progress)
        _write_stage(out, "hint", rows, config, [str(stage_path(out, "sample"))], counts)
        summary["hint"] = counts
    if "pairs" in stages:
        judgments = _read_stage(out, "sample") + (_read_stage(out, "hint") if stage_path(out, "hint").is_file() else [])
        rows = build_pairs(pairs, judgments, template, config.per_prompt, config.seed, config.unparsed_wrong)
        table = pairs_table(len(pairs), judgments, len(rows))
        _write_stage(out, "pairs", rows, config, [str(stage_path(out, s)) for s in ("sample", "hint")], table)
        summary["pairs"] = table
    if "dpo" in stages:
        result = run_dpo(config, _read_stage(out, "pairs"), progress)
        summary["dpo"] = result
        write_manifest(out, build_manifest("train judge", config.to_dict(), [*config.data, str(stage_path(out, "pairs"))],
                                           {"read": report.to_dict()}, result=summary))
        finish_run(config)
    if cache is not None:
        cache.close()
    return summary
