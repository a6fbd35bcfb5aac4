"""A scorer whose rewards are kept per conversation in a SQLite cache, so that a rerun, or another
ensemble of the same members, scores only what is new.

    from rewardkit.models.judges.cache import ResponseCache
    cache = ResponseCache("runs/scores.sqlite")
    load_scorer("ensemble:runs/rm,gated:runs/gate:pmi:smollm2@0.05", cache=cache)

`load_scorer(spec, cache=...)` wraps every *leaf* scorer (a trained folder, a hub model,
``relevance``, ``pmi:LM`` ...), not the ensemble: each member keeps its own rewards, so changing
an ensemble's weights, its gate or a hinge re-scores nothing (SmolLM2's two passes over rb-open
take ~20 minutes on a 2-core CPU; the weighted sum takes none). The cheap baselines (``length``,
``shortest``, ``random``) are not cached, nor is a bare backbone with an untrained head (its
rewards change with every initialisation).

A reward is keyed by the leaf's spec, the options that change its values (``max_length``,
``normalize``, ``template``, ``dtype``, ``bf16``), the paths, sizes and modification times of a
model folder's files (retrained in place, it is scored again) and the conversation. A hub model updated under
the same id is not noticed: delete the cache file. The wrapper is otherwise transparent (the
member's ``margin_is_logit`` and ``load_options``); its ``truncated`` counts only the
conversations scored in this process. The cache is the judges' `ResponseCache`
(one SQLite file, committed as rewards arrive, so an interrupted run keeps what it scored).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rewardkit.errors import RewardkitError
from rewardkit.models.judges.cache import ResponseCache, cache_key
from rewardkit.models.protocols import Conversation, RewardScorer, score_with_progress
from rewardkit.models.wrapped import WrappedScorer

CHUNK = 1024  # conversations scored between two commits
# options that change a leaf's rewards (batch size, device and attention kernel change them only by rounding)
VALUE_OPTIONS = ("max_length", "normalize", "template", "dtype", "bf16")


def folder_stamp(spec: str) -> str:
    """A digest of every file's path, size and modification time in `spec` when it is a folder
    (any file rewritten, added or removed changes it), else ""."""
    folder = Path(spec)
    if not folder.is_dir():
        return ""
    listing = sorted((str(f.relative_to(folder)), f.stat().st_size, f.stat().st_mtime_ns) for f in folder.rglob("*") if f.is_file())
    return hashlib.sha256(repr(listing).encode("utf-8")).hexdigest()


def open_score_cache(path: str | Path | None) -> ResponseCache | None:
    """The cache at `path` (None: no cache). Refused under a multi-process launch: the processes
    would write one SQLite file at once."""
    if not path:
        return None
    from rewardkit.models.distributed import world

    if world()[1] > 1:
        raise RewardkitError("a scorer cache (--cache) works in one process; run without torchrun, or without --cache")
    return ResponseCache(path)


def identity(spec: str, options: dict[str, Any] | None = None) -> list[Any]:
    """What, beside the spec and the conversation, a leaf's cached reward is keyed by: its
    folder's stamp and the `VALUE_OPTIONS` it was loaded with."""
    return [folder_stamp(spec), {k: (options or {}).get(k) for k in VALUE_OPTIONS}]


def reward_key(spec: str, ident: list[Any], conversation: Conversation) -> str:
    """The cache key of a leaf's reward for one conversation (`identity` gives `ident`)."""
    prompt, response = conversation
    return cache_key(spec, "", "reward", [[m.role, m.content] for m in prompt] + [response], ident)


def store_rewards(cache: ResponseCache, spec: str, conversations: Sequence[Conversation], rewards: Sequence[float],
                  options: dict[str, Any] | None = None) -> None:
    """Keep `rewards`, computed elsewhere, as the leaf `spec`'s for `conversations`: under the
    keys that ``load_scorer(spec, cache=cache, **options)`` reads (e.g. a causal LM's four
    likelihood modes, which `LikelihoodScorer.modes` gets from one pair of passes)."""
    if len(rewards) != len(conversations):
        raise RewardkitError(f"{len(rewards)} rewards for {len(conversations)} conversations of {spec}")
    ident = identity(spec, options)
    cache.put_many([(reward_key(spec, ident, c), float(r)) for c, r in zip(conversations, rewards)])


class CachedScorer(WrappedScorer):
    """`RewardScorer`: `member`'s rewards, from `cache` where it holds them (module docstring)."""

    def __init__(self, member: RewardScorer, cache: ResponseCache, spec: str, options: dict[str, Any] | None = None) -> None:
        self.member = member
        self.cache = cache
        self.name = getattr(member, "name", spec)
        self.spec = spec
        self.identity = identity(spec, options)

    @property
    def margin_is_logit(self) -> bool:  # type: ignore[override]
        return getattr(self.member, "margin_is_logit", False)

    @property
    def load_options(self) -> Any:
        """The member's resolved loading options (the precision its rewards were computed in)."""
        return getattr(self.member, "load_options", None)

    def key(self, conversation: Conversation) -> str:
        return reward_key(self.spec, self.identity, conversation)

    def score(self, conversations: Sequence[Conversation], on_batch: Callable[[int], None] | None = None) -> list[float]:
        def compute(todo: list[Conversation]) -> list[float]:
            rewards = score_with_progress(self.member, todo, on_batch)
            if len(rewards) != len(todo):
                raise RewardkitError(f"{self.name} returned {len(rewards)} rewards for {len(todo)} conversations")
            return [float(r) for r in rewards]

        return cached_values(self.cache, [self.key(c) for c in conversations], conversations, compute, on_cached=on_batch)


def cached_values(cache: ResponseCache, keys: Sequence[str], items: Sequence[Any], compute: Callable[[list[Any]], list[Any]],
                  *, on_cached: Callable[[int], None] | None = None, chunk: int = CHUNK) -> list[Any]:
    """The value of each item (`keys[i]` is `items[i]`'s key): from `cache` where it holds the
    key, else from `compute(missing items)`, called on the first of each repeated key only and
    at most `chunk` items at a time, each chunk committed before the next (an interrupted run
    keeps what it computed). `on_cached(n)` is told at once how many needed no computing."""
    store = cache.get_many(list(keys))
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    todo = [i for k, i in first.items() if k not in store]
    if on_cached is not None and len(keys) > len(todo):
        on_cached(len(keys) - len(todo))
    for start in range(0, len(todo), chunk):
        part = todo[start:start + chunk]
        rows = [(keys[i], value) for i, value in zip(part, compute([items[i] for i in part]), strict=True)]
        cache.put_many(rows)
        store.update(rows)
    return [store[k] for k in keys]
