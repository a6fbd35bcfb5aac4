"""Best-of-N: pick the best of several candidate responses to one prompt.

    groups = read_candidates(["candidates.jsonl"])
    picks = rerank(load_scorer("runs/rm"), groups)

A `RewardScorer` scores every candidate once and the highest reward wins (ties: the earlier
candidate). A generative `PairwiseJudge` cannot score alone: it runs a knockout, each match
judged in both orders (`orders=both`), the winner of a drawn match being the one with the higher
P(first) averaged over the orders, else the earlier candidate; N candidates take N - 1 matches,
every round batched.

Candidates file (any container rewardkit reads): one row per candidate, ``{"prompt": str or
messages, "response": str, ...}`` (rows with the same prompt form a group, in file order), or one
row per prompt with ``"responses": [str, ...]``. Other fields are kept with each candidate.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardkit.data.containers import BadRow, iter_rows
from rewardkit.data.schema import FieldError, Message, parse_prompt
from rewardkit.errors import DataError
from rewardkit.models.protocols import PairwiseJudge, RewardScorer


@dataclass
class CandidateGroup:
    prompt: list[Message]
    responses: list[str]
    extra: list[dict[str, Any]] = field(default_factory=list)  # each candidate's other fields


@dataclass
class Pick:
    index: int  # of the winning candidate in its group
    scores: list[float] | None  # every candidate's reward (scorers); None for judges
    matches: list[dict[str, Any]] = field(default_factory=list)  # knockout matches (judges)


def _key(prompt: list[Message]) -> str:
    return json.dumps([m.to_dict() for m in prompt], ensure_ascii=False)


def read_candidates(paths: Sequence[str], *, n: int | None = None) -> list[CandidateGroup]:
    """Candidate groups from files (see the module docstring), the first `n` per prompt if given."""
    groups: dict[str, CandidateGroup] = {}
    for path in paths:
        for line, row in iter_rows(path):
            try:
                if isinstance(row, BadRow):
                    raise FieldError(row.code, None, row.message)
                if not isinstance(row, dict) or "prompt" not in row:
                    raise FieldError("missing-field", "prompt", "required field is missing")
                prompt = parse_prompt(row["prompt"])
                if "responses" in row:
                    responses = row["responses"]
                    if not isinstance(responses, list) or not responses or not all(isinstance(r, str) for r in responses):
                        raise FieldError("bad-type", "responses", "expected a non-empty list of strings")
                    extra = [{k: v for k, v in row.items() if k not in ("prompt", "responses")}] * len(responses)
                elif isinstance(row.get("response"), str):
                    responses, extra = [row["response"]], [{k: v for k, v in row.items() if k not in ("prompt", "response")}]
                else:
                    raise FieldError("missing-field", "response", "expected a string `response` or a list `responses`")
            except FieldError as e:
                raise DataError(e.message, path=path, line=line, field=e.field) from None
            group = groups.setdefault(_key(prompt), CandidateGroup(prompt, []))
            group.responses += responses
            group.extra += extra
    out = list(groups.values())
    if n is not None:
        for g in out:
            g.responses, g.extra = g.responses[:n], g.extra[:n]
    return out


def rerank(model: RewardScorer | PairwiseJudge, groups: Sequence[CandidateGroup]) -> list[Pick]:
    """The best candidate of each group (see the module docstring)."""
    if hasattr(model, "score"):
        convs = [(g.prompt, r) for g in groups for r in g.responses]
        scores = model.score(convs)  # type: ignore[union-attr]
        picks, start = [], 0
        for g in groups:
            mine = scores[start : start + len(g.responses)]
            start += len(g.responses)
            picks.append(Pick(max(range(len(mine)), key=lambda i: (mine[i], -i)), mine))
        return picks
    return knockout(model, groups)  # type: ignore[arg-type]


def knockout(judge: PairwiseJudge, groups: Sequence[CandidateGroup]) -> list[Pick]:
    """A knockout per group, every round of every group in one `judge` call."""
    alive = [list(range(len(g.responses))) for g in groups]
    matches: list[list[dict[str, Any]]] = [[] for _ in groups]
    while any(len(a) > 1 for a in alive):
        games = [(gi, a[k], a[k + 1]) for gi, a in enumerate(alive) for k in range(0, len(a) - 1, 2)]
        verdicts = judge.judge([(groups[gi].prompt, groups[gi].responses[i], groups[gi].responses[j]) for gi, i, j in games])
        winners: dict[tuple[int, int], int] = {}
        for (gi, i, j), v in zip(games, verdicts):
            if v.winner == "first" or v.winner == "second":
                w = i if v.winner == "first" else j
            else:
                w = j if (v.prob_first is not None and v.prob_first < 0.5) else i
            winners[(gi, i)] = w
            matches[gi].append({"first": i, "second": j, "winner": w, "verdict": v.winner, "prob_first": v.prob_first})
        for gi, a in enumerate(alive):
            nxt = [winners[(gi, a[k])] for k in range(0, len(a) - 1, 2)]
            if len(a) % 2:
                nxt.append(a[-1])  # a bye
            alive[gi] = nxt
    return [Pick(a[0] if a else 0, None, m) for a, m in zip(alive, matches)]


def pick_rows(groups: Iterable[CandidateGroup], picks: Iterable[Pick]) -> list[dict[str, Any]]:
    """One output row per prompt: the winner, its index, and every candidate with its score."""
    rows = []
    for g, p in zip(groups, picks):
        rows.append({
            "prompt": [m.to_dict() for m in g.prompt], "best": g.responses[p.index] if g.responses else None, "best_index": p.index,
            "candidates": [{"response": r, "score": p.scores[i] if p.scores else None, **g.extra[i]} for i, r in enumerate(g.responses)],
            **({"matches": p.matches} if p.matches else {}),
        })
    return rows
