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
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rewardkit.curate.base import Spill, in_scope
from rewardkit.curate.report import StepReport
from rewardkit.curate.text import words
from rewardkit.data.schema import PreferencePair

SUBSET = "neighbor-instruction"


@dataclass
class NeighborsStep:
    fraction: float = 0.2  # of the pairs in scope, how many get a neighbour pair (at most one per pair)
    per_prompt: int = 2  # at most this many neighbour pairs per prompt
    min_similarity: float = 0.1
    max_similarity: float = 0.8
    sources: list[str] | None = None
    seed: int = 0
    name: str = field(default="neighbors", init=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"fraction must be in [0, 1], got {self.fraction}")
        if not 0.0 <= self.min_similarity < self.max_similarity <= 1.0:
            raise ValueError(f"need 0 <= min_similarity < max_similarity <= 1, got {self.min_similarity}, {self.max_similarity}")
        if self.per_prompt < 1:
            raise ValueError(f"per_prompt must be >= 1, got {self.per_prompt}")

    def apply(self, pairs: Iterable[PreferencePair], report: StepReport) -> Iterator[PreferencePair]:
        spill = Spill()
        instructions: dict[str, str] = {}  # normalised instruction -> the text
        answers: dict[str, list[int]] = {}  # normalised instruction -> spill indices of its single-turn pairs (donors)
        targets: dict[str, list[int]] = {}  # the same, for pairs in scope (which get neighbour pairs)
        for pair in pairs:
            report.saw(pair.source)
            i = spill.add(pair)
            if len(pair.prompt) == 1 and pair.prompt[0].role == "user":
                key = " ".join(words(pair.prompt[0].content))
                if key:
                    instructions.setdefault(key, pair.prompt[0].content)
                    answers.setdefault(key, []).append(i)
                    if in_scope(pair, self.sources):
                        targets.setdefault(key, []).append(i)
        plan, table = self._plan(instructions, answers, targets)
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

    def _plan(self, instructions: dict[str, str], answers: dict[str, list[int]],
              targets: dict[str, list[int]]) -> tuple[dict[int, int], dict]:
        """target pair index -> donor pair index (whose chosen answer becomes the rejected one)."""
        keys = list(instructions)
        if len(keys) < 2 or self.fraction == 0:
            return {}, {"with_neighbor": 0}
        from sklearn.feature_extraction.text import TfidfVectorizer

        matrix = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, stop_words="english").fit_transform([instructions[k] for k in keys])
        sims = (matrix @ matrix.T).tocsr()
        rng = random.Random(self.seed)
        neighbors: dict[int, list[int]] = {}
        for a in range(len(keys)):
            row = sims.getrow(a)
            cands = [(v, b) for b, v in zip(row.indices, row.data) if b != a and self.min_similarity <= v < self.max_similarity]
            if cands:
                neighbors[a] = [b for _, b in sorted(cands, reverse=True)[:5]]
        plan: dict[int, int] = {}
        for a, near in sorted(neighbors.items()):
            mine = targets.get(keys[a], [])
            expected = self.fraction * len(mine)  # whole pairs, plus one more with the chance of the fraction left
            quota = min(self.per_prompt, int(expected) + (rng.random() < expected - int(expected)))
            for target in rng.sample(mine, quota):
                donor_key = keys[rng.choice(near)]
                plan[target] = rng.choice(answers[donor_key])
        return plan, {"with_neighbor": len(neighbors), "mean_neighbors": round(sum(map(len, neighbors.values())) / max(len(neighbors), 1), 2)}
