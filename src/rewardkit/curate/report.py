"""What a curation step did: pairs in, pairs out, and every removed pair counted by reason and source."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepReport:
    """Counts for one step. Invariant (checked by `check`): in + added = out + removed."""

    step: str
    pairs_in: int = 0
    pairs_out: int = 0
    added: int = 0
    removed: Counter[tuple[str, str]] = field(default_factory=Counter)  # (reason, source) -> pairs
    sources_in: Counter[str] = field(default_factory=Counter)
    sources_out: Counter[str] = field(default_factory=Counter)
    details: dict[str, Any] = field(default_factory=dict)

    def saw(self, source: str) -> None:
        self.pairs_in += 1
        self.sources_in[source] += 1

    def kept(self, source: str) -> None:
        self.pairs_out += 1
        self.sources_out[source] += 1

    def remove(self, reason: str, source: str) -> None:
        self.removed[(reason, source)] += 1

    @property
    def removed_total(self) -> int:
        return sum(self.removed.values())

    def removed_by_reason(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (reason, _), n in self.removed.items():
            out[reason] += n
        return dict(sorted(out.items()))

    def check(self) -> None:
        if self.pairs_in + self.added != self.pairs_out + self.removed_total:
            raise AssertionError(
                f"step {self.step}: {self.pairs_in} in + {self.added} added != "
                f"{self.pairs_out} out + {self.removed_total} removed"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "pairs_in": self.pairs_in,
            "pairs_out": self.pairs_out,
            "added": self.added,
            "removed": self.removed_total,
            "removed_by_reason": self.removed_by_reason(),
            "removed_by_reason_and_source": [
                {"reason": r, "source": s, "pairs": n} for (r, s), n in sorted(self.removed.items())
            ],
            "sources_in": dict(sorted(self.sources_in.items())),
            "sources_out": dict(sorted(self.sources_out.items())),
            "details": self.details,
        }


def markdown_table(header: list[str], rows: list[list[Any]], right: int = 1) -> str:
    """A markdown table; columns from index `right` on are right-aligned."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i < right else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def stats_table(stats: dict[str, Any]) -> str:
    """The `rewardkit data stats` table (Skywork-Reward's Table 1) from `StatsReport`-style rows."""
    rows = [
        [r["source"], f"{r['pairs']:,}", f"{r['avg_turns']:.2f}", f"{r['avg_prompt_tokens']:.1f}",
         f"{r['avg_response_tokens']:.1f}", f"{100 * r['chosen_longer']:.1f}%"]
        for r in [*stats["sources"], stats["total"]]
    ]
    return markdown_table(["Source", "Pairs", "Avg. turns", "Avg. prompt tok.", "Avg. response tok.", "Chosen longer"], rows)


def steps_table(steps: list[dict[str, Any]]) -> str:
    rows = [
        [s["step"], f"{s['pairs_in']:,}", f"{s['pairs_out']:,}", f"{s['removed']:,}",
         ", ".join(f"{k} {v:,}" for k, v in s["removed_by_reason"].items()) or "-"]
        for s in steps
    ]
    return markdown_table(["Step", "In", "Out", "Removed", "Why"], rows, right=1)


def decontamination_table(details: dict[str, Any]) -> str:
    """The paper's table: per training source, benchmark prompts matched, contaminated prompts and pairs."""
    rows = [
        [r["source"], f"{r['benchmark_prompts_matched']:,}", f"{r['contaminated_prompts']:,} / {r['training_prompts']:,}",
         f"{r['contaminated_pairs']:,} / {r['pairs']:,}",
         ", ".join(f"{k} {v:,}" for k, v in r["by_kind"].items()) or "-"]
        for r in details["table"]
    ]
    return markdown_table(
        ["Training source", f"Benchmark prompts with a match (of {details['benchmark_prompts']:,})",
         "Contaminated prompts", "Contaminated pairs", "By match"], rows)


def plot_mixture(before: dict[str, int], after: dict[str, int], path: Any) -> None:
    """Two pies, the mixture by source before and after curation (the paper's Figure 1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rewardkit.data.containers import atomic_path

    sources = sorted(set(before) | set(after), key=lambda s: -before.get(s, 0))
    colors = {s: plt.get_cmap("tab20")(i % 20) for i, s in enumerate(sources)}
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5))
    for ax, counts, title in ((axes[0], before, "before"), (axes[1], after, "after")):
        names = [s for s in sources if counts.get(s)]
        total = sum(counts.values())
        ax.set_title(f"{title}: {total:,} pairs")
        if not total:
            ax.axis("off")
            ax.text(0.5, 0.5, "no pairs", ha="center", va="center", transform=ax.transAxes)
            continue
        ax.pie([counts[s] for s in names], colors=[colors[s] for s in names], startangle=90, counterclock=False,
               autopct=lambda p: f"{p:.1f}%" if p >= 3 else "", pctdistance=0.75, wedgeprops={"linewidth": 1, "edgecolor": "white"})
    fig.legend([plt.Rectangle((0, 0), 1, 1, color=colors[s]) for s in sources],
               [f"{s} ({before.get(s, 0):,} -> {after.get(s, 0):,})" for s in sources],
               loc="lower center", ncol=max(1, min(2, len(sources))), fontsize=9, frameon=False)
    fig.suptitle("Preference data mixture by source")
    fig.tight_layout(rect=(0, 0.08 + 0.03 * ((len(sources) + 1) // 2), 1, 1))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
