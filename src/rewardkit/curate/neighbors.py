"""Answers to a neighbouring instruction (Skywork-Critic's synthetic critic data, and how
LLMBar builds its adversarial "neighbor" subset): for a share of the pairs, a new pair whose
chosen answer is the pair's own chosen answer and whose rejected answer is a good answer to a
*similar but different* single-turn instruction from the same data.

Such a rejected answer is fluent, on topic and often longer, and still wrong: it does not do
what was asked. A reward model that learned "longer and fluent wins" gets these wrong, so they
teach it to read the instruction.

Neighbours are found by TF-IDF cosine similarity of the instructions (scikit-learn, word
uni- and bi-grams, English stop words left out, so "the" and "of" make no neighbours). A neighbour must be similar (at least `min_similarity`) but not a
paraphrase (below `max_similarity`), and another prompt's answer is never one that also answers
this prompt (prompts sharing a normalised text are one prompt). Added pairs keep their source,
take the subset ``neighbor-instruction`` and the attribute ``instruction_following``, and record
the neighbour's prompt in ``meta.neighbor_prompt``; the report counts them as added.

A neighbour pair links two prompts: its rejected answer is another prompt's chosen one. When a
development split is carved afterwards (`rewardkit data split`), a link across it would train a
development answer, so `data split` leaves such pairs out, and with a few percent of prompts in
development nearly every development pair's neighbour lies across (the recipe's split kept 2).
``split_dev`` (with ``split_seed``) names the split that will be made: the step then computes
the same sides (`rewardkit.data.split.held_prompts`) and draws every neighbour from its target's
side, so development gets its share of neighbour pairs and nothing crosses. Its sides are those
of the pairs the step sees, so it must be the last step that changes which prompts there are.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from rewardkit.curate.base import Spill, in_scope
from rewardkit.curate.report import StepReport
from rewardkit.curate.text import words
from rewardkit.data.schema import PreferencePair
from rewardkit.data.split import held_prompts, prompt_group

SUBSET = "neighbor-instruction"


@dataclass
class NeighborsStep:
    fraction: float = 0.2  # of the pairs in scope, how many get a neighbour pair (at most one per pair)
    per_prompt: int = 2  # at most this many neighbour pairs per prompt
    min_similarity: float = 0.1
    max_similarity: float = 0.8
    sources: list[str] | None = None
    seed: int = 0
    split_dev: float | None = None  # the `data split --dev` that follows: draw neighbours within each of its sides
    split_seed: int = 0  # ... and its --seed
    name: str = field(default="neighbors", init=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"fraction must be in [0, 1], got {self.fraction}")
        if not 0.0 <= self.min_similarity < self.max_similarity <= 1.0:
            raise ValueError(f"need 0 <= min_similarity < max_similarity <= 1, got {self.min_similarity}, {self.max_similarity}")
        if self.per_prompt < 1:
            raise ValueError(f"per_prompt must be >= 1, got {self.per_prompt}")
        if self.split_dev is not None and not 0.0 < self.split_dev < 1.0:
            raise ValueError(f"split_dev must be in (0, 1), got {self.split_dev}")

    def apply(self, pairs: Iterable[PreferencePair], report: StepReport) -> Iterator[PreferencePair]:
        spill = Spill()
        instructions: dict[str, str] = {}  # normalised instruction -> the text
        answers: dict[str, list[int]] = {}  # normalised instruction -> spill indices of its single-turn pairs (donors)
        targets: dict[str, list[int]] = {}  # the same, for pairs in scope (which get neighbour pairs)
        groups: list[tuple[str, str]] = []  # every pair's (source, prompt group): the sides of the split
        for pair in pairs:
            report.saw(pair.source)
            i = spill.add(pair)
            if self.split_dev is not None:
                groups.append((pair.source, prompt_group(pair)))
            if len(pair.prompt) == 1 and pair.prompt[0].role == "user":
                key = " ".join(words(pair.prompt[0].content))
                if key:
                    instructions.setdefault(key, pair.prompt[0].content)
                    answers.setdefault(key, []).append(i)
                    if in_scope(pair, self.sources):
                        targets.setdefault(key, []).append(i)
        in_dev = held_prompts(groups, self.split_dev, self.split_seed) if self.split_dev is not None else set()
        sides = ["dev" if key in in_dev else "train" for _, key in groups]  # empty without a split: one side, ""
        plan, table = self._plan(instructions, answers, targets, (lambda i: sides[i]) if sides else (lambda i: ""))
        needed = set(plan) | set(plan.values())
        held: dict[int, PreferencePair] = {}  # only the pairs the plan uses stay in memory
        for i, pair in enumerate(spill.replay()):
            report.kept(pair.source)
            if i in needed:
                held[i] = pair
            yield pair
        for target, donor in sorted(plan.items()):
            pair, other = held[target], held[donor]
            report.added += 1
            report.kept(pair.source)
            yield PreferencePair(id=f"{pair.id}-neighbor", prompt=list(pair.prompt), chosen=pair.chosen, rejected=other.chosen,
                                 source=pair.source, subset=SUBSET,
                                 meta={"attribute": "instruction_following", "neighbor_prompt": other.prompt[0].content,
                                       "neighbor_of": pair.id, "neighbor_answer_from": other.id})
        report.details = {"instructions": len(instructions), "added": len(plan), **table}

    def _plan(self, instructions: dict[str, str], answers: dict[str, list[int]], targets: dict[str, list[int]],
              side: Callable[[int], str]) -> tuple[dict[int, int], dict]:
        """target pair index -> donor pair index (whose chosen answer becomes the rejected one),
        the donor always on the target's side of the split (`side` of a pair index)."""
        keys = list(instructions)
        if len(keys) < 2 or self.fraction == 0:
            return {}, {"with_neighbor": 0}
        from sklearn.feature_extraction.text import TfidfVectorizer

        matrix = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, stop_words="english").fit_transform([instructions[k] for k in keys])
        sims = (matrix @ matrix.T).tocsr()
        rng = random.Random(self.seed)
        donor_sides = [{side(i) for i in answers[k]} for k in keys]
        neighbors: dict[tuple[int, str], list[int]] = {}  # (instruction, side) -> its nearest instructions with donors there
        for a in range(len(keys)):
            row = sims.getrow(a)
            cands = sorted(((v, b) for b, v in zip(row.indices, row.data) if b != a and self.min_similarity <= v < self.max_similarity),
                           reverse=True)
            # without a split every side is "" (and an instruction with no pair in scope still
            # draws its quota of 0 below, as it always has: the same seed gives the same pairs)
            for s in sorted({side(t) for t in targets.get(keys[a], [])} or {""}):
                near = [b for _, b in cands if s in donor_sides[b]][:5]
                if near:
                    neighbors[(a, s)] = near
        plan: dict[int, int] = {}
        for (a, s), near in sorted(neighbors.items()):
            mine = [t for t in targets.get(keys[a], []) if side(t) == s]
            expected = self.fraction * len(mine)  # whole pairs, plus one more with the chance of the fraction left
            quota = min(self.per_prompt, int(expected) + (rng.random() < expected - int(expected)))
            for target in rng.sample(mine, quota):
                donor_key = keys[rng.choice(near)]
                plan[target] = rng.choice([d for d in answers[donor_key] if side(d) == s])
        table = {"with_neighbor": len({a for a, _ in neighbors}),
                 "mean_neighbors": round(sum(map(len, neighbors.values())) / max(len(neighbors), 1), 2)}
        if self.split_dev is not None:
            table["added_in_dev"] = sum(side(t) == "dev" for t in plan)
        return plan, table
