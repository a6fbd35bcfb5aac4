"""A prompt gate: how likely a prompt is a request to refuse (safety-sensitive), and a scorer that
silences an ensemble member there.

    gate = PromptGate.load("runs/quality/gate")     # a folder from `rewardkit train gate`
    gate.probability(prompts)                       # P(safety-sensitive) per prompt
    load_scorer("ensemble:runs/quality/rm-quality,gated:runs/quality/gate:pmi:smollm2@0.03")

Why: a language model's likelihood or PMI rewards the fluent, on-topic answer, and to a harmful
request that is the compliant one; next to a trained reward model it lifts LLMBar-style sets and
sinks refusals (rewardkit's PMI member: Chat Hard 37.9 -> 46.8, Safety 75.8 -> 50.0 on rb-open).
The instruction-response ``relevance`` member does the same, for the same reason (a refusal is not
about what was asked), and the quality recipe gates both.
``gated:GATE:MEMBER`` multiplies the member's reward by 1 - P(sensitive | prompt). Every
response to one prompt gets the same factor, so within a prompt the member's order is kept and
only its say shrinks; on a sensitive prompt the ensemble's other members decide.

The probability is a logistic regression on the sentence encoder's unit-length mean-pooled
embedding (`rewardkit.models.relevance`, all-MiniLM-L6-v2 by default) of the prompt's user turns,
the last one first (the request being answered; earlier turns as the encoder's 256 tokens
allow). `rewardkit.train.gate` fits it on prompts labelled by their source. A folder holds
``gate.json``: the encoder, the weights and bias, and what it was fit on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardkit.data.chat import user_turns
from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import Conversation, RewardScorer
from rewardkit.models.wrapped import WrappedScorer

PREFIX = "gated:"
GATE_FILE = "gate.json"
FORMAT = "rewardkit-gate/1"


def prompt_text(prompt: Sequence[Any]) -> str:
    """The user turns, the last first; the whole prompt when no turn is a user's."""
    users = user_turns(prompt)
    return "\n".join(reversed(users)) if users else "\n".join(m.content for m in prompt)


@dataclass
class PromptGate:
    """P(sensitive | prompt) = sigmoid(w · embed(prompt_text) + b)."""

    encoder: str
    weights: list[float]
    bias: float
    meta: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # the encoder's loading options
    _embedder: Any = field(default=None, repr=False, compare=False)

    def save(self, folder: str | Path) -> Path:
        from rewardkit.data.containers import write_text_atomic

        path = Path(folder) / GATE_FILE
        data = {"format": FORMAT, "encoder": self.encoder, "weights": self.weights, "bias": self.bias, "meta": self.meta}
        write_text_atomic(path, json.dumps(data, indent=1) + "\n")
        return path

    @classmethod
    def load(cls, folder: str | Path, **options: Any) -> "PromptGate":
        """A gate folder; `options` (`BACKBONE_OPTIONS`) go to the encoder when it is loaded."""
        path = Path(folder) / GATE_FILE
        if not path.is_file():
            raise RewardkitError(f"{folder}: no {GATE_FILE} (a folder from `rewardkit train gate`)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r} is not {FORMAT}")
            return cls(str(data["encoder"]), [float(w) for w in data["weights"]], float(data["bias"]), dict(data.get("meta") or {}),
                       options)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise RewardkitError(f"{path}: not a rewardkit gate: {e}") from None

    def embedder(self) -> Any:
        if self._embedder is None:
            from rewardkit.models.relevance import RelevanceScorer

            self._embedder = RelevanceScorer.load(f"relevance:{self.encoder}", **self.options)
        return self._embedder

    def logits(self, embeddings: Any) -> list[float]:
        """w · x + b for each row of `embeddings` ([n, hidden], numpy or torch)."""
        rows = embeddings.tolist() if hasattr(embeddings, "tolist") else embeddings
        if rows and len(rows[0]) != len(self.weights):
            raise RewardkitError(f"gate has {len(self.weights)} weights, the encoder {self.encoder!r} gives {len(rows[0])} dimensions")
        return [self.bias + math.fsum(w * v for w, v in zip(self.weights, row)) for row in rows]

    def probabilities(self, embeddings: Any) -> list[float]:
        """sigmoid(w · x + b) for each row of `embeddings`."""
        return [_sigmoid(z) for z in self.logits(embeddings)]

    def probability(self, prompts: Sequence[Sequence[Any]]) -> list[float]:
        """P(sensitive) per prompt; each distinct prompt text is embedded once."""
        texts: dict[str, int] = {}
        index = [texts.setdefault(prompt_text(p), len(texts)) for p in prompts]
        if not index:
            return []
        probs = self.probabilities(self.embedder().embed_texts(list(texts)))
        return [probs[i] for i in index]


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def parse_gated_spec(spec: str) -> tuple[str, str]:
    """``gated:GATE:MEMBER`` -> ``(GATE, MEMBER)``; the member may hold colons (``pmi:smollm2``)."""
    body = spec[len(PREFIX):] if spec.startswith(PREFIX) else ""
    gate, sep, member = body.partition(":")
    if not gate.strip() or not sep or not member.strip():
        raise RewardkitError(f"bad gated spec {spec!r}; use gated:GATE_FOLDER:MEMBER (e.g. gated:runs/gate:pmi:smollm2)")
    return gate, member


class GatedScorer(WrappedScorer):
    """`RewardScorer`: `member`'s reward times 1 - `gate`'s probability of the prompt (module docstring)."""

    def __init__(self, member: RewardScorer, gate: PromptGate, name: str | None = None) -> None:
        self.member = member
        self.gate = gate
        self.name = name or f"{PREFIX}gate:{member.name}"

    @classmethod
    def load(cls, spec: str, **kwargs: Any) -> "GatedScorer":
        """The gate folder and the member spec (loaded by `load_scorer` with `kwargs`)."""
        from rewardkit.models.registry import BACKBONE_OPTIONS, load_scorer

        gate, member = parse_gated_spec(spec)
        options = {k: v for k, v in kwargs.items() if k in BACKBONE_OPTIONS and v is not None}
        return cls(load_scorer(member, **kwargs), PromptGate.load(gate, **options), name=spec)

    def reshape(self, conversations: Sequence[Conversation], rewards: list[float]) -> list[float]:
        probs = self.gate.probability([prompt for prompt, _ in conversations])
        return [(1.0 - p) * r for p, r in zip(probs, rewards)]
