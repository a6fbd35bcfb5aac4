"""Training generative judges on a CPU (issue 11): SmolLM2-135M zero-shot, after Skywork-Critic
SFT, and after the Con-J loop, side by side on a stratified rb-open sample in both orders.

Con-J starts from the SFT judge when the same run trained one (zero-shot SmolLM2-135M writes no
parseable verdict at all, so its own judgments have nothing to contrast).

Training pairs: `sample_evenly` from the shared pool (rb-open prompts left out), keeping pairs
whose judge prompt fits `--max-length` tokens (counted). rb-open: `--eval-per-section` pairs
drawn per section (seeded), judged in both orders, in logprob and generate modes. Reported per
judge and mode: score (mean of the sections), sections, position consistency, the share of
verdicts unparsed, and wall-clock minutes of training.

Also the sampling stage's speed: the Con-J `sample` stage (batched `generate` with
``num_return_sequences`` and KV cache) in tokens/s against a naive loop that calls `generate`
once per prompt and sample on the same prompts; and logprob verdicts against generated
verdicts with a rationale (the con-j-en template, 256 new tokens) on the same pairs.

    python bench/judge_training.py [--train-per-file 200] [--eval-per-section 50]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RB_OPEN, RESULTS, require_shared, sample_evenly, write_result  # noqa: E402

from rewardkit.data.io import load_pairs, write_pairs  # noqa: E402
from rewardkit.evaluate.benchmarks import REWARDBENCH  # noqa: E402
from rewardkit.evaluate.runner import EvalOptions, run_evaluation  # noqa: E402
from rewardkit.models.judges import GenerativeJudge, load_template  # noqa: E402
from rewardkit.models.judges.backends import TransformersBackend  # noqa: E402
from rewardkit.train.config import JudgeTrainConfig  # noqa: E402
from rewardkit.train.judge import train_judge  # noqa: E402

TEMPLATE = "skywork-critic"


def eval_sample(per_section: int, seed: int = 0) -> list:
    pairs = load_pairs(str(RB_OPEN))
    rng = random.Random(seed)
    picked = []
    for subsets in REWARDBENCH.sections.values():
        members = [p for p in pairs if p.subset in subsets]
        picked += rng.sample(members, min(per_section, len(members)))
    return picked


def fits(pairs: list, max_length: int) -> list:
    from rewardkit.data.tokens import load_tokenizer
    from rewardkit.models.judges.backends import render_chat

    tok, tpl = load_tokenizer("smollm2"), load_template(TEMPLATE)  # the tokenizer alone: no model to load for counting
    return [p for p in pairs
            if len(tok(render_chat(tok, tpl.render(p.prompt, p.chosen, p.rejected)), add_special_tokens=False)["input_ids"]) + 16 <= max_length]


def evaluate(model: str, data: Path, out: Path, mode: str) -> dict:
    done = run_evaluation(f"judge:{TEMPLATE}:{model}", [str(data)], out, EvalOptions(baselines=False, batch_size=8, bootstrap=0,
                                                                                    judge_mode=mode, max_length=2048))
    r = done["results"][0]
    pos = r.get("position") or {}
    return {"score": r["score"], "sections": r["sections"], "consistency": pos.get("consistency"),
            "unparsed_rate": pos.get("unparsed_rate"), "first_shown_wins": pos.get("first_shown_wins"), "seconds": r.get("seconds")}


def sampling_speed(prompts: list, n: int, max_new_tokens: int) -> dict:
    """Batched sampling (the `sample` stage) against one `generate` call per prompt and sample."""
    import torch

    backend = TransformersBackend("smollm2", batch_size=8)
    started = time.perf_counter()
    batched = backend.sample(prompts, max_new_tokens, n, 1.0, 0)
    batched_s = time.perf_counter() - started
    started = time.perf_counter()
    naive = []
    for chat in prompts:
        ids = torch.tensor([backend.encode(backend.render(chat))])
        for _ in range(n):
            with torch.inference_mode():
                g = backend.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                                           do_sample=True, temperature=1.0, top_p=None, top_k=None, pad_token_id=backend.pad_id)
            naive.append(g[0, ids.shape[1]:])
    naive_s = time.perf_counter() - started
    tok = backend.tokenizer
    batched_tokens = sum(len(tok(t, add_special_tokens=False)["input_ids"]) for texts in batched for t in texts)
    naive_tokens = sum(len(g) for g in naive)
    return {"prompts": len(prompts), "samples": n, "max_new_tokens": max_new_tokens,
            "batched_tokens_per_s": batched_tokens / batched_s, "naive_tokens_per_s": naive_tokens / naive_s,
            "speedup": (batched_tokens / batched_s) / (naive_tokens / naive_s)}


def verdict_speed(pairs: list) -> dict:
    """Logprob verdicts (skywork-critic) against generated verdicts with a rationale (con-j-en, 256 tokens)."""
    backend = TransformersBackend("smollm2", batch_size=8)
    triples = [(p.prompt, p.chosen, p.rejected) for p in pairs]
    out = {}
    for name, template, mode, tokens in (("logprob", TEMPLATE, "logprob", None), ("rationale", "con-j-en", "generate", 256)):
        judge = GenerativeJudge(backend, load_template(template), mode=mode, orders="both", max_new_tokens=tokens)
        started = time.perf_counter()
        judge.judge(triples)
        out[f"{name}_pairs_per_s"] = len(triples) / (time.perf_counter() - started)
    out["speedup"] = out["logprob_pairs_per_s"] / out["rationale_pairs_per_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-per-file", type=int, default=200, help="training pairs per shared file before the length filter (default: %(default)s)")
    ap.add_argument("--eval-per-section", type=int, default=50, help="rb-open pairs per section (default: %(default)s)")
    ap.add_argument("--max-length", type=int, default=1024, help="judge prompt + verdict tokens (default: %(default)s)")
    ap.add_argument("--sft-lr", type=float, default=3e-5, help="(default: %(default)s)")
    ap.add_argument("--sft-epochs", type=float, default=2.0, help="(default: %(default)s)")
    ap.add_argument("--sft-orders", choices=["balanced", "both"], default="balanced",
                    help="SFT examples: one order per pair (half chosen-first) or both orders of every pair (default: %(default)s)")
    ap.add_argument("--conj-limit", type=int, default=None, help="Con-J on the first N training pairs only (default: all)")
    ap.add_argument("--conj-lr", type=float, default=1e-5, help="DPO learning rate (Con-J's 5e-7 is for 7B) (default: %(default)s)")
    ap.add_argument("--samples", type=int, default=4, help="Con-J judgments per pair and order (default: %(default)s)")
    ap.add_argument("--methods", nargs="*", default=["zero-shot", "sft", "con-j"], help="(default: %(default)s)")
    ap.add_argument("--modes", nargs="*", default=["logprob", "generate"], help="(default: %(default)s)")
    ap.add_argument("--speed-prompts", type=int, default=16, help="prompts for the speed checks (default: %(default)s)")
    ap.add_argument("--speed-new-tokens", type=int, default=64, help="tokens per sampled judgment in the speed check (default: %(default)s)")
    ap.add_argument("--speed-only", action="store_true", help="only the two speed checks, on an idle machine; the judges' rows "
                    "already in bench/results/judge_training.json are kept")
    ap.add_argument("--skip-speed", action="store_true", help="leave out the two speed checks (their figures already in the "
                    "results file are kept)")
    ap.add_argument("--out", default="runs/bench-judge-training", help="(default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    out = Path(args.out)
    started = time.perf_counter()
    train, _, info = sample_evenly(args.train_per_file, 0)
    kept = fits(train, args.max_length)
    data = out / "data" / "train.jsonl"
    write_pairs(kept, str(data))
    evalset = out / "data" / "rb-open-sample.jsonl"
    write_pairs(eval_sample(args.eval_per_section), str(evalset))
    result: dict = {"train_pairs": len(kept), "train_pairs_before_length_filter": len(train), "sampling": info,
                    "eval_pairs": len(load_pairs(str(evalset))), "template": TEMPLATE, "judges": {}}
    previous = RESULTS / "judge_training.json"
    if previous.is_file():  # rows of other methods and settings stay in the table
        before = json.loads(previous.read_text())
        if args.speed_only:
            result = {k: v for k, v in before.items() if k != "machine"}
        elif before.get("train_pairs") == result["train_pairs"] and before.get("eval_pairs") == result["eval_pairs"]:
            result["judges"] = before.get("judges", {})
            result.update({k: before[k] for k in ("sample_speed", "verdict_speed", "speed_wall_minutes") if k in before})
    path = None
    suffix = ", orders both" if args.sft_orders == "both" else ""
    for method in [] if args.speed_only else args.methods:
        t0 = time.perf_counter()
        model = "smollm2"
        name = method if method == "zero-shot" else f"{method}{suffix}"
        if method != "zero-shot":
            folder = out / method
            common = dict(model="smollm2", template=TEMPLATE, data=[str(data)], out=str(folder), max_length=args.max_length,
                          batch_size=8, overwrite=True, logging_steps=10, save_steps=10_000)
            if method == "sft":
                cfg = JudgeTrainConfig(method="sft", learning_rate=args.sft_lr, epochs=args.sft_epochs, orders=args.sft_orders, **common)
            else:  # from the SFT judge when there is one: zero-shot SmolLM2-135M never writes a verdict to contrast
                base = str(out / "sft") if (out / "sft" / "manifest.json").is_file() else "smollm2"
                cfg = JudgeTrainConfig(method="con-j", learning_rate=args.conj_lr, samples=args.samples, max_new_tokens=16,
                                       limit=args.conj_limit, **{**common, "model": base})
            summary = train_judge(cfg)
            model = str(folder)
            result["judges"][name] = {"train": {k: v for k, v in summary.items() if k not in ("log_history", "dpo", "read")},
                                      "settings": {"lr": cfg.learning_rate, "epochs": cfg.epochs, "orders": cfg.orders,
                                                   "limit": cfg.limit, "base": cfg.model}}
            if method == "con-j":
                result["judges"][name]["train"]["dpo"] = {k: v for k, v in summary["dpo"].items() if k != "log_history"}
        train_minutes = (time.perf_counter() - t0) / 60
        row = result["judges"].setdefault(name, {})
        row["train_minutes"] = train_minutes if method != "zero-shot" else 0.0
        for mode in args.modes:
            row[mode] = evaluate(model, evalset, out / "eval" / f"{method}-{mode}", mode)
            print(f"{name} {mode}: {json.dumps(row[mode])}", flush=True)
        path = write_result("judge_training", result)
    if args.skip_speed:
        result["wall_minutes"] = (time.perf_counter() - started) / 60
        print(f"-> {write_result('judge_training', result)}")
        return
    prompts = [load_template(TEMPLATE).render(p.prompt, p.chosen, p.rejected) for p in kept[: args.speed_prompts]]
    result["sample_speed"] = sampling_speed(prompts, args.samples, args.speed_new_tokens)
    result["verdict_speed"] = verdict_speed(kept[: args.speed_prompts])
    result["speed_wall_minutes" if args.speed_only else "wall_minutes"] = (time.perf_counter() - started) / 60
    path = write_result("judge_training", result)
    print(json.dumps({k: result[k] for k in ("sample_speed", "verdict_speed")}, indent=1))
    print(f"-> {path}")


if __name__ == "__main__":
    main()
