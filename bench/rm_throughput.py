"""Training and scoring throughput of rewardkit against the tools users run today (issue 6).

(a) training: rewardkit `train rm` vs TRL's `RewardTrainer`, same backbone (MiniLM), same
    pre-tokenized pairs (TRL drops over-length pairs and appends EOS, which BERT lacks, so both
    get the same ids), batch size, steps, learning rate and precision; TRL's activation
    checkpointing (on by default) is turned off so both do the same compute. Tokens/s counts
    real (non-pad) tokens. Both models' held-out accuracy is shown. Two more rewardkit arms
    freeze the embeddings and layer 1 (`--freeze-layers 1`, what configs/rm-quality.yaml trains
    with) or layers 1-2: less work per token, so their held-out accuracy is the check that it did
    not cost quality at equal steps.
(b) scoring: `ClassifierScorer` (length-sorted batches of 32, inference_mode; fp32, bf16 autocast
    over fp32 weights, and bf16 weights, each with how often it orders a pair as the fp32
    pipeline does) vs a reward-bench-style transformers text-classification pipeline (batch 8,
    unsorted, fp32) on the same model and the first 256 rb-open pairs (512 conversations).
(c) achieved fraction of the measured matmul ceiling for each, counting the FLOPs each arm does
    (rewardkit computes a BERT's last layer for [CLS] alone, `rewardkit.models.pooled_layer`).

    python bench/rm_throughput.py [--steps 40] [--batch 16] [--skip-train]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from common import RB_OPEN, RESULTS, require_shared, sample_evenly, write_result  # noqa: E402
from flops import forward_flops, matmul_ceiling  # noqa: E402

from rewardkit.data.chat import ChatFormatter, plain_prompt_text, plain_response_text  # noqa: E402
from rewardkit.data.io import load_pairs, write_pairs  # noqa: E402
from rewardkit.models.classifier import ClassifierScorer, load_sequence_classifier  # noqa: E402
from rewardkit.models.protocols import pair_conversations, pair_rewards  # noqa: E402
from rewardkit.train.config import RMTrainConfig  # noqa: E402
from rewardkit.train.data import encode_pairs  # noqa: E402
from rewardkit.train.rm import train_reward_model  # noqa: E402


def held_out_accuracy(folder: str, held) -> float:
    rewards = ClassifierScorer.load(folder, bf16=True).score(pair_conversations(held))
    return sum(c > r for c, r in pair_rewards(rewards)) / len(held)


def bench_training(args, work: Path, ceilings: dict[str, float]) -> dict:
    from datasets import Dataset
    from transformers.utils import logging as hf_logging
    from trl import RewardConfig, RewardTrainer

    hf_logging.disable_progress_bar()
    n_pairs = args.steps * args.batch
    train, held, _ = sample_evenly(per_file=n_pairs // 4 + 1, held_out_per_file=50, seed=1)
    train = train[:n_pairs]
    write_pairs(train, str(work / "train.jsonl"))
    model, tok = load_sequence_classifier("minilm")
    enc = encode_pairs(train, ChatFormatter(tok, max_length=args.max_length))
    real_tokens = sum(len(c) + len(r) for c, r in zip(enc.chosen, enc.rejected))
    seq_lengths = [len(s) for s in enc.chosen + enc.rejected]
    flops_per_pass = forward_flops(model, seq_lengths)
    pooled_flops_per_pass = forward_flops(model, seq_lengths, pooled_last_layer=True)  # what rewardkit's arms compute
    results, frozen_layers = {}, {}

    # the defaults, two length buckets, and two buckets with the embeddings and layer 1 (the quality
    # recipe's config) or layers 1-2 frozen
    for name, buckets, frozen in (("rewardkit", 1, 0), ("rewardkit-buckets2", 2, 0), ("rewardkit-buckets2-freeze1", 2, 1),
                                  ("rewardkit-buckets2-freeze2", 2, 2)):
        cfg = RMTrainConfig(model="minilm", data=[str(work / "train.jsonl")], out=str(work / name), max_steps=args.steps,
                            batch_size=args.batch, learning_rate=args.lr, max_length=args.max_length, bf16=args.bf16,
                            logging_steps=10, save_steps=10_000, overwrite=True, seed=0, length_buckets=buckets,
                            freeze_layers=frozen)
        summary = train_reward_model(cfg, progress=False)
        if frozen:
            frozen_layers[name] = frozen
        runtime = next(h["train_runtime"] for h in summary["log_history"] if "train_runtime" in h)
        results[name] = {"seconds": runtime, "tokens_per_s": real_tokens / runtime,
                         "held_out_accuracy": held_out_accuracy(str(work / name), held)}

    trl_model, trl_tok = load_sequence_classifier("minilm")
    dataset = Dataset.from_dict({"chosen_ids": [c.tolist() for c in enc.chosen], "rejected_ids": [r.tolist() for r in enc.rejected]})
    trl_args = RewardConfig(output_dir=str(work / "trl"), per_device_train_batch_size=args.batch, max_steps=args.steps,
                            learning_rate=args.lr, bf16=args.bf16, use_cpu=True, activation_checkpointing=False,
                            max_length=None, report_to="none", logging_steps=10, save_strategy="no", disable_tqdm=True,
                            seed=0, warmup_steps=0.05, lr_scheduler_type="linear")
    trainer = RewardTrainer(model=trl_model, args=trl_args, train_dataset=dataset, processing_class=trl_tok)
    out = trainer.train()
    trainer.save_model(str(work / "trl-model"))
    trl_tok.save_pretrained(str(work / "trl-model"))
    results["trl"] = {"seconds": out.metrics["train_runtime"], "tokens_per_s": real_tokens / out.metrics["train_runtime"],
                      "held_out_accuracy": held_out_accuracy(str(work / "trl-model"), held)}
    ceiling = ceilings["bf16" if args.bf16 else "fp32"]
    for name, r in results.items():  # forward + backward ~ 3x forward
        work = flops_per_pass if name == "trl" else pooled_flops_per_pass
        r["ceiling_fraction"] = 3 * work / r["seconds"] / 1e9 / ceiling
    # a frozen arm runs no backward through its frozen layers: 3 - 2 * frozen / layers forwards' work a step
    for name, frozen in frozen_layers.items():
        results[name]["ceiling_fraction"] *= (3 - 2 * frozen / model.config.num_hidden_layers) / 3
    return {"pairs": n_pairs, "steps": args.steps, "batch": args.batch, "bf16": args.bf16, "max_length": args.max_length,
            "real_tokens": real_tokens, "held_out_pairs": len(held), "runs": results,
            "speedup": {k: r["tokens_per_s"] / results["trl"]["tokens_per_s"] for k, r in results.items() if k != "trl"}}


def bench_scoring(ceilings: dict[str, float], n_pairs: int) -> dict:
    from transformers import pipeline

    pairs = load_pairs(str(RB_OPEN))[:n_pairs]
    convs = pair_conversations(pairs)
    results = {}
    model, tok = load_sequence_classifier("minilm")
    fmt = ChatFormatter(tok, max_length=512)
    lengths = [len(e.input_ids) for e in fmt.encode_batch(convs)]
    tokens, flops = sum(lengths), forward_flops(model, lengths)
    pooled_flops = forward_flops(model, lengths, pooled_last_layer=True)  # what ClassifierScorer computes

    pipe = pipeline("text-classification", model=model, tokenizer=tok, device="cpu", function_to_apply="none")
    inputs = [{"text": plain_prompt_text(p), "text_pair": plain_response_text(r)} for p, r in convs]
    with torch.inference_mode():
        pipe(inputs[:8], batch_size=8, truncation=True, max_length=512)  # warm-up
        start = time.perf_counter()
        out = pipe(inputs, batch_size=8, truncation=True, max_length=512)
        seconds = time.perf_counter() - start
    pipe_scores = [o["score"] for o in out]
    results["pipeline-b8-fp32"] = {"seconds": seconds}
    n = len(pairs)
    pipe_order = [c > r for c, r in zip(pipe_scores[:n], pipe_scores[n:])]
    bf16_model = copy.deepcopy(model).to(torch.bfloat16)
    # fp32 weights, fp32 or bf16 autocast (`--dtype auto` on a bf16 CPU), then bf16 weights (`--dtype bfloat16`)
    for name, weights, bf16 in (("rewardkit-b32-fp32", model, False), ("rewardkit-b32-bf16", model, True),
                                ("rewardkit-b32-bf16-weights", bf16_model, False)):
        scorer = ClassifierScorer(weights, tok, name="minilm", batch_size=32, bf16=bf16, max_length=512)
        scorer.score(convs[:32])  # warm-up
        start = time.perf_counter()
        scores = scorer.score(convs)
        order = [c > r for c, r in zip(scores[:n], scores[n:])]
        results[name] = {"seconds": time.perf_counter() - start,
                         "max_abs_diff_vs_pipeline": max(abs(a - b) for a, b in zip(scores, pipe_scores)),
                         "pair_order_agreement_vs_pipeline": sum(a == b for a, b in zip(order, pipe_order)) / n}
    base = results["pipeline-b8-fp32"]["seconds"]
    for name, r in results.items():
        r["tokens_per_s"] = tokens / r["seconds"]
        r["speedup_vs_pipeline"] = base / r["seconds"]
        work = flops if name.startswith("pipeline") else pooled_flops
        r["ceiling_fraction"] = work / r["seconds"] / 1e9 / ceilings["bf16" if "bf16" in name else "fp32"]
    return {"conversations": len(convs), "real_tokens": tokens, "runs": results}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40, help="training steps per arm (default: %(default)s)")
    ap.add_argument("--batch", type=int, default=16, help="pairs per step (default: %(default)s)")
    ap.add_argument("--lr", type=float, default=5e-5, help="learning rate (default: %(default)s)")
    ap.add_argument("--max-length", type=int, default=512, help="tokens per sequence (default: %(default)s)")
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True, help="bf16 autocast for both arms (default: %(default)s)")
    ap.add_argument("--score-pairs", type=int, default=256, help="rb-open pairs scored in the scoring comparison (default: %(default)s)")
    ap.add_argument("--skip-train", action="store_true", help="measure scoring only (default: %(default)s)")
    ap.add_argument("--work", default="runs/bench-rm-throughput", help="working folder (default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    torch.manual_seed(0)
    ceilings = {"fp32": matmul_ceiling(torch.float32), "bf16": matmul_ceiling(torch.bfloat16)}
    result: dict = {"matmul_ceiling_gflops": ceilings}
    result["scoring"] = bench_scoring(ceilings, args.score_pairs)
    if not args.skip_train:
        result["training"] = bench_training(args, Path(args.work), ceilings)
    elif (RESULTS / "rm_throughput.json").exists():  # keep the last training measurement, marked as such
        previous = json.loads((RESULTS / "rm_throughput.json").read_text())
        if "training" in previous:
            result["training"] = {**previous["training"], "measured_in_an_earlier_run": True}
    path = write_result("rm_throughput", result)

    print(f"matmul ceiling: fp32 {ceilings['fp32']:.0f} GFLOP/s, bf16 {ceilings['bf16']:.0f} GFLOP/s")
    print(f"\nscoring {result['scoring']['conversations']} rb-open conversations ({result['scoring']['real_tokens']:,} tokens)")
    print(f"{'run':<22}{'tokens/s':>10}{'speedup':>9}{'ceiling':>9}")
    for name, r in result["scoring"]["runs"].items():
        print(f"{name:<22}{r['tokens_per_s']:>10,.0f}{r['speedup_vs_pipeline']:>8.2f}x{100 * r['ceiling_fraction']:>8.1f}%")
    if "training" in result:
        t = result["training"]
        print(f"\ntraining MiniLM, {t['steps']} steps x {t['batch']} pairs, bf16={t['bf16']}, max_length {t['max_length']}")
        print(f"{'run':<22}{'tokens/s':>10}{'held-out acc':>14}{'ceiling':>9}")
        for name, r in t["runs"].items():
            print(f"{name:<22}{r['tokens_per_s']:>10,.0f}{100 * r['held_out_accuracy']:>13.1f}%{100 * r['ceiling_fraction']:>8.1f}%")
        print("speedup over TRL: " + ", ".join(f"{k} {v:.2f}x" for k, v in t["speedup"].items()))
    print(f"-> {path}")


if __name__ == "__main__":
    main()
