"""Sequence-classifier reward models: load any `AutoModelForSequenceClassification` with a
scalar head, and score conversations with it fast and batch-invariantly.

Scoring sorts conversations by length and pads only within a batch of similar lengths (a
reward-bench-style pipeline pads arbitrary neighbours together), runs under ``torch.no_grad``
and, when asked, bf16 autocast with the weights cast once per call (`cast_once`) and the reward
head in fp32 (`head_in_fp32`: bf16 rewards tie). Results come back in input order and do not
depend on batch size or order: padding is masked, and the pooled token of a decoder is its last
real token (right padding, explicit pad token).

A model trained by rewardkit carries its formatting in ``config.json`` under ``rewardkit``
(``max_length``, ``template``, optional ``normalization`` mean/std); scorers read it from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rewardkit.data.chat import ChatFormatter, Encoded, pad_right
from rewardkit.errors import RewardkitError
from rewardkit.embedded import resolve
from rewardkit.models.loading import (  # noqa: F401 - re-exported
    LoadOptions,
    autocast,
    bf16_supported,
    cast_once,
    default_device,
    drop_gguf_marker,
    head_in_fp32,
    placed,
)
from rewardkit.models.protocols import Conversation

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

DEFAULT_MAX_LENGTH = 512
CPU_BATCH_TOKENS = 4096
POOLINGS = ("last", "mean", "first")


def load_sequence_classifier(
    name_or_path: str,
    *,
    options: LoadOptions | None = None,
    device: str | None = None,
    require_trained_head: bool = False,
) -> tuple["PreTrainedModel", "PreTrainedTokenizerBase"]:
    """A scalar-head sequence classifier and its tokenizer, with the pad token set up.

    Decoder tokenizers often have no pad token: the EOS token is used (as TRL does), and the
    model config learns its id so that pooling finds each sequence's last real token.

    A bare backbone (``minilm``, a hub LLM that is not a reward model) loads with a newly
    initialised score head, whose scores are random: expected for training, refused with
    ``require_trained_head`` (scoring), which names the weights that were missing.
    """
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    from rewardkit.data.tokens import load_tokenizer

    options = options or LoadOptions()
    where, extra = resolve(name_or_path)
    tokenizer = load_tokenizer(name_or_path, trust_remote_code=options.trust_remote_code)
    kwargs: dict[str, Any] = {"num_labels": 1, **options.from_pretrained_kwargs(device or default_device()), **extra}
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the "newly initialized score head" report is expected
    try:
        model, info = AutoModelForSequenceClassification.from_pretrained(where, output_loading_info=True, **kwargs)
    except (OSError, ValueError) as e:
        raise RewardkitError(f"cannot load model {name_or_path!r}: {_one_line(e)}") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    new = sorted({*info.get("missing_keys", ()), *(k[0] if isinstance(k, tuple) else k for k in info.get("mismatched_keys", ()))})
    if new and require_trained_head:
        raise RewardkitError(
            f"{name_or_path}: not a trained reward model: {', '.join(new[:4])}{' ...' if len(new) > 4 else ''} "
            "are newly initialised, so its scores would be random. Train a head with `rewardkit train rm`, "
            "or pass --allow-untrained-head to score anyway")
    if "gguf_file" in extra:
        drop_gguf_marker(model)
    if model.config.num_labels != 1:
        raise RewardkitError(f"{name_or_path}: a reward model needs one output, this head has {model.config.num_labels}")
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise RewardkitError(f"{name_or_path}: the tokenizer has neither a pad nor an EOS token")
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())[:500]


def length_batches(lengths: Sequence[int], batch_size: int, max_batch_tokens: int | None = None) -> Iterator[list[int]]:
    """Indices of sequences of `lengths` in forward batches: longest first, at most `batch_size`
    sequences and, when given, `max_batch_tokens` padded tokens (the longest times the count)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    start = 0
    while start < len(order):
        width = lengths[order[start]]  # the longest of this batch
        size = batch_size
        if max_batch_tokens:
            size = max(1, min(size, max_batch_tokens // max(width, 1)))
        yield order[start : start + size]
        start += size


class ClassifierScorer:
    """`RewardScorer` over a sequence classifier (trained here, a hub RM, or a bare backbone)."""

    margin_is_logit = True  # sigmoid(r_chosen - r_rejected) is the Bradley-Terry P(chosen)

    def __init__(
        self,
        model: "PreTrainedModel",
        tokenizer: "PreTrainedTokenizerBase",
        *,
        name: str,
        max_length: int | None = None,
        template: str | None = None,
        batch_size: int = 32,
        bf16: bool = False,
        normalize: bool = True,
        device: str | None = None,
        max_batch_tokens: int | None = None,
    ) -> None:
        settings = getattr(model.config, "rewardkit", None) or {}
        self.name = name
        self.model, self.device = placed(model, device)
        self.tokenizer = tokenizer
        self.formatter = ChatFormatter(
            tokenizer,
            max_length=max_length or settings.get("max_length", DEFAULT_MAX_LENGTH),
            template=template or settings.get("template", "auto"),
        )
        self.batch_size = batch_size
        # On a CPU compute grows with the padded tokens and a bigger batch buys no parallelism, so
        # batches are kept to ~4K padded tokens (MiniLM on rb-open: 37 sequences/s vs 29 with 32
        # sequences a batch, bench/serve_load.py's numbers); a GPU wants the whole batch.
        self.max_batch_tokens = max_batch_tokens if max_batch_tokens is not None else (
            CPU_BATCH_TOKENS if self.device == "cpu" else None)
        self.bf16 = bf16
        # under autocast, or with half-precision weights, rewards would be rounded to bf16 and
        # near-identical responses would tie
        import torch

        half = any(p.dtype in (torch.bfloat16, torch.float16) for p in self.model.parameters())
        self.fp32_head = head_in_fp32(self.model) if bf16 or half else []
        norm = settings.get("normalization") if normalize else None
        self.normalization: dict[str, float] | None = norm
        self.truncated = 0
        from rewardkit.models.pooled_layer import install

        # a BERT's last layer is computed for the pooled [CLS] alone when scoring (exact; ~1/7 of the work)
        self.pooled_last_layer = install(self.model)

    @classmethod
    def load(cls, name_or_path: str, **kwargs: Any) -> "ClassifierScorer":
        """Load a folder, hub id or embedded name. Loading options (`LoadOptions` fields: dtype,
        device_map, attn_implementation, trust_remote_code, bf16) and ``allow_untrained_head`` are
        taken from `kwargs`; the rest go to the constructor."""
        options = LoadOptions(**{k: kwargs.pop(k) for k in ("dtype", "device_map", "attn_implementation", "trust_remote_code", "bf16")
                                 if k in kwargs})
        device = kwargs.pop("device", None) or default_device()
        allow_untrained = kwargs.pop("allow_untrained_head", False)
        model, tokenizer = load_sequence_classifier(name_or_path, options=options, device=device,
                                                    require_trained_head=not allow_untrained)
        scorer = cls(model, tokenizer, name=name_or_path, device=device, bf16=options.autocast(device), **kwargs)
        scorer.load_options = {**options.resolved(scorer.device), "fp32_head": scorer.fp32_head}
        return scorer

    @property
    def is_decoder(self) -> bool:
        """Whether the model reads chat-template text (a decoder), not text pairs (an encoder)."""
        return self.formatter.template == "chat"

    def score(
        self, conversations: Sequence[Conversation], on_batch: Callable[[int], None] | None = None
    ) -> list[float]:
        encoded = self.encode(conversations)
        return self.score_encoded(encoded, on_batch, max_batch_tokens=self.max_batch_tokens)

    def encode(self, conversations: Sequence[Conversation]) -> list[Encoded]:
        """Token ids of conversations, formatted and truncated as the model was trained (counted)."""
        encoded = self.formatter.encode_batch(conversations)
        self.truncated += sum(e.truncated for e in encoded)
        return encoded

    def encode_texts(self, texts: Sequence[str]) -> list[Encoded]:
        """Token ids of whole decoded texts (an RLHF trainer's prompt + response, chat template
        included), as they are: pad tokens stripped from both ends, no special token added (the
        text holds its BOS already; a second one changes the score). Too long a text keeps its
        end (the response) and its leading BOS, like `ChatFormatter`; cuts are counted."""
        tok = self.tokenizer
        pad = tok.pad_token if tok.pad_token != tok.eos_token else None  # an EOS that pads may also end the answer
        out = []
        for text in texts:
            if pad:
                while text.startswith(pad):
                    text = text[len(pad):]
                while text.endswith(pad):
                    text = text[: -len(pad)]
            ids = self.formatter.backend.encode(text, add_special_tokens=False).ids
            cut = max(0, len(ids) - self.formatter.max_length)
            if cut:
                keep_bos = 1 if tok.bos_token_id is not None and ids[0] == tok.bos_token_id else 0
                ids = ids[:keep_bos] + ids[keep_bos + cut :]
                self.truncated += 1
            out.append(Encoded(ids, None, prompt_tokens_cut=cut))
        return out

    def batches(self, encoded: Sequence[Encoded], max_batch_tokens: int | None = None) -> Iterator[list[int]]:
        """Indices of `encoded` in forward batches: longest first, at most `batch_size` sequences
        and, when given, `max_batch_tokens` padded tokens (the longest times the count), so memory
        stays bounded whatever the lengths."""
        return length_batches([len(e.input_ids) for e in encoded], self.batch_size, max_batch_tokens)

    def score_encoded(self, encoded: Sequence[Encoded], on_batch: Callable[[int], None] | None = None,
                      max_batch_tokens: int | None = None) -> list[float]:
        """Rewards of encoded sequences, in their order (batched by `batches`)."""
        rewards = [0.0] * len(encoded)
        with cast_once(self.model, self.device, self.bf16):
            for idx in self.batches(encoded, max_batch_tokens):
                values = self._forward([encoded[i] for i in idx])
                for i, v in zip(idx, values):
                    rewards[i] = v
                if on_batch:
                    on_batch(len(idx))
        if self.normalization:
            mean, std = self.normalization["mean"], self.normalization["std"]
            rewards = [(r - mean) / std for r in rewards]
        return rewards

    def embed_encoded(self, encoded: Sequence[Encoded], pooling: str = "auto",
                      on_batch: Callable[[int], None] | None = None) -> "torch.Tensor":
        """Final hidden states pooled per sequence, float32 ``[n, hidden]``, in input order: the
        last real token (``last``; the default for decoders, where the scalar head reads it), the
        mean over real tokens (``mean``; the default for encoders, sentence-transformers' pooling),
        or the first token (``first``, [CLS])."""
        import torch

        if pooling == "auto":
            pooling = "last" if self.is_decoder else "mean"
        if pooling not in POOLINGS:
            raise RewardkitError(f"unknown pooling {pooling!r}; known: auto, {', '.join(POOLINGS)}")
        with cast_once(self.model, self.device, self.bf16):
            out = self._embed(encoded, pooling, on_batch)
        return out if out is not None else torch.zeros(0, int(self.model.config.hidden_size))

    def _embed(self, encoded: Sequence[Encoded], pooling: str, on_batch: Callable[[int], None] | None) -> "torch.Tensor | None":
        import torch

        out: torch.Tensor | None = None
        for idx in self.batches(encoded, self.max_batch_tokens):
            inputs = self._inputs([encoded[i] for i in idx])
            with torch.no_grad(), self._autocast():  # not inference_mode: see cast_once
                hidden = self.model.base_model(**inputs).last_hidden_state.float()  # the scalar head is not needed
            mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            if pooling == "mean":
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
            elif pooling == "last":
                pooled = hidden[torch.arange(len(idx)), inputs["attention_mask"].sum(1) - 1]
            else:
                pooled = hidden[:, 0]
            if out is None:
                out = torch.zeros(len(encoded), pooled.shape[-1])
            out[torch.tensor(idx)] = pooled.cpu()
            if on_batch:
                on_batch(len(idx))
        return out

    def _inputs(self, batch: list[Encoded]) -> dict[str, Any]:
        types = [e.token_type_ids for e in batch] if batch[0].token_type_ids is not None else None
        inputs = pad_right([e.input_ids for e in batch], self.tokenizer.pad_token_id, types)
        return {k: v.to(self.device) for k, v in inputs.items()}

    def _autocast(self) -> Any:
        return autocast(self.device, self.bf16)

    def _forward(self, batch: list[Encoded]) -> list[float]:
        import torch

        from rewardkit.models.pooled_layer import only_pooled_token

        inputs = self._inputs(batch)
        with torch.no_grad(), self._autocast(), only_pooled_token():  # not inference_mode: see cast_once
            logits = self.model(**inputs).logits
        return logits[:, 0].float().tolist()
