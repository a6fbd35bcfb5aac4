"""A development split carved from training data by prompt: every pair of one prompt lands on
the same side, so the development accuracy measures prompts the model never saw, and each source
gives the same share of its prompts (the split is stratified by source).

A prompt is identified by its first user turn, lower-cased with spacing collapsed, so the turns
of one multi-turn conversation (and copies differing in case or spacing) never straddle the split.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from rewardkit.data.schema import PreferencePair


def prompt_group(pair: PreferencePair) -> str:
    first = next((m.content for m in pair.prompt if m.role == "user"), "")
    return " ".join(first.lower().split())


def split_by_prompt(pairs: Sequence[PreferencePair], dev: float, seed: int = 0) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """(train, dev): about `dev` of each source's prompts, with all their pairs, go to dev; order kept."""
    if not 0.0 <= dev < 1.0:
        raise ValueError(f"dev must be in [0, 1), got {dev}")
    groups: dict[str, set[str]] = defaultdict(set)
    for p in pairs:
        groups[p.source].add(prompt_group(p))
    rng = random.Random(seed)
    held: set[tuple[str, str]] = set()
    for source in sorted(groups):
        keys = sorted(groups[source])
        rng.shuffle(keys)
        held.update((source, k) for k in keys[: round(dev * len(keys))])
    train = [p for p in pairs if (p.source, prompt_group(p)) not in held]
    dev_pairs = [p for p in pairs if (p.source, prompt_group(p)) in held]
    return train, dev_pairs
