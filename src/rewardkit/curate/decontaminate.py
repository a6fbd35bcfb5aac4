"""N-gram decontamination of training prompts against benchmark prompts (Skywork-Reward v0.2).

A training pair is contaminated when one of its user turns

* shares a word n-gram (default n = 8, the paper's "more than 7-gram") with a benchmark prompt,
  after normalisation (`rewardkit.curate.text.words`: lower case, word tokens only), or
* equals a benchmark prompt after the same normalisation. This catches prompts shorter than n
  words, which have no n-gram at all: on the shared pool, 2,686 AlpacaEval pairs whose prompts
  are rb-open prompts of fewer than 8 words, that an n-gram set alone misses. A prompt shorter
  than n words is matched *only* this way (a 3-word prompt sharing 3 words with a long
  benchmark prompt is not evidence of leakage).

Each distinct prompt is checked once (pools repeat prompts: 805 prompts carry 94K AlpacaEval
pairs), so the step costs little more than reading the data. Memory: the benchmark's n-grams,
plus one small entry per distinct training prompt.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardkit.curate.report import StepReport
from rewardkit.curate.text import ngrams, user_texts, words
from rewardkit.data.io import ReadReport, read_pairs
from rewardkit.data.schema import PreferencePair
from rewardkit.errors import DataError

_CACHE_LIMIT = 1_000_000


@dataclass(frozen=True)
class Match:
    kind: str  # "ngram" or "exact"
    benchmark: tuple[int, ...]  # indices of the benchmark prompts matched
    ngram: str = ""  # one shared n-gram (empty for an exact match)
    text: str = ""  # the training text that matched


class BenchmarkIndex:
    """The n-grams and normalised texts of a set of benchmark prompts."""

    def __init__(self, prompts: Sequence[str], n: int = 8, labels: Sequence[str] | None = None) -> None:
        if n < 1:
            raise ValueError(f"n-gram size must be at least 1, got {n}")
        self.n = n
        self.prompts = list(prompts)
        self.labels = list(labels) if labels is not None else [""] * len(self.prompts)
        owners: dict[tuple[str, ...], list[int]] = {}
        self.exact: dict[str, list[int]] = {}
        for i, text in enumerate(self.prompts):
            tokens = words(text)
            self.exact.setdefault(" ".join(tokens), []).append(i)
            for g in ngrams(tokens, n):
                lst = owners.setdefault(g, [])
                if not lst or lst[-1] != i:
                    lst.append(i)
        self.ngrams: dict[tuple[str, ...], tuple[int, ...]] = {g: tuple(v) for g, v in owners.items()}
        self.exact.pop("", None)

    @classmethod
    def from_files(cls, paths: Sequence[str], n: int = 8) -> "BenchmarkIndex":
        """Every user turn of every pair in `paths` (any supported format), each distinct text once."""
        seen: dict[str, str] = {}
        report = ReadReport()
        # keep: a benchmark pair with an empty response still has a prompt to protect
        for pair in read_pairs(list(paths), invalid="keep", report=report):
            for text in user_texts(pair):
                seen.setdefault(text, pair.subset or pair.source)
        if report.skipped:
            # a benchmark row that cannot be read is a prompt that would leak into training unseen
            raise DataError(f"{', '.join(paths)}: {report.summary()}: the prompts of unreadable benchmark rows cannot be "
                            "decontaminated; fix them (`rewardkit data stats --invalid error FILE` names each line)")
        if not seen:
            raise DataError(f"{', '.join(paths)}: no benchmark prompts to decontaminate against")
        return cls(list(seen), n, list(seen.values()))

    def match(self, texts: Iterable[str]) -> Match | None:
        """The first user text of a prompt that matches, with every benchmark prompt it matches."""
        for text in texts:
            tokens = words(text)
            found = self.exact.get(" ".join(tokens))
            if found is not None:
                return Match("exact", tuple(found), text=text)
            if len(tokens) < self.n:
                continue
            hits: set[int] = set()
            first = ""
            for g in ngrams(tokens, self.n):
                owners = self.ngrams.get(g)
                if owners is not None:
                    if not hits:
                        first = " ".join(g)
                    hits.update(owners)
            if hits:
                return Match("ngram", tuple(sorted(hits)), first, text)
        return None


@dataclass
class _SourceCounts:
    pairs: int = 0
    contaminated_pairs: int = 0
    prompts: set[int] = field(default_factory=set)
    contaminated_prompts: set[int] = field(default_factory=set)
    benchmark_prompts: set[int] = field(default_factory=set)
    by_kind: Counter[str] = field(default_factory=Counter)


@dataclass
class DecontaminateStep:
    """Remove pairs whose prompt overlaps a benchmark prompt (see the module docstring)."""

    against: list[str]
    ngram: int = 8
    sample: int = 25
    name: str = field(default="decontaminate", init=False)
    index: BenchmarkIndex | None = field(default=None, repr=False, metadata={"internal": True})

    def __post_init__(self) -> None:
        if isinstance(self.against, str):
            self.against = [self.against]
        if not self.against and self.index is None:
            raise ValueError("decontaminate needs at least one benchmark file in 'against'")
        if self.ngram < 1:
            raise ValueError(f"ngram must be at least 1, got {self.ngram}")

    def apply(self, pairs: Iterable[PreferencePair], report: StepReport) -> Iterator[PreferencePair]:
        index = self.index or BenchmarkIndex.from_files(self.against, self.ngram)
        cache: dict[int, Match | None] = {}
        counts: dict[str, _SourceCounts] = defaultdict(_SourceCounts)
        samples: dict[str, list[dict[str, Any]]] = {"exact": [], "ngram": []}
        sampled: set[str] = set()
        for pair in pairs:
            report.saw(pair.source)
            texts = user_texts(pair)
            key = hash(texts)
            if key in cache:
                found = cache[key]
            else:
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                found = cache[key] = index.match(texts)
            c = counts[pair.source]
            c.pairs += 1
            c.prompts.add(key)
            if found is None:
                report.kept(pair.source)
                yield pair
                continue
            c.contaminated_pairs += 1
            c.contaminated_prompts.add(key)
            c.benchmark_prompts.update(found.benchmark)
            c.by_kind[found.kind] += 1
            report.remove(f"benchmark-{found.kind}-match", pair.source)
            norm = " ".join(words(found.text))
            if len(samples[found.kind]) < (self.sample + 1) // 2 and norm not in sampled:
                sampled.add(norm)
                b = found.benchmark[0]
                samples[found.kind].append({
                    "source": pair.source, "id": pair.id, "kind": found.kind, "ngram": found.ngram,
                    "training_prompt": found.text[:400], "benchmark_prompt": index.prompts[b][:400],
                    "benchmark_subset": index.labels[b], "benchmark_prompts_matched": len(found.benchmark),
                })
        report.details = {
            "ngram": index.n,
            "benchmark_prompts": len(index.prompts),
            "benchmark_ngrams": len(index.ngrams),
            "table": [
                {
                    "source": s,
                    "benchmark_prompts_matched": len(c.benchmark_prompts),
                    "training_prompts": len(c.prompts),
                    "contaminated_prompts": len(c.contaminated_prompts),
                    "pairs": c.pairs,
                    "contaminated_pairs": c.contaminated_pairs,
                    "by_kind": dict(sorted(c.by_kind.items())),
                }
                for s, c in sorted(counts.items())
            ],
            "samples": samples["ngram"] + samples["exact"],
        }
