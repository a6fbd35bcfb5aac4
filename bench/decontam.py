"""Decontamination speed and recall: rewardkit's step against the straightforward implementation,
in one process, on the whole shared training pool against rb-open.

The straightforward implementation is the issue's: a set of the benchmark's word 8-grams
(lower-cased whitespace words), then stream the pool and test each training prompt's 8-grams. It misses prompts with fewer than 8
words that equal a benchmark prompt. rewardkit's `DecontaminateStep` also matches normalised
prompts exactly, and reads pairs through the validated schema reader. Both count the pairs they
flag and the pairs whose prompt equals a rb-open prompt verbatim that they miss.

    python bench/decontam.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RB_OPEN, TRAIN_FILES, require_shared, write_result  # noqa: E402

from rewardkit.curate.decontaminate import DecontaminateStep  # noqa: E402
from rewardkit.curate.report import StepReport  # noqa: E402
from rewardkit.data.io import read_pairs  # noqa: E402

N = 8
WORD = re.compile(r"\w+")


def _prompt_text(prompt) -> str:
    return prompt if isinstance(prompt, str) else "\n".join(m["content"] for m in prompt if m["role"] == "user")


def straightforward() -> tuple[int, set[str]]:
    grams = set()
    with open(RB_OPEN, encoding="utf-8") as f:
        for line in f:
            w = json.loads(line)["prompt"].lower().split()
            grams.update(tuple(w[i : i + N]) for i in range(len(w) - N + 1))
    flagged = 0
    kept_ids = set()
    for path in TRAIN_FILES:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                w = _prompt_text(row["prompt"]).lower().split()
                if any(tuple(w[i : i + N]) in grams for i in range(len(w) - N + 1)):
                    flagged += 1
                else:
                    kept_ids.add(row["id"])
    return flagged, kept_ids


def rewardkit_step() -> tuple[int, set[str]]:
    report = StepReport("decontaminate")
    kept_ids = {p.id for p in DecontaminateStep(against=[str(RB_OPEN)], ngram=N).apply(read_pairs([str(p) for p in TRAIN_FILES], invalid="keep"), report)}
    return report.removed_total, kept_ids


def verbatim_ids() -> set[str]:
    """Ids of training pairs whose (user) prompt equals a rb-open prompt exactly."""
    bench = {json.loads(line)["prompt"] for line in open(RB_OPEN, encoding="utf-8")}
    out = set()
    for p in read_pairs([str(p) for p in TRAIN_FILES], invalid="keep"):
        if any(m.content in bench for m in p.prompt if m.role == "user"):
            out.add(p.id)
    return out


def timed(fn, repeats: int) -> tuple[float, tuple[int, set[str]]]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result  # type: ignore[return-value]


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3, help="timing repeats; the best is reported (default: %(default)s)")
    args = ap.parse_args()
    require_shared()
    verbatim = verbatim_ids()
    base_s, (base_n, base_kept) = timed(straightforward, args.repeats)
    rk_s, (rk_n, rk_kept) = timed(rewardkit_step, args.repeats)
    result = {
        "pool_pairs": len(base_kept) + base_n,
        "verbatim_benchmark_prompt_pairs": len(verbatim),
        "straightforward": {"seconds": round(base_s, 3), "flagged": base_n, "verbatim_missed": len(verbatim & base_kept),
                            "peak_mb": round(peak_mb(straightforward), 1)},
        "rewardkit": {"seconds": round(rk_s, 3), "flagged": rk_n, "verbatim_missed": len(verbatim & rk_kept),
                      "peak_mb": round(peak_mb(rewardkit_step), 1)},
        "time_ratio": round(rk_s / base_s, 3),
        "repeats": args.repeats,
    }
    path = write_result("decontam", result)
    for name in ("straightforward", "rewardkit"):
        r = result[name]
        print(f"{name:<16} {r['seconds']:6.2f} s  peak {r['peak_mb']:6.1f} MB  flagged {r['flagged']:,}  "
              f"verbatim rb-open prompts missed {r['verbatim_missed']:,} of {len(verbatim):,}")
    print(f"time ratio rewardkit / straightforward: {result['time_ratio']:.2f}x (target <= 1.5x) -> {path}")


if __name__ == "__main__":
    main()
