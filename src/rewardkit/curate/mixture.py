"""The mixture: which sources go in, how much of each, and the `source` tag every pair carries.

Per source: `weight` samples it (below 1: each pair is kept with that probability; above 1: it is
repeated floor(weight) times plus once more with the fractional probability, copies getting
``~N`` id suffixes and ``meta.mixture_copy = N``, which `dedup` reads so that it removes accidental
duplicates but keeps the repeats a weight asked for), then `cap` keeps at most that many pairs, a uniform sample drawn by
reservoir sampling (memory: `cap` pairs) and written in file order. Sampling is seeded per
source, so adding a source does not change the others. Rows that are not valid pairs (empty or
identical responses) are removed here and counted by reason, never dropped silently.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rewardkit.curate.report import StepReport
from rewardkit.data.io import ReadReport, default_source_for, read_pairs
from rewardkit.data.schema import PreferencePair


@dataclass
class Source:
    path: str
    name: str | None = None  # the source tag; default: each row's own `source`
    weight: float = 1.0
    cap: int | None = None
    format: str | None = None

    def __post_init__(self) -> None:
        if self.weight < 0:
            raise ValueError(f"{self.path}: weight must be >= 0, got {self.weight}")
        if self.cap is not None and self.cap < 0:
            raise ValueError(f"{self.path}: cap must be >= 0, got {self.cap}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


MIXTURE_COPY = "mixture_copy"  # meta field of a weight's repeat: 1, 2, ... (the original has none)


def _weighted(pairs: Iterator[PreferencePair], weight: float, rng: random.Random, report: StepReport) -> Iterator[PreferencePair]:
    whole, frac = int(weight), weight - int(weight)
    for pair in pairs:
        copies = whole + (1 if frac and rng.random() < frac else 0)
        if copies == 0:
            report.remove("mixture-weight", pair.source)
            continue
        yield pair
        for k in range(1, copies):
            report.added += 1
            yield PreferencePair(**{**_fields(pair), "id": f"{pair.id}~{k}", "meta": {**pair.meta, MIXTURE_COPY: k}})


def _fields(pair: PreferencePair) -> dict[str, Any]:
    return {s: getattr(pair, s) for s in PreferencePair.__slots__}


def _capped(pairs: Iterator[PreferencePair], cap: int, rng: random.Random, report: StepReport) -> Iterator[PreferencePair]:
    reservoir: list[tuple[int, PreferencePair]] = []
    for i, pair in enumerate(pairs):
        if len(reservoir) < cap:
            reservoir.append((i, pair))
            continue
        j = rng.randrange(i + 1)
        if j < cap:
            report.remove("mixture-cap", reservoir[j][1].source)
            reservoir[j] = (i, pair)
        else:
            report.remove("mixture-cap", pair.source)
    reservoir.sort(key=lambda t: t[0])
    for _, pair in reservoir:
        yield pair


def read_mixture(sources: Sequence[Source], report: StepReport, *, seed: int = 0, invalid: str = "skip") -> Iterator[PreferencePair]:
    """Stream the mixture. Invalid rows are removed and counted (`invalid="skip"`) or raise (`"error"`)."""
    read = ReadReport()
    per_source: list[dict[str, Any]] = []
    report.details = {"sources": per_source, "read": read}
    for src in sources:
        rng = random.Random(f"{seed}:{src.name or src.path}")
        before = dict(read.skipped)
        tagged = _tagged(read_pairs(src.path, format=src.format, invalid=invalid, report=read), src, report)
        stream: Iterator[PreferencePair] = tagged
        if src.weight != 1.0:
            stream = _weighted(stream, src.weight, rng, report)
        if src.cap is not None:
            stream = _capped(stream, src.cap, rng, report)
        out = 0
        for pair in stream:
            out += 1
            report.kept(pair.source)
            yield pair
        skipped = {k: v - before.get(k, 0) for k, v in read.skipped.items() if v - before.get(k, 0)}
        for reason, n in skipped.items():
            tag = src.name or default_source_for(src.path)
            report.pairs_in += n
            report.sources_in[tag] += n
            report.removed[(f"invalid-{reason}", tag)] += n
        per_source.append({**src.to_dict(), "rows": read.files[-1].rows, "invalid": skipped, "pairs_out": out})
    report.details["read"] = read.to_dict()


def _tagged(pairs: Iterator[PreferencePair], src: Source, report: StepReport) -> Iterator[PreferencePair]:
    for pair in pairs:
        if src.name:
            pair.source = src.name
        report.saw(pair.source)
        yield pair
