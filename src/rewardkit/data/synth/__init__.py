"""Synthetic preference pairs with subtle errors, in the spirit of Skywork-Critic's synthetic data.

    rewardkit data synth --out runs/synth --n 2000 --seed 0

Six families, each its own `subset` (reported like RewardBench sections):

| family | subset | the rejected response |
|---|---|---|
| math | synth-math | one miscalculated step in a multi-step word problem |
| units | synth-units | a plausible wrong conversion formula |
| instructions | synth-instructions | breaks one stated constraint (count, length, JSON, case, language, ...) |
| code | synth-code | an off-by-one or boundary bug in a small Python function |
| safety-refuse | synth-safety-refuse | complies with a harmful request instead of refusing |
| safety-respond | synth-safety-respond | over-refuses a harmless request that sounds harmful |

The training split uses some templates of each family and the test split only the others
(held-out templates: new problem shapes, constraints, bugs and topics), so test accuracy
measures generalisation rather than memorised templates. The same seed gives the same files.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rewardkit.data.io import write_pairs
from rewardkit.data.schema import Message, PreferencePair
from rewardkit.data.synth import code, instructions, math, safety, units
from rewardkit.data.synth.core import SOURCE, Example, Family, Template
from rewardkit.errors import RewardkitError

FAMILIES: dict[str, Family] = {
    f.name: f for f in (math.FAMILY, units.FAMILY, instructions.FAMILY, code.FAMILY, safety.REFUSE, safety.RESPOND)
}
SPLITS = ("train", "test")
_MAX_TRIES = 200  # fresh draws without a new distinct pair before a family counts as exhausted


@dataclass(frozen=True)
class SynthConfig:
    """What `generate` makes.

    Attributes:
        n_train: training pairs to generate.
        n_test: test pairs to generate (from held-out templates only).
        seed: random seed; the same config gives the same pairs.
        families: family names to use (default: all).
        code_twins: add the code family's boundary twins (`synth.boundaries`) to its training
            templates: the same two code versions under prompts stating opposite boundaries, so
            only prompt and code read together predict the label. The test split is the same
            either way. Off by default: with the quickstart's 250 steps the MiniLM learned the
            rule from them on one seed of two (bench/results/quickstart_code.json), and the
            quality recipe, judge training and the tree bench were measured without them.
    """

    n_train: int = 2000
    n_test: int = 500
    seed: int = 0
    families: tuple[str, ...] | None = None
    code_twins: bool = False

    def __post_init__(self) -> None:
        if self.n_train < 1 or self.n_test < 1:
            raise RewardkitError("n_train and n_test must be at least 1")
        unknown = set(self.families or ()) - set(FAMILIES)
        if unknown:
            raise RewardkitError(f"unknown synth families {sorted(unknown)}; known: {', '.join(FAMILIES)}")
        if self.code_twins and self.families is not None and "code" not in self.families:
            raise RewardkitError("code_twins (--code-twins) adds templates to the code family, which the selected families "
                                 f"({', '.join(self.families)}) leave out; add code, or drop code_twins")

    def selected(self) -> list[Family]:
        return [code.WITH_TWINS if name == "code" and self.code_twins else FAMILIES[name] for name in (self.families or tuple(FAMILIES))]


def _pair(split: str, index: int, family: Family, template: Template, ex: Example) -> PreferencePair:
    return PreferencePair(
        id=f"synth-{split}-{index:06d}",
        prompt=[Message("user", ex.prompt)],
        chosen=ex.chosen,
        rejected=ex.rejected,
        source=SOURCE,
        subset=family.subset,
        meta={"family": family.name, "template": f"{family.name}/{template.name}", "split": split, "error": ex.error, "check": ex.check},
    )


def generate_split(config: SynthConfig, split: str) -> tuple[list[PreferencePair], dict[str, Any]]:
    """Generate one split; returns the pairs and what happened (counts, exhausted families)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    n = config.n_train if split == "train" else config.n_test
    rng = random.Random(f"rewardkit-synth/{config.seed}/{split}")
    active = [f for f in config.selected() if f.split(heldout=split == "test")]
    seen: set[tuple[str, str, str]] = set()
    pairs: list[PreferencePair] = []
    exhausted: list[str] = []
    turn = 0
    while len(pairs) < n and active:
        family = active[turn % len(active)]
        templates = family.split(heldout=split == "test")
        for _ in range(_MAX_TRIES):
            template = templates[rng.randrange(len(templates))]
            ex = template.make(rng)
            key = (ex.prompt, ex.chosen, ex.rejected)
            if key not in seen:
                seen.add(key)
                pairs.append(_pair(split, len(pairs), family, template, ex))
                turn += 1
                break
        else:
            exhausted.append(family.name)
            active.remove(family)
    if len(pairs) < n:
        raise RewardkitError(
            f"the {split} split can hold only {len(pairs)} distinct pairs with families "
            f"{', '.join(f.name for f in config.selected())}; ask for fewer"
        )
    info = {
        "pairs": len(pairs),
        "subsets": dict(Counter(p.subset for p in pairs)),
        "templates": dict(Counter(p.meta["template"] for p in pairs)),
        "exhausted_families": exhausted,
    }
    return pairs, info


def generate_to(out: str | Path, config: SynthConfig) -> dict[str, dict[str, Any]]:
    """Write ``train.jsonl`` and ``test.jsonl`` to `out`, then ``manifest.json``."""
    from rewardkit.manifest import build_manifest, write_manifest

    out = Path(out)
    counts = {}
    for split in SPLITS:
        pairs, info = generate_split(config, split)
        write_pairs(pairs, str(out / f"{split}.jsonl"))
        counts[split] = info
    heldout = {f.name: [t.name for t in f.templates if t.heldout] for f in config.selected()}
    write_manifest(out, build_manifest("data synth", asdict(config), [], counts, heldout_templates=heldout))
    return counts
