"""Judge throughput on the embedded smollm2: generation vs logprob verdicts, both orders, in one run.

Pairs are sampled from rb-open (seeded). Generation is greedy with the template's short budget
(16 new tokens for the verdict-only Skywork-Critic prompt), batched with left padding; logprob
mode is one forward pass per order reading P("A") vs P("B") after "[[". Each mode reports
pairs/s, accuracy on the sample (ties 0.5), position consistency, and the share unparsed.

    python bench/judge_speed.py [--pairs 16] [--batch-size 8]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RB_OPEN, require_shared, write_result  # noqa: E402

from rewardkit.data.io import load_pairs  # noqa: E402
from rewardkit.models.judges import GenerativeJudge, load_template  # noqa: E402
from rewardkit.models.judges.backends import TransformersBackend  # noqa: E402

SCORE = {"first": 1.0, "second": 0.0, "tie": 0.5, "unparsed": 0.5}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=16, help="rb-open pairs judged in both orders (default: %(default)s)")
    ap.add_argument("--batch-size", type=int, default=8, help="prompts per forward pass (default: %(default)s)")
    ap.add_argument("--template", default="skywork-critic", help="judge template (default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    pairs = random.Random(0).sample(load_pairs(str(RB_OPEN)), args.pairs)
    triples = [(p.prompt, p.chosen, p.rejected) for p in pairs]
    backend = TransformersBackend("smollm2", batch_size=args.batch_size)
    tpl = load_template(args.template)
    tokens = sum(len(backend.encode(backend.render(tpl.render(*t)))) for t in triples) * 2
    runs = {}
    for mode in ("generate", "logprob"):
        judge = GenerativeJudge(backend, tpl, mode=mode, orders="both")
        started = time.perf_counter()
        verdicts = judge.judge(triples)
        seconds = time.perf_counter() - started
        runs[mode] = {"seconds": round(seconds, 2), "pairs_per_second": round(len(pairs) / seconds, 3),
                      "accuracy": sum(SCORE[v.winner] for v in verdicts) / len(verdicts), "position": judge.stats}
    result = {"model": "smollm2", "template": tpl.name, "pairs": len(pairs), "orders": "both", "batch_size": args.batch_size,
              "prompt_tokens_both_orders": tokens, "max_new_tokens": tpl.max_new_tokens, "runs": runs,
              "logprob_speedup": round(runs["logprob"]["pairs_per_second"] / runs["generate"]["pairs_per_second"], 2)}
    path = write_result("judge_speed", result)
    for mode, r in runs.items():
        pos = r["position"]
        print(f"{mode:<9} {r['pairs_per_second']:6.3f} pairs/s  accuracy {100 * r['accuracy']:5.1f}%  "
              f"consistency {100 * pos['consistency']:5.1f}%  first shown wins {100 * (pos['first_shown_wins'] or 0):5.1f}%  "
              f"unparsed {100 * pos['unparsed_rate']:5.1f}%")
    print(f"logprob / generate: {result['logprob_speedup']:.2f}x ({tokens:,} prompt tokens, both orders) -> {path}")


if __name__ == "__main__":
    main()
