"""`rewardkit curate CONFIG.yaml`: a declarative pipeline of curation steps over a mixture of sources.

    seed: 0
    sources:
      - {path: ../shared/data/train/llmbar_other.jsonl.gz, name: llmbar}
      - {path: ../shared/data/train/alpacaeval_judge_pairs.jsonl.gz, name: alpacaeval, cap: 20000}
    steps:
      - dedup: {threshold: 0.8}
      - decontaminate: {against: [../shared/data/eval/rb-open.jsonl], ngram: 8}
      - select: {score: judge_confidence, from_field: meta.judge_preference, center: 1.5, top_fraction: 0.25, sources: [alpacaeval]}
      - consistency: {model: runs/rm, sources: [hh]}
      - balance: {ratio: 1.0}

Paths are relative to the current directory, like every command-line path. The pairs stream
through the steps (`rewardkit.curate.base`); the output is ``OUT/curated.jsonl`` in the rewardkit
schema, with ``OUT/report.md`` / ``report.json`` (per-step counts by reason and source, the data
statistics before and after, the decontamination table), ``OUT/mixture.png`` and
``OUT/manifest.json``. Every step's counts add up (in + added = out + removed), and each step's
output is the next one's input; both are checked before anything is written.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rewardkit.curate.balance import BalanceStep
from rewardkit.curate.base import Step, step_config
from rewardkit.curate.consistency import ConsistencyStep
from rewardkit.curate.decontaminate import DecontaminateStep
from rewardkit.curate.dedup import DedupStep
from rewardkit.curate.mixture import Source, read_mixture
from rewardkit.curate.neighbors import NeighborsStep
from rewardkit.curate.report import (
    StepReport, decontamination_table, markdown_table, plot_mixture, stats_table, steps_table,
)
from rewardkit.curate.select import SelectStep
from rewardkit.data.containers import write_text_atomic
from rewardkit.data.io import write_pairs
from rewardkit.data.schema import PreferencePair
from rewardkit.data.stats import CHUNK, SourceStats, StatsReport, TokenCounter, accumulate
from rewardkit.errors import DataError, RewardkitError
from rewardkit.manifest import build_manifest, write_manifest
from rewardkit.typed import ConfigFieldError, check_values

STEPS: dict[str, type] = {
    "dedup": DedupStep,
    "decontaminate": DecontaminateStep,
    "select": SelectStep,
    "consistency": ConsistencyStep,
    "balance": BalanceStep,
    "neighbors": NeighborsStep,
}


def build_step(kind: str, settings: dict[str, Any] | None, where: str = "") -> Step:
    """A step from its name and settings; unknown names and settings are errors that list the known ones."""
    where = f"{where}: " if where else ""
    if kind not in STEPS:
        raise RewardkitError(f"{where}unknown step {kind!r}; known: {', '.join(STEPS)}")
    cls = STEPS[kind]
    settings = dict(settings or {})
    known = {f.name for f in dataclasses.fields(cls) if f.init and not f.metadata.get("internal")}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise RewardkitError(f"{where}{kind}: unknown settings {unknown}; known: {', '.join(sorted(known))}")
    try:
        check_values(cls, settings)  # a wrong type fails here, not as a comparison deep in a step
        return cls(**settings)
    except (ConfigFieldError, TypeError, ValueError) as e:
        raise RewardkitError(f"{where}{kind}: {e}") from None


@dataclass
class CurateConfig:
    """A mixture of `sources` and the `steps` applied to it, in order.

    Attributes:
        sources: `Source`s (path, name, weight, cap, format).
        steps: step objects (`STEPS`), applied in order.
        seed: seeds the mixture's sampling.
        invalid: rows that are not valid pairs: ``skip`` (removed and counted) or ``error``.
        stats_tokenizer: tokenizer for the before/after statistics (``minilm``, a folder, a hub
            id), or ``words`` to count whitespace words (fast, no tokenizer).
        output: the curated file's name inside the output folder.
    """

    sources: list[Source]
    steps: list[Any] = field(default_factory=list)
    seed: int = 0
    invalid: str = "skip"
    stats_tokenizer: str = "minilm"
    output: str = "curated.jsonl"

    def __post_init__(self) -> None:
        if not self.sources:
            raise RewardkitError("curate needs at least one source")
        if self.invalid not in ("skip", "error"):
            raise RewardkitError(f"invalid must be skip or error, not {self.invalid!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise RewardkitError(f"field 'seed': expected an integer, got {self.seed!r}")

    @classmethod
    def from_dict(cls, data: Any, origin: str = "config") -> "CurateConfig":
        if not isinstance(data, dict):
            raise RewardkitError(f"{origin}: expected a mapping with sources and steps")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RewardkitError(f"{origin}: unknown settings {unknown}; known: {', '.join(sorted(known))}")
        sources = []
        for i, s in enumerate(data.get("sources") or []):
            s = {"path": s} if isinstance(s, str) else s
            try:
                sources.append(Source(**s))
            except (TypeError, ValueError) as e:
                raise RewardkitError(f"{origin}: sources[{i}]: {e}") from None
        steps = []
        for i, entry in enumerate(data.get("steps") or []):
            if isinstance(entry, str):
                entry = {entry: {}}
            if not isinstance(entry, dict) or len(entry) != 1:
                raise RewardkitError(f"{origin}: steps[{i}] must be one 'name: {{settings}}' mapping")
            (kind, settings), = entry.items()
            steps.append(build_step(kind, settings, f"{origin}: steps[{i}]"))
        rest = {k: v for k, v in data.items() if k not in ("sources", "steps")}
        try:
            return cls(sources=sources, steps=steps, **rest)
        except RewardkitError as e:
            raise RewardkitError(f"{origin}: {e}") from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> "CurateConfig":
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise RewardkitError(f"{path}: cannot read config: {e}") from None
        return cls.from_dict(data, str(path))

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": [s.to_dict() for s in self.sources],
            "steps": [step_config(s) for s in self.steps],
            "seed": self.seed, "invalid": self.invalid, "stats_tokenizer": self.stats_tokenizer, "output": self.output,
        }


def _counter(name: str) -> TokenCounter:
    if name == "words":
        return TokenCounter(lambda texts: [len(t.split()) for t in texts])
    from rewardkit.data.tokens import load_tokenizer

    return TokenCounter.for_tokenizer(load_tokenizer(name))


def _tap(pairs: Iterator[PreferencePair], counter: TokenCounter, sources: dict[str, SourceStats]) -> Iterator[PreferencePair]:
    """Pass the stream through, accumulating its statistics chunk by chunk."""
    chunk: list[PreferencePair] = []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) == CHUNK:
            accumulate(chunk, counter, sources)
            yield from chunk
            chunk = []
    accumulate(chunk, counter, sources)
    yield from chunk


def _stats_dict(sources: dict[str, SourceStats], tokenizer: str) -> dict[str, Any]:
    """The `data stats` table for accumulated sources (without its read report)."""
    stats = StatsReport(tokenizer, sources).to_dict()
    stats.pop("read")
    return stats


def run_curation(config: CurateConfig, out: str | Path, *, on_pair: Any = None, config_path: str | None = None) -> dict[str, Any]:
    """Run the pipeline into folder `out` and return the report (also written as report.json)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    counter = _counter(config.stats_tokenizer)
    before: dict[str, SourceStats] = {}
    after: dict[str, SourceStats] = {}
    reports = [StepReport("mixture")]
    stream: Iterator[PreferencePair] = read_mixture(config.sources, reports[0], seed=config.seed, invalid=config.invalid)
    stream = _tap(stream, counter, before)
    for step in config.steps:
        if hasattr(step, "workdir") and step.workdir is None:
            step.workdir = str(out / "work")
        reports.append(StepReport(step.name))
        stream = step.apply(stream, reports[-1])
    stream = _tap(stream, counter, after)

    def counted() -> Iterator[PreferencePair]:
        for pair in stream:
            if on_pair is not None:
                on_pair(1)
            yield pair

    try:
        written = write_pairs(counted(), str(out / config.output))
    finally:
        # the steps' spill files (pairs waiting for selection, balancing, the consistency RM):
        # temporary, and as large as the data
        shutil.rmtree(out / "work", ignore_errors=True)
    if reports[0].pairs_in == 0:
        raise DataError(f"no pairs in {', '.join(s.path for s in config.sources)}: nothing to curate")
    for r in reports:
        r.check()
    for a, b in zip(reports, reports[1:]):
        if a.pairs_out != b.pairs_in:
            raise AssertionError(f"step {b.step} saw {b.pairs_in} pairs but {a.step} passed on {a.pairs_out}")
    if written != reports[-1].pairs_out:
        raise AssertionError(f"wrote {written} pairs but the last step kept {reports[-1].pairs_out}")
    report = {
        "output": str(out / config.output),
        "pairs_in": reports[0].pairs_in,
        "pairs_out": written,
        "steps": [r.to_dict() for r in reports],
        "stats_before": _stats_dict(before, config.stats_tokenizer),
        "stats_after": _stats_dict(after, config.stats_tokenizer),
        "seconds": round(time.perf_counter() - started, 2),
    }
    write_report(report, out)
    inputs = [s.path for s in config.sources]
    for step in config.steps:
        inputs += list(getattr(step, "against", []) or [])
    manifest = build_manifest(
        "curate", config.to_dict(), inputs,
        {"pairs_in": report["pairs_in"], "pairs_out": written,
         "steps": {r.step: {"in": r.pairs_in, "out": r.pairs_out, "removed": r.removed_by_reason()} for r in reports}},
        config_file=config_path, outputs=[config.output, "report.md", "report.json", "mixture.png"],
    )
    write_manifest(out, manifest)
    return report


def write_report(report: dict[str, Any], out: Path) -> None:
    write_text_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    first, last = report["steps"][0], report["steps"][-1]
    plot_mixture(first["sources_in"], last["sources_out"], out / "mixture.png")
    parts = [
        "# Curation report\n",
        f"{report['pairs_in']:,} pairs in, {report['pairs_out']:,} out, in {report['seconds']:.1f} s. "
        f"Output: `{Path(report['output']).name}`. Each step's counts add up: in + added = out + removed.\n",
        "## Steps\n", steps_table(report["steps"]),
        "\n## Removed, by step, reason and source\n",
        markdown_table(["Step", "Reason", "Source", "Pairs"], [
            [s["step"], r["reason"], r["source"], f"{r['pairs']:,}"]
            for s in report["steps"] for r in s["removed_by_reason_and_source"]
        ], right=3),
        f"\n## Statistics before (tokens: {report['stats_before']['tokenizer']})\n", stats_table(report["stats_before"]),
        "\n## Statistics after\n", stats_table(report["stats_after"]),
        "\n## Mixture\n\n![mixture before and after](mixture.png)\n",
    ]
    for s in report["steps"]:
        d = s["details"]
        if s["step"] == "decontaminate":
            parts += [f"\n## Decontamination ({d['ngram']}-gram overlap or exact match, normalised text)\n",
                      decontamination_table(d)]
            if d["samples"]:
                parts.append("\nSample matches:\n")
                parts.append(markdown_table(["Source", "Match", "Training prompt", "Benchmark prompt"], [
                    [m["source"], m["kind"] + (f": “{m['ngram']}”" if m["ngram"] else ""), _cell(m["training_prompt"]), _cell(m["benchmark_prompt"])]
                    for m in d["samples"][:10]
                ], right=99))
        elif s["step"] == "select":
            parts += ["\n## Score-based selection, per category\n", markdown_table(
                ["Category", "Pairs", "Kept", "Lowest kept score"],
                [[c, f"{v['pairs']:,}", f"{v['kept']:,}", "-" if v["threshold"] is None else f"{v['threshold']:.4f}"]
                 for c, v in d["categories"].items()])]
        elif s["step"] == "balance":
            parts += ["\n## Length balancing\n", markdown_table(
                ["Source", "Chosen longer", "Chosen shorter", "Equal", "Removed"],
                [[r["source"], f"{r['chosen_longer']:,}", f"{r['chosen_shorter']:,}", f"{r['equal']:,}",
                  f"{r['removed']:,}" + (f" ({r['removed_side']})" if r["removed_side"] else "")] for r in d["table"]])]
        elif s["step"] == "consistency":
            rule = f"the lowest {d['drop_fraction']:.0%} per model dropped" if "drop_fraction" in d else f"margin > {d['margin']}"
            if "folds" in d:
                parts += [f"\n## RM consistency\n\n{len(d['folds'])} folds by prompt, each scored by an RM trained on the rest: "
                          f"{d['scored']:,} pairs scored, {d['kept']:,} kept ({rule}).\n", markdown_table(
                              ["Fold", "Trained on", "Scored", "Kept above"],
                              [[str(i), f"{f['trained']['pairs']:,}", f"{f['scored']:,}", f"{f['cut']:.4g}"] for i, f in enumerate(d["folds"])])]
            else:
                parts += [f"\n## RM consistency\n\nModel `{d.get('model')}`: {d['scored']:,} pairs scored, {d['kept']:,} kept ({rule}).\n"]
    write_text_atomic(out / "report.md", "\n".join(p.rstrip("\n") + "\n" for p in parts))


def _cell(text: str, limit: int = 120) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"
