"""A development split carved from training data by prompt: every pair of one prompt lands on
the same side, whichever source it came from, so the development accuracy measures prompts the
model never saw, and each source gives about the same share of its prompts (the prompts are drawn
per source).

A prompt is identified by its first user turn, lower-cased with spacing collapsed, so the turns
of one multi-turn conversation (and copies differing in case or spacing) never straddle the split.

Pairs can also link two prompts: the curation's neighbours step (`rewardkit.curate.neighbors`)
makes a pair whose rejected answer is the chosen answer of another prompt's pair
(``meta.neighbor_answer_from``). When the two prompts land on different sides, a development
prompt's answer is trained on (as a rejected answer, or a rejected development answer was trained
as a chosen one), and development accuracy on it is biased. `crossing_answers` finds those pairs;
`rewardkit data split` leaves them out of both sides and writes them to ``left_out.jsonl``. The
neighbours step avoids making them when told the split (``split_dev``): it then draws each
neighbour from the same side as its target, and development keeps its neighbour pairs.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence

from rewardkit.data.chat import user_turns
from rewardkit.data.schema import PreferencePair


def prompt_group(pair: PreferencePair) -> str:
    first = next(iter(user_turns(pair.prompt)), "")
    return " ".join(first.lower().split())


def held_prompts(groups: Iterable[tuple[str, str]], dev: float, seed: int = 0) -> set[str]:
    """The prompt groups that `split_by_prompt` puts in dev, given every pair's ``(source,
    prompt_group)`` (repeats allowed): about `dev` of each source's prompts are drawn, and a prompt
    drawn in one source is held in every source it appears in (AlpacaEval's prompts include
    Vicuna's 80: one prompt, two sources, and never on both sides). The curation's neighbours step
    calls it to draw neighbours within each side of the split `data split` will make."""
    if not 0.0 <= dev < 1.0:
        raise ValueError(f"dev must be in [0, 1), got {dev}")
    by_source: dict[str, set[str]] = defaultdict(set)
    for source, key in groups:
        by_source[source].add(key)
    rng = random.Random(seed)
    held: set[str] = set()
    for source in sorted(by_source):
        keys = sorted(by_source[source])
        rng.shuffle(keys)
        held.update(keys[: round(dev * len(keys))])
    return held


def split_by_prompt(pairs: Sequence[PreferencePair], dev: float, seed: int = 0) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """(train, dev): about `dev` of each source's prompts, with all their pairs in every source, go
    to dev; order kept."""
    held = held_prompts(((p.source, prompt_group(p)) for p in pairs), dev, seed)
    train = [p for p in pairs if prompt_group(p) not in held]
    dev_pairs = [p for p in pairs if prompt_group(p) in held]
    return train, dev_pairs


ANSWER_FROM = "neighbor_answer_from"  # meta key of a pair whose rejected answer is another pair's chosen one


def crossing_answers(train: Sequence[PreferencePair], dev: Sequence[PreferencePair]) -> tuple[list[PreferencePair], list[PreferencePair], list[PreferencePair]]:
    """(train, dev, left_out): the pairs whose rejected answer comes from a pair on the other side
    of the split (``meta.neighbor_answer_from`` names it) move to ``left_out``; order kept. A pair
    whose donor is in neither list stays where it is (nothing says which side its answer is on)."""
    side = {p.id: "train" for p in train} | {p.id: "dev" for p in dev}

    def crosses(pair: PreferencePair, mine: str) -> bool:
        donor = (pair.meta or {}).get(ANSWER_FROM)
        return donor is not None and side.get(str(donor), mine) != mine

    left_out = [p for p in train if crosses(p, "train")] + [p for p in dev if crosses(p, "dev")]
    gone = {id(p) for p in left_out}
    return [p for p in train if id(p) not in gone], [p for p in dev if id(p) not in gone], left_out
