"""The execution reward on HumanEvalPack: each `exec:LANG` alone on its rb-open subset
(hep-python, hep-js, hep-cpp, hep-java), counting the pairs it gets right, wrong and tied, and the
wall-clock seconds for the subset's answers (C++ and Java build each answer).

    python bench/exec_languages.py [--data rb-open.jsonl] [--workers N]

Writes bench/results/exec_languages.json. A language whose toolchain is not on PATH is recorded
as skipped, with the reason.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from common import RB_OPEN, write_result

from rewardkit.data.io import read_pairs
from rewardkit.errors import RewardkitError
from rewardkit.models.execution import ExecutionScorer
from rewardkit.models.protocols import pair_conversations, pair_rewards

SUBSETS = {"python": "hep-python", "javascript": "hep-js", "cpp": "hep-cpp", "java": "hep-java"}


def count(rewards: list[tuple[float, float]]) -> dict[str, int]:
    """Pairs right (chosen > rejected), wrong, tied; pairs where the scorer fired on either answer."""
    return {"pairs": len(rewards), "right": sum(c > r for c, r in rewards), "wrong": sum(c < r for c, r in rewards),
            "tied": sum(c == r for c, r in rewards), "fired": sum(c != 0 or r != 0 for c, r in rewards)}


def measure(data: str, workers: int | None = None) -> dict[str, Any]:
    pairs = list(read_pairs(data))
    out: dict[str, Any] = {}
    for language, subset in SUBSETS.items():
        subset_pairs = [p for p in pairs if p.subset == subset]
        try:
            scorer = ExecutionScorer(language, workers=workers)
        except RewardkitError as e:
            out[language] = {"subset": subset, "skipped": str(e)}
            continue
        start = time.perf_counter()
        rewards = pair_rewards(scorer.score(pair_conversations(subset_pairs)))
        out[language] = {"subset": subset, **count(rewards), "answers_run": scorer.ran,
                         "seconds": round(time.perf_counter() - start, 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(RB_OPEN))
    ap.add_argument("--workers", type=int, default=None, help="answers run at once (default: the CPU count, at most 8)")
    args = ap.parse_args()
    result = measure(args.data, args.workers)
    for language, row in result.items():
        print(language, row)
    write_result("exec_languages", {"data": args.data, "languages": result})


if __name__ == "__main__":
    main()
