"""`AttributeModel`: a frozen backbone and its attribute heads, loaded from the folder that
``rewardkit train attributes`` writes:

    DIR/attributes.json      backbone, pooling, max_length, the heads (name, kind, report)
    DIR/heads.safetensors    the head weights
    DIR/embeddings.sqlite    the embedding cache (optional; rebuilt when absent)
    DIR/manifest.json

The backbone is named as it was given (``minilm``, ``smollm2``, a folder, a hub id); a folder
backbone given by a relative path is resolved against the current directory first, then against
DIR, so a run folder can be moved together with its backbone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rewardkit.errors import RewardkitError
from rewardkit.models.attributes.embeddings import EmbeddingCache, embed_conversations, model_fingerprint
from rewardkit.models.attributes.heads import AttributeHeads
from rewardkit.models.protocols import Conversation

if TYPE_CHECKING:
    import torch

    from rewardkit.models.classifier import ClassifierScorer

ATTRIBUTES_FILE = "attributes.json"
CACHE_FILE = "embeddings.sqlite"
FORMAT = "rewardkit-attributes/1"


def load_backbone(spec: str, *, max_length: int | None = None, batch_size: int = 32, **options: Any) -> "ClassifierScorer":
    """A backbone to embed with: any sequence classifier (its scalar head is not used)."""
    from rewardkit.models.classifier import ClassifierScorer

    return ClassifierScorer.load(spec, allow_untrained_head=True, max_length=max_length, batch_size=batch_size, **options)


class AttributeModel:
    """Attribute rewards of responses: ``rewards(conversations)`` is ``[n, k]`` (columns `names`)."""

    def __init__(self, scorer: "ClassifierScorer", heads: AttributeHeads, *, backbone: str, pooling: str = "auto",
                 cache: EmbeddingCache | None = None) -> None:
        self.scorer = scorer
        self.heads = heads
        self.backbone = backbone
        self.pooling = pooling
        self.cache = cache
        self.fingerprint = model_fingerprint(scorer, pooling)
        self.stats: dict[str, int] = {}

    @property
    def names(self) -> list[str]:
        return self.heads.names

    def embed(self, conversations: Sequence[Conversation]) -> "torch.Tensor":
        return embed_conversations(self.scorer, conversations, pooling=self.pooling, cache=self.cache,
                                   fingerprint=self.fingerprint, stats=self.stats)

    def rewards(self, conversations: Sequence[Conversation]) -> "torch.Tensor":
        return self.heads.apply(self.embed(conversations))

    @classmethod
    def load(cls, folder: str | Path, *, cache: str | Path | None | bool = None, **options: Any) -> "AttributeModel":
        """Load DIR; `cache`: None or True uses DIR/embeddings.sqlite, False none, a path that file."""
        folder = Path(folder)
        path = folder / ATTRIBUTES_FILE
        if not path.is_file():
            raise RewardkitError(f"{folder}: no {ATTRIBUTES_FILE} (train one with `rewardkit train attributes`)")
        try:
            described = json.loads(path.read_text(encoding="utf-8"))
            if described.get("format") != FORMAT:
                raise ValueError(f"format {described.get('format')!r} is not {FORMAT}")
            backbone, pooling, max_length = str(described["backbone"]), str(described["pooling"]), described.get("max_length")
            heads_described = list(described["heads"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise RewardkitError(f"{path}: not a rewardkit attributes file: {e}") from None
        heads = AttributeHeads.load(folder, heads_described)
        local = Path(backbone)
        if not local.is_absolute() and not local.exists() and (folder / local).exists():
            backbone = str(folder / local)
        scorer = load_backbone(backbone, max_length=max_length, **options)
        store = None if cache is False else EmbeddingCache(folder / CACHE_FILE if cache in (None, True) else cache)  # type: ignore[arg-type]
        return cls(scorer, heads, backbone=backbone, pooling=pooling, cache=store)

    def describe(self) -> dict[str, Any]:
        return {"format": FORMAT, "backbone": self.backbone, "pooling": self.pooling, "max_length": self.scorer.formatter.max_length,
                "hidden_size": int(self.heads.weight.shape[1]), "heads": [vars(h) for h in self.heads.heads]}

    def save(self, folder: Path) -> None:
        from rewardkit.data.containers import write_text_atomic

        self.heads.save(folder)
        write_text_atomic(folder / ATTRIBUTES_FILE, json.dumps(self.describe(), indent=1) + "\n")
