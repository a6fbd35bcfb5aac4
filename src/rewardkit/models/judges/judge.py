"""`GenerativeJudge`: a template, a backend, a mode and an order policy make a `PairwiseJudge`.

Orders:

* ``both`` (default): every pair is judged as (first, second) and as (second, first), all in
  the same batch. The verdict records both; the combined winner is the one both orders agree on.
  When they disagree, or one order is unparsed, the combined verdict is a tie, scored 0.5 as
  reward-bench scores an undecided judge (both unparsed: unparsed). Position consistency is the
  share of pairs whose two orders agree on a winner.
* ``random``: one order per pair, swapped by a seeded coin (reward-bench's behaviour).
* ``given``: the order as given.

Modes:

* ``generate``: greedy generation (``max_new_tokens`` from the template), then `parse_verdict`.
* ``logprob``: one forward pass per order reading P(choice) at the verdict position; the winner
  is the likelier choice and ``prob_first`` = P(first) / (P(first) + P(second)), so a judge has
  a margin and a calibration like a reward model. With ``both``, the combined probability is the
  mean of the two orders' (mapped back to the original order), which cancels a constant
  position bias.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardkit.data.schema import Message
from rewardkit.models.judges.backends import JudgeBackend, Progress
from rewardkit.models.judges.cache import ResponseCache, cache_key
from rewardkit.models.judges.templates import JudgeTemplate
from rewardkit.models.protocols import Verdict, Winner
from rewardkit.models.verdicts import parse_verdict

MODES = ("generate", "logprob")
ORDERS = ("both", "random", "given")
_FLIP: dict[str, Winner] = {"first": "second", "second": "first", "tie": "tie", "unparsed": "unparsed"}


def combine(ab: Verdict, ba: Verdict) -> Verdict:
    """The decision from both orders; `ba` is already expressed in the original order."""
    if ab.winner == ba.winner:
        winner: Winner = ab.winner
    elif ab.winner == "unparsed" and ba.winner == "unparsed":
        winner = "unparsed"
    else:
        winner = "tie"
    probs = [v.prob_first for v in (ab, ba) if v.prob_first is not None]
    prob = sum(probs) / len(probs) if len(probs) == 2 else None
    return Verdict(winner, prob, f"[order 1: first, second]\n{ab.raw}\n[order 2: second, first]\n{ba.raw}", orders=(ab, ba))


def position_stats(verdicts: Sequence[Verdict]) -> dict[str, Any] | None:
    """Position consistency over verdicts judged in both orders, and how often the first shown answer wins."""
    both = [v for v in verdicts if v.orders is not None]
    if not both:
        return None
    consistent = sum(1 for v in both if v.orders[0].winner == v.orders[1].winner and v.orders[0].winner in ("first", "second"))
    shown_first = decided = 0
    for v in both:
        ab, ba = v.orders
        # order 1 showed the original first answer first; order 2 showed it second
        for winner in (ab.winner, _FLIP[ba.winner]):
            if winner in ("first", "second"):
                decided += 1
                shown_first += winner == "first"
    unparsed = sum(1 for v in both for o in v.orders if o.winner == "unparsed")
    return {"pairs": len(both), "consistency": consistent / len(both),
            "first_shown_wins": shown_first / decided if decided else None, "unparsed_rate": unparsed / (2 * len(both))}


@dataclass
class GenerativeJudge:
    backend: JudgeBackend
    template: JudgeTemplate
    mode: str = "generate"
    orders: str = "both"
    seed: int = 0
    max_new_tokens: int | None = None
    cache: ResponseCache | None = None
    chunk: int = 64
    name: str = field(default="", init=True)
    stats: dict[str, Any] = field(default_factory=dict)
    swapped: list[bool] = field(default_factory=list)  # per pair of the last call, for one-order runs

    def __post_init__(self) -> None:
        from rewardkit.errors import RewardkitError

        if self.mode not in MODES:
            raise RewardkitError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.orders not in ORDERS:
            raise RewardkitError(f"orders must be one of {', '.join(ORDERS)}, not {self.orders!r}")
        if self.mode == "logprob" and self.template.logprob_choices is None:
            raise RewardkitError(f"template {self.template.name} declares no logprob prefix/choices; use --mode generate")
        self.name = self.name or f"judge:{self.template.name}:{self.backend.name}" + (":logprob" if self.mode == "logprob" else "")

    # -- requests -------------------------------------------------------------------------
    def _ask(self, chats: list[list[dict[str, str]]], on_progress: Progress) -> list[Any]:
        """Backend answers for `chats` (text, or a probability pair), through the cache, chunk by chunk."""
        tokens = self.max_new_tokens or self.template.max_new_tokens
        extra = {"max_new_tokens": tokens} if self.mode == "generate" else {
            "prefix": self.template.logprob_prefix, "choices": self.template.logprob_choices}
        keys = [cache_key(self.backend.name, self.template.fingerprint, self.mode, c, extra) for c in chats]
        # `is not None`: an empty cache has len() 0 and is falsy, and its misses must still be counted
        answers: dict[str, Any] = self.cache.get_many(keys) if self.cache is not None else {}
        if on_progress and answers:
            on_progress(sum(1 for k in keys if k in answers))
        todo = list(dict.fromkeys(k for k in keys if k not in answers))
        by_key = {k: c for k, c in zip(keys, chats)}
        for start in range(0, len(todo), self.chunk):
            part = todo[start : start + self.chunk]
            part_chats = [by_key[k] for k in part]
            if self.mode == "generate":
                got: list[Any] = self.backend.generate(part_chats, tokens, on_progress)
            else:
                got = self.backend.choice_probs(part_chats, self.template.logprob_prefix, self.template.logprob_choices, on_progress)  # type: ignore[arg-type]
            for k, value in zip(part, got):
                answers[k] = list(value) if isinstance(value, tuple) else value
                if self.cache is not None:
                    self.cache.put(k, answers[k])
        return [answers[k] for k in keys]

    def _verdict(self, answer: Any) -> Verdict:
        if self.mode == "generate":
            return parse_verdict(answer, self.template.verdict, allow_tie=self.template.tie)  # type: ignore[arg-type]
        if answer is None:
            return Verdict("unparsed", None, "no verdict probabilities returned")
        pa, pb = answer
        a, b = self.template.logprob_choices  # type: ignore[misc]
        raw = f"P({a})={pa:.4g} P({b})={pb:.4g}"
        if pa + pb <= 0:
            return Verdict("unparsed", None, raw)
        p = pa / (pa + pb)
        return Verdict("first" if p > 0.5 else "second" if p < 0.5 else "tie", p, raw)

    # -- the protocol -----------------------------------------------------------------------
    def judge(self, pairs: Sequence[tuple[Sequence[Message], str, str]], on_progress: Progress = None) -> list[Verdict]:
        """For each (prompt, first, second), the verdict in the original order (see the module docstring)."""
        n = len(pairs)
        render = self.template.render
        if self.orders == "both":
            chats = [render(p, a, b) for p, a, b in pairs] + [render(p, b, a) for p, a, b in pairs]
            verdicts = [self._verdict(x) for x in self._ask(chats, on_progress)]
            out = [combine(ab, _swap(ba)) for ab, ba in zip(verdicts[:n], verdicts[n:])]
            self.stats = position_stats(out) or {}
            return out
        rng = random.Random(self.seed)
        swapped = [self.orders == "random" and rng.random() < 0.5 for _ in pairs]
        chats = [render(p, b, a) if s else render(p, a, b) for (p, a, b), s in zip(pairs, swapped)]
        verdicts = [self._verdict(x) for x in self._ask(chats, on_progress)]
        out = [_swap(v) if s else v for v, s in zip(verdicts, swapped)]
        self.swapped = swapped
        self.stats = {"swapped": sum(swapped)}
        return out


def _swap(v: Verdict) -> Verdict:
    """A verdict on (second, first), expressed in the original order."""
    return Verdict(_FLIP[v.winner], None if v.prob_first is None else 1.0 - v.prob_first, v.raw, v.orders)
