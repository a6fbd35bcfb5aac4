"""Train a pairwise generative judge: the Skywork-Critic recipe, supervised fine-tuning on verdicts.

Each preference pair becomes one judge example (or two, ``orders="both"``): the judge
template's prompt with the two answers in some order, and, as the target, the verdict the
template asks for (``[[A]]``, ``{"better_answer": 1, "reason": ...}``, ``Output (a)``, ``1``).
With ``orders="balanced"`` the chosen answer is shown first for exactly half of the pairs
(seeded), so a judge cannot learn a position. The loss is on the verdict tokens only (and the
chat template's end of turn), the prompt is rendered exactly as the transformers judge backend
renders it at inference (`render_chat`), and an over-long prompt loses its start, as there.

Every target is checked before training: it parses back to its winner with the template's own
verdict parser, and it starts with the template's logprob prefix and choice, so the trained
folder works in both ``generate`` and ``logprob`` modes of ``judge:TEMPLATE:DIR``.

The model is trained by the Hugging Face Trainer (AdamW, schedule, bf16 autocast, checkpoints
with exact resume, ``accelerate launch``); padding and the -100 labels are transformers'
`DataCollatorForSeq2Seq`, batches are grouped by length. The output is a plain causal-LM folder
(safetensors and tokenizer) that `rewardkit judge` and vLLM load as they are.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.data.schema import PreferencePair
from rewardkit.errors import DataError, RewardkitError
from rewardkit.models.judges.templates import JudgeTemplate
from rewardkit.models.verdicts import parse_verdict
from rewardkit.train.config import JudgeTrainConfig

CLOSING = {"tag": "]]", "output": ")", "number": ""}  # what follows a logprob choice in each verdict format
RATIONALE_KEY = "rationale"  # a pair's meta field with the reason the chosen answer is better (json templates use it)


@dataclass(frozen=True)
class JudgeExample:
    """One training example: the judge's chat messages and the answer it should give."""

    messages: list[dict[str, str]]
    target: str
    first_wins: bool
    pair_id: str
    source: str


def _json_keys(template: JudgeTemplate) -> tuple[str, str]:
    """(answer key, reason key) of a JSON verdict: the answer key the logprob prefix starts with."""
    m = re.search(r'"([^"]+)"\s*:\s*$', template.logprob_prefix or "")
    answer = m.group(1) if m else "better_answer"
    return answer, "原因" if answer == "更好的回答" else "reason"


def verdict_target(template: JudgeTemplate, first_wins: bool, rationale: str | None = None) -> str:
    """The answer `template` asks for when the first shown answer is (or is not) the better one,
    checked against the template's parser and logprob prefix (see the module docstring)."""
    fmt = template.verdict
    choices = template.logprob_choices
    if fmt != "json" and template.logprob_prefix is not None and choices is not None:
        # the verdict as the logprob mode reads it: its prefix (e.g. "Final verdict: [["), the choice, the closing
        text = template.logprob_prefix + choices[0 if first_wins else 1] + CLOSING[fmt]
    elif fmt == "tag":
        text = "[[A]]" if first_wins else "[[B]]"
    elif fmt == "output":
        text = "Output (a)" if first_wins else "Output (b)"
    elif fmt == "number":
        text = "1" if first_wins else "2"
    else:  # json: the answer first, so that the logprob prefix reads it; the reason after it
        answer, reason = _json_keys(template)
        value: dict[str, Any] = {answer: 1 if first_wins else 2}
        if rationale:
            value[reason] = rationale
        text = json.dumps(value, ensure_ascii=False)
    winner = parse_verdict(text, fmt, allow_tie=template.tie).winner  # type: ignore[arg-type]
    if winner != ("first" if first_wins else "second"):
        raise RewardkitError(f"template {template.name}: the training target {text!r} parses as {winner!r}")
    if template.logprob_prefix is not None and template.logprob_choices is not None:
        expected = template.logprob_prefix + template.logprob_choices[0 if first_wins else 1]
        if not text.startswith(expected):
            raise RewardkitError(f"template {template.name}: the training target {text!r} does not start with the logprob "
                                 f"prefix and choice {expected!r}; logprob verdicts would read another token")
    return text


def judge_examples(pairs: Sequence[PreferencePair], template: JudgeTemplate, *, orders: str = "balanced",
                   seed: int = 0) -> list[JudgeExample]:
    """Judge examples for `pairs` (see the module docstring for ``orders``)."""
    if orders == "both":
        shown = [(p, first) for p in pairs for first in (True, False)]
    elif orders == "balanced":
        order = list(range(len(pairs)))
        random.Random(seed).shuffle(order)
        chosen_first = set(order[: (len(pairs) + 1) // 2])
        shown = [(p, i in chosen_first) for i, p in enumerate(pairs)]
    else:
        raise RewardkitError(f"orders must be balanced or both, not {orders!r}")
    out = []
    for pair, chosen_first in shown:
        a, b = (pair.chosen, pair.rejected) if chosen_first else (pair.rejected, pair.chosen)
        rationale = pair.meta.get(RATIONALE_KEY) if isinstance(pair.meta.get(RATIONALE_KEY), str) else None
        out.append(JudgeExample(template.render(pair.prompt, a, b), verdict_target(template, chosen_first, rationale),
                                chosen_first, pair.id, pair.source))
    return out


def critic_pairs(n: int, seed: int) -> list[PreferencePair]:
    """`n` subtle-error pairs from `data synth`'s training templates (all six families)."""
    from rewardkit.data.synth import SynthConfig, generate_split

    return generate_split(SynthConfig(n_train=max(n, 1), n_test=1, seed=seed), "train")[0][:n]


@dataclass
class EncodedExamples:
    features: list[dict[str, list[int]]]
    truncated: int
    target_tokens: int
    prompt_tokens: int


def completion_text(tokenizer: Any, example: JudgeExample, prompt_text: str) -> str:
    """What follows the prompt: the target and the chat template's end of turn (the template
    rendered with the answer as the assistant turn, past the prompt), else target + EOS."""
    if getattr(tokenizer, "chat_template", None):
        full = tokenizer.apply_chat_template([*example.messages, {"role": "assistant", "content": example.target}], tokenize=False)
        if full.startswith(prompt_text) and example.target in full[len(prompt_text):]:
            return full[len(prompt_text):]
    return example.target + (tokenizer.eos_token or "")


def encode_examples(tokenizer: Any, examples: Sequence[JudgeExample], max_length: int) -> EncodedExamples:
    """input_ids, attention_mask and labels (-100 on the prompt) per example; prompts are
    tokenized as the judge backend does (`render_chat`, no added special tokens)."""
    from rewardkit.models.judges.backends import render_chat

    features, truncated, target_tokens, prompt_tokens = [], 0, 0, 0
    for ex in examples:
        prompt_text = render_chat(tokenizer, ex.messages)
        prompt = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
        completion = tokenizer(completion_text(tokenizer, ex, prompt_text), add_special_tokens=False)["input_ids"]
        if len(completion) >= max_length:
            raise RewardkitError(f"pair {ex.pair_id}: the verdict alone is {len(completion)} tokens, max_length is {max_length}")
        if len(prompt) + len(completion) > max_length:
            prompt = prompt[len(prompt) + len(completion) - max_length:]  # keep the end, as the backend does
            truncated += 1
        ids = prompt + completion
        features.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": [-100] * len(prompt) + completion})
        target_tokens += len(completion)
        prompt_tokens += len(prompt)
    return EncodedExamples(features, truncated, target_tokens, prompt_tokens)


def _read(paths: list[str], invalid: str) -> tuple[list[PreferencePair], Any]:
    from rewardkit.data.io import ReadReport, load_pairs

    report = ReadReport()
    return load_pairs(paths, invalid=invalid, report=report), report


def load_for_training(config: JudgeTrainConfig) -> tuple[Any, Any]:
    """(tokenizer with a pad token, causal LM in fp32 master weights unless asked otherwise), with
    the embeddings and first ``config.freeze_layers`` layers frozen (`rewardkit.train.freezing`)."""
    from rewardkit.data.tokens import load_tokenizer
    from rewardkit.models.loading import LoadOptions, load_causal_lm
    from rewardkit.train.freezing import freeze_bottom

    tokenizer = load_tokenizer(config.model, trust_remote_code=config.trust_remote_code)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    options = LoadOptions(dtype="float32" if config.dtype == "auto" else config.dtype,
                          attn_implementation=config.attn_implementation, trust_remote_code=config.trust_remote_code)
    model = load_causal_lm(config.model, options)
    freeze_bottom(model, config.freeze_layers)
    return tokenizer, model


def train_judge(config: JudgeTrainConfig, *, progress: bool = True) -> dict[str, Any]:
    """Train a judge by ``config.method``; the model folder (and its manifest) goes to ``config.out``."""
    if config.method == "con-j":
        from rewardkit.train.conj import train_conj

        return train_conj(config, progress=progress)
    return train_sft(config, progress=progress)


def train_sft(config: JudgeTrainConfig, *, progress: bool = True) -> dict[str, Any]:
    """Supervised fine-tuning on verdicts; returns the summary the manifest records."""
    import torch
    from transformers import DataCollatorForSeq2Seq, PrinterCallback, Trainer

    from rewardkit.manifest import build_manifest, write_manifest
    from rewardkit.models.judges.templates import load_template
    from rewardkit.train.freezing import frozen_parameters
    from rewardkit.train.rm import RichProgressCallback, training_arguments
    from rewardkit.train.runs import finish_run, input_hashes, plan_run, record_run

    template = load_template(config.template)
    hashes = input_hashes(config)
    plan = plan_run(config, hashes)
    if plan.finished is not None:
        return {**plan.finished.get("result", {}), "already_finished": True}
    torch.manual_seed(config.seed)
    pairs, report = _read(config.data, config.invalid)
    pairs = pairs[: config.limit] if config.limit else pairs
    if not pairs:
        raise DataError(f"no training pairs in {', '.join(config.data)} ({report.summary()})")
    critics = critic_pairs(round(config.synthetic * len(pairs)), config.seed) if config.synthetic else []
    eval_pairs, eval_report = _read(config.eval_data, config.invalid) if config.eval_data else ([], None)
    examples = judge_examples([*pairs, *critics], template, orders=config.orders, seed=config.seed)
    eval_examples = judge_examples(eval_pairs, template, orders="both", seed=config.seed) if eval_pairs else []

    tokenizer, model = load_for_training(config)
    model.config.pad_token_id = tokenizer.pad_token_id
    train_enc = encode_examples(tokenizer, examples, config.max_length)
    eval_enc = encode_examples(tokenizer, eval_examples, config.max_length) if eval_examples else None
    args = training_arguments(config, eval_enc is not None, train_sampling_strategy="group_by_length")
    trainer = Trainer(
        model=model, args=args, train_dataset=train_enc.features, eval_dataset=eval_enc.features if eval_enc else None,
        data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100), processing_class=tokenizer,
        callbacks=[RichProgressCallback()] if progress else [],
    )
    trainer.remove_callback(PrinterCallback)
    if trainer.is_world_process_zero():
        record_run(config, hashes)
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=plan.resume_from)
    seconds = time.perf_counter() - started
    eval_metrics = trainer.evaluate() if eval_enc else {}
    first = Counter(ex.first_wins for ex in examples)
    summary: dict[str, Any] = {
        "method": config.method,
        "template": template.name,
        "steps": result.global_step,
        "train_loss": result.training_loss,
        "train_seconds": seconds,
        "resumed_from": plan.resume_from,
        "frozen_parameters": frozen_parameters(model),
        "bf16": args.bf16,
        "examples": len(examples),
        "critic_pairs": len(critics),
        "first_shown_wins": first[True],
        "second_shown_wins": first[False],
        "target_tokens": train_enc.target_tokens,
        "prompt_tokens": train_enc.prompt_tokens,
        "eval_loss": eval_metrics.get("eval_loss"),
        "log_history": trainer.state.log_history,
    }
    if trainer.is_world_process_zero():
        out = Path(config.out)
        unwrapped = trainer.accelerator.unwrap_model(trainer.model)
        unwrapped.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)
        counts = {"train": report.to_dict(), "eval": eval_report.to_dict() if eval_report else None,
                  "truncated": {"train": train_enc.truncated, "eval": eval_enc.truncated if eval_enc else None}}
        write_manifest(out, build_manifest("train judge", config.to_dict(), [*config.data, *config.eval_data], counts, result=summary))
        finish_run(config)
    return summary
