"""Relevance: how close a response is to its instruction, by a sentence encoder (no training).

    scorer = load_scorer("relevance")             # all-MiniLM-L6-v2, the embedded `minilm`
    scorer = load_scorer("relevance:FOLDER")      # any BERT-style sentence encoder
    scorer.score(conversations)  # cos(embed(last user turn), embed(response)) per conversation

The reward is the cosine similarity of the mean-pooled, unit-length embeddings of the last user
turn (the instruction being answered) and of the response, each encoded on its own, the way
sentence-transformers uses all-MiniLM-L6-v2. It is a baseline, like ``length``: it shows which
benchmark sets topicality alone solves. On rb-open it wins LLMBar's adversarial sets, whose
rejected answer follows a neighbouring instruction (GPTInst 80%, neighbor 72%), and it loses
every refusal set (a refusal is off-topic by design: xstest-should-refuse 0%). As an
``ensemble:`` member its scale matters: rewards lie in [-1, 1] with a spread of about 0.24 on
rewardkit's development split, against 1 for a trained model's standardized rewards.

Each distinct text is encoded once; rewards do not depend on batch size or order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rewardkit.console import rescaled
from rewardkit.data.chat import Encoded, user_turns
from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import Conversation

PREFIX = "relevance"
DEFAULT_ENCODER = "minilm"
MAX_LENGTH = 256  # all-MiniLM-L6-v2 was trained on 128-token texts; longer inputs dilute the mean


def instruction(prompt: Sequence[Any]) -> str:
    """The text a response answers: the last user turn (the whole prompt if no turn is a user's)."""
    users = user_turns(prompt)
    return users[-1] if users else "\n".join(m.content for m in prompt)


class RelevanceScorer:
    """`RewardScorer`: cosine similarity of instruction and response embeddings (module docstring)."""

    margin_is_logit = False  # a difference of cosines is no Bradley-Terry logit

    def __init__(self, encoder: Any, name: str = PREFIX) -> None:
        self.encoder = encoder  # a ClassifierScorer: its tokenizer, batching and pooling; the head is never read
        self.name = name

    @classmethod
    def load(cls, spec: str = PREFIX, **kwargs: Any) -> "RelevanceScorer":
        """``relevance`` or ``relevance:ENCODER``; loading options (`BACKBONE_OPTIONS`: dtype, bf16,
        device, batch_size...) go to the encoder, and options that only a reward model has are ignored."""
        from rewardkit.models.classifier import ClassifierScorer
        from rewardkit.models.registry import BACKBONE_OPTIONS

        name, colon, encoder = spec.partition(":")
        if name != PREFIX or (colon and not encoder.strip()):
            raise RewardkitError(f"bad relevance spec {spec!r}; use relevance (MiniLM) or relevance:ENCODER (a folder or hub id)")
        kwargs = {k: v for k, v in kwargs.items() if k in BACKBONE_OPTIONS and v is not None}
        backbone = ClassifierScorer.load(encoder or DEFAULT_ENCODER, allow_untrained_head=True, normalize=False, max_length=MAX_LENGTH,
                                         **kwargs)
        return cls(backbone, name=spec)

    @property
    def truncated(self) -> int:
        return self.encoder.truncated

    def embed_texts(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> Any:
        """Unit-length mean-pooled embeddings ``[n, hidden]`` of `texts`, each encoded with the
        encoder's special tokens ([CLS] text [SEP]) and cut to `MAX_LENGTH` tokens (counted)."""
        import torch

        backend = self.encoder.formatter.backend  # the fast tokenizer: no "longer than the model" warnings
        encoded = []
        for row in (e.ids for e in backend.encode_batch_fast(list(texts), add_special_tokens=True)):
            if len(row) > MAX_LENGTH:
                row = row[: MAX_LENGTH - 1] + row[-1:]  # keep the closing [SEP]
                self.encoder.truncated += 1
            encoded.append(Encoded(row, None))
        emb = self.encoder.embed_encoded(encoded, "mean", on_batch)
        return torch.nn.functional.normalize(emb, dim=-1)

    def score(self, conversations: Sequence[Conversation], on_batch: Callable[[int], None] | None = None) -> list[float]:
        texts: dict[str, int] = {}
        pairs = []
        for prompt, response in conversations:
            pairs.append((texts.setdefault(instruction(prompt), len(texts)), texts.setdefault(response, len(texts))))
        if not pairs:
            return []
        # distinct texts are run; the caller sees progress over conversations
        emb = self.embed_texts(list(texts), rescaled(on_batch, len(texts), len(conversations)))
        return [float(emb[i] @ emb[j]) for i, j in pairs]
