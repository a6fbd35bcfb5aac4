"""Reports: results.json, scores.jsonl, a markdown leaderboard, and PNG plots.

The leaderboard holds several models side by side (a model and its baselines, or
``rewardkit eval --compare runs/*/results.json``). Scores are shown as percentages, like the
RewardBench leaderboard.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardkit.data.containers import write_rows, write_text_atomic
from rewardkit.errors import RewardkitError
from rewardkit.evaluate.benchmarks import benchmark_for
from rewardkit.evaluate.metrics import Outcome, section_scores


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def leaderboard(results: Sequence[dict[str, Any]]) -> str:
    """A markdown table: Model | Score | sections ... | Prior Sets | other subsets ... (sorted by score)."""
    sections: list[str] = []
    unknown: list[str] = []
    for r in results:
        sections += [s for s in r["sections"] if s not in sections]
        unknown += [s for s in r.get("unknown_subsets", []) if s not in unknown]
    has_prior = any(r.get("prior_sets") is not None for r in results)
    header = ["Model", "Score", *sections] + (["Prior Sets"] if has_prior else []) + unknown
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    ordered = sorted(results, key=lambda r: -(r["score"] if r["score"] is not None else r.get("accuracy", 0)))
    for r in ordered:
        cells = [r["model"], _pct(r["score"])] + [_pct(r["sections"].get(s)) for s in sections]
        if has_prior:
            cells.append(_pct(r.get("prior_sets")))
        cells += [_pct(r["subsets"].get(s, {}).get("accuracy")) for s in unknown]
        lines.append("| " + " | ".join(cells) + " |")
    weightings = sorted({r["weighting"] for r in results})
    lines.append("")
    lines.append(
        f"Sections weight their subsets by {'the official counts' if weightings == ['official'] else 'the rows present'}"
        f" ({', '.join(weightings)}); Score is the mean of the sections; ties count as wrong for scalar scorers."
    )
    return "\n".join(lines) + "\n"


def subset_table(results: Sequence[dict[str, Any]]) -> str:
    """Per-subset accuracies, one column per model (reward-bench users read these first)."""
    subsets = sorted({s for r in results for s in r["subsets"]})
    lines = ["| Subset | n | " + " | ".join(r["model"] for r in results) + " |", "|---|---:|" + "---:|" * len(results)]
    for s in subsets:
        # each result's own n: results computed on different data show every count, not the first
        ns = list(dict.fromkeys(str(r["subsets"][s]["n"]) for r in results if s in r["subsets"]))
        lines.append(f"| {s} | {' / '.join(ns)} | " + " | ".join(_pct(r["subsets"].get(s, {}).get("accuracy")) for r in results) + " |")
    return "\n".join(lines) + "\n"


def data_mismatch(results: Sequence[dict[str, Any]]) -> str | None:
    """A warning when results side by side were computed on different data (by the SHA-256 of
    their benchmark files in results.json), or when some carry no hashes to compare."""
    def fingerprint(r: dict[str, Any]) -> tuple[str, ...] | None:
        hashes = [d.get("sha256") for d in r.get("data") or []]
        return tuple(sorted(h for h in hashes if h)) or None

    prints = {r["model"]: fingerprint(r) for r in results}
    known = {fp for fp in prints.values() if fp is not None}
    if len(known) > 1:
        groups: dict[tuple[str, ...], list[str]] = {}
        for model, fp in prints.items():
            if fp is not None:
                groups.setdefault(fp, []).append(model)
        described = "; ".join(f"{', '.join(models)} on data {', '.join(h[:12] for h in fp)}" for fp, models in groups.items())
        return f"warning: these results were computed on different data, so their scores are not comparable: {described}"
    unknown = [m for m, fp in prints.items() if fp is None]
    if unknown and len(unknown) < len(prints):
        return f"warning: no data hashes in the results of {', '.join(unknown)}: cannot check they used the same data"
    return None


def diagnostics(result: dict[str, Any]) -> str:
    lb = result["length_bias"]
    parts = [f"### {result['model']}", ""]
    ci = result.get("confidence_intervals") or {}
    if ci:
        parts.append("95% bootstrap intervals: " + ", ".join(f"{k} {_pct(v[0])}-{_pct(v[1])}" for k, v in ci.items()))
    parts.append(
        f"Length bias: accuracy {_pct(lb['chosen_longer']['accuracy'])} when the chosen response is longer "
        f"(n={lb['chosen_longer']['n']}), {_pct(lb['chosen_shorter']['accuracy'])} when it is shorter (n={lb['chosen_shorter']['n']})."
    )
    cal = result.get("calibration")
    if cal:
        parts.append(f"Calibration of sigmoid(margin) as P(chosen): ECE {cal['ece']:.3f} over {cal['n']} pairs.")
    if result.get("position"):
        pos = result["position"]
        parts.append(
            f"Position consistency: {_pct(pos['consistency'])} of {pos['pairs']} pairs get the same winner in both orders; "
            f"the answer shown first wins {_pct(pos.get('first_shown_wins'))}% of decided verdicts; "
            f"{_pct(pos.get('unparsed_rate'))}% of verdicts unparsed. Disagreements count as ties (0.5)."
        )
    return "\n".join(parts) + "\n"


def plot_sections(results: Sequence[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sections = []
    for r in results:
        sections += [s for s in (r["sections"] or {s: 0 for s in r["subsets"]}) if s not in sections]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(sections) + 2), 4))
    width = 0.8 / max(len(results), 1)
    for i, r in enumerate(results):
        values = [100 * (r["sections"].get(s) if r["sections"] else r["subsets"].get(s, {}).get("accuracy", 0)) or 0 for s in sections]
        ax.bar([x + i * width for x in range(len(sections))], values, width, label=r["model"])
    ax.set_xticks([x + width * (len(results) - 1) / 2 for x in range(len(sections))], sections, rotation=0)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.legend(fontsize=8)
    ax.set_title("Accuracy by section")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_model(result: dict[str, Any], outcomes: Sequence[Outcome], folder: Path) -> list[str]:
    """Margin histogram, accuracy by length bucket, reliability diagram (when there are probabilities)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    margins = [o.margin for o in outcomes if o.margin is not None]
    if margins:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(margins, bins=40, color="tab:blue")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel("reward margin (chosen - rejected)")
        ax.set_ylabel("pairs")
        ax.set_title(f"{result['model']}: margins ({100 * sum(m > 0 for m in margins) / len(margins):.1f}% > 0)")
        fig.tight_layout()
        fig.savefig(folder / "margins.png", dpi=110)
        plt.close(fig)
        written.append("margins.png")
    buckets = result["accuracy_by_length"]
    if buckets:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        labels = [f"{b['min_chars']:.0f}-{b['max_chars']:.0f}" for b in buckets]
        ax.bar(labels, [100 * b["accuracy"] for b in buckets], color="tab:green")
        ax.axhline(50, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("mean response length (characters), quintiles")
        ax.set_ylabel("accuracy (%)")
        ax.set_ylim(0, 100)
        ax.set_title("Accuracy by response length")
        fig.tight_layout()
        fig.savefig(folder / "accuracy_by_length.png", dpi=110)
        plt.close(fig)
        written.append("accuracy_by_length.png")
    cal = result.get("calibration")
    if cal:
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        ax.plot([0.5, 1], [0.5, 1], color="grey", ls="--", lw=0.8)
        ax.plot([b["confidence"] for b in cal["bins"]], [b["accuracy"] for b in cal["bins"]], marker="o")
        ax.set_xlabel("confidence max(p, 1 - p)")
        ax.set_ylabel("accuracy")
        ax.set_title(f"Reliability (ECE {cal['ece']:.3f})")
        fig.tight_layout()
        fig.savefig(folder / "reliability.png", dpi=110)
        plt.close(fig)
        written.append("reliability.png")
    return written


def write_report(
    main: dict[str, Any], outcomes: Sequence[Outcome], rows: Sequence[dict[str, Any]], folder: str | Path,
    baselines: Sequence[dict[str, Any]] = (), also: Sequence[dict[str, Any]] = (),
) -> dict[str, str]:
    """Write results.json, scores.jsonl, leaderboard.md and the plots; return what went where.
    `also` (other specs evaluated on the same pairs) and `baselines` are summarised in
    results.json under those keys and ranked beside the model; scores and plots are the model's."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result = dict(main)
    for key, others in (("also", also), ("baselines", baselines)):
        if others:
            result[key] = {b["model"]: {k: b[k] for k in ("sections", "prior_sets", "score", "subsets", "weighting")} for b in others}
    write_text_atomic(folder / "results.json", json.dumps(result, indent=2, default=str) + "\n")
    write_rows(rows, str(folder / "scores.jsonl"))
    everyone = [main, *also, *baselines]
    text = "# Leaderboard\n\n" + leaderboard(everyone) + "\n## Subsets\n\n" + subset_table(everyone) + "\n## Diagnostics\n\n" + diagnostics(main)
    write_text_atomic(folder / "leaderboard.md", text)
    plot_sections(everyone, folder / "sections.png")
    plots = ["sections.png", *plot_model(main, outcomes, folder)]
    return {"results": str(folder / "results.json"), "scores": str(folder / "scores.jsonl"),
            "leaderboard": str(folder / "leaderboard.md"), "plots": ", ".join(str(folder / p) for p in plots)}


def _accuracy(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise RewardkitError(f"{where}: expected an accuracy in [0, 1], got {value!r} (percentages are not accepted)")
    return float(value)


def load_results(path: str) -> dict[str, Any]:
    """A rewardkit results.json, or a reward-bench results file (per-subset accuracies by name);
    every accuracy is checked to lie in [0, 1]."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise RewardkitError(f"{path}: not a readable results file ({e})") from None
    if not isinstance(data, dict):
        raise RewardkitError(f"{path}: not a results file (expected a JSON object)")
    if "subsets" in data and "sections" in data:
        subsets, sections = data["subsets"], data["sections"]
        if not isinstance(subsets, dict) or not isinstance(sections, dict) or not isinstance(data.get("model"), str):
            raise RewardkitError(f"{path}: not a rewardkit results file (model, subsets and sections)")
        for name, sub in subsets.items():
            if not isinstance(sub, dict) or not isinstance(sub.get("n"), int) or isinstance(sub.get("n"), bool):
                raise RewardkitError(f"{path}: field 'subsets.{name}': expected {{\"accuracy\": float, \"n\": int}}")
            _accuracy(sub.get("accuracy"), f"{path}: field 'subsets.{name}.accuracy'")
        for name, value in sections.items():
            _accuracy(value, f"{path}: field 'sections.{name}'")
        for key in ("score", "prior_sets"):
            if data.get(key) is not None:
                _accuracy(data[key], f"{path}: field '{key}'")
        data.setdefault("weighting", "rows-present")
        return data
    # reward-bench writes {"model": ..., "chat_template": ..., "<subset>": accuracy, ...}
    subsets = {k: {"accuracy": _accuracy(v, f"{path}: field '{k}'"), "n": 0}
               for k, v in data.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if not subsets:
        raise RewardkitError(f"{path}: not a results file (no per-subset accuracies)")
    bench = benchmark_for(set(subsets))
    official = bench.official_counts() if bench else {}
    for s in subsets:
        subsets[s]["n"] = official.get(s, 1)
    scores = section_scores(subsets, bench)
    return {"model": str(data.get("model", Path(path).stem)), "subsets": subsets, "sections": scores.sections,
            "prior_sets": scores.prior_sets, "score": scores.score, "weighting": "official", "unknown_subsets": scores.unknown_subsets}
