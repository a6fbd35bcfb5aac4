"""Likelihood rewards: how probable a causal language model finds a response (no training).

    scorer = load_scorer("loglik:smollm2")       # log p(response | prompt), summed over its tokens
    scorer = load_scorer("pmi:smollm2")          # log p(response | prompt) - log p(response | no prompt)
    scorer = load_scorer("loglik-mean:MODEL")    # per response token (also ``pmi-mean``)

The response is scored as the model's chat template renders it (`ChatFormatter`'s response
segment: the assistant turn with its end-of-turn marker), token by token, given the prompt
segment before it. ``pmi`` subtracts the same response's log-probability after an empty user
turn: what is left is the pointwise mutual information of instruction and response, how much
the instruction made this answer more likely. An answer to a neighbouring instruction (LLMBar's
adversarial pattern) gains less from the instruction than an answer to it, however fluent; a
response's own fluency, which the instruction does not explain, cancels. The ``-mean`` modes
divide by the response's token count (SimPO's length-normalised reward); the sums grow with
length, and PMI with how much of a long answer the instruction predicts.

These are the implicit rewards of an instruction-tuned model (DPO's reward with no reference
model); as ``ensemble:`` members beside a trained reward model they add what the model was
trained to predict, which a small sequence classifier does not learn from one pass of
preference pairs. Their scale is nats (a sum can be hundreds), so an ensemble weight has to
bring them to a trained model's unit spread; the rewards do not depend on batch size or order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rewardkit.console import rescaled
from rewardkit.data.chat import ChatFormatter, Encoded, pad_right
from rewardkit.data.schema import Message
from rewardkit.errors import RewardkitError
from rewardkit.models.classifier import CPU_BATCH_TOKENS, length_batches
from rewardkit.models.loading import LoadOptions, autocast, cast_once, default_device, placed
from rewardkit.models.protocols import Conversation

MODES = ("loglik", "loglik-mean", "pmi", "pmi-mean")
DEFAULT_MAX_LENGTH = 1024
EMPTY_PROMPT = (Message("user", ""),)  # what "no instruction" is rendered as: every chat template takes a user turn


def parse_likelihood_spec(spec: str) -> tuple[str, str]:
    """``pmi:smollm2`` -> ``("pmi", "smollm2")``."""
    mode, colon, model = spec.partition(":")
    if mode not in MODES or not colon or not model.strip():
        raise RewardkitError(f"bad likelihood spec {spec!r}; use MODE:MODEL with MODE one of {', '.join(MODES)} "
                             "and MODEL a causal LM (smollm2, a folder or a hub id)")
    return mode, model.strip()


def is_likelihood_spec(spec: str) -> bool:
    return spec.partition(":")[0] in MODES and ":" in spec


class LikelihoodScorer:
    """`RewardScorer`: a causal LM's log-probability of the response (module docstring)."""

    margin_is_logit = False  # a difference of log-likelihoods is no Bradley-Terry logit

    def __init__(self, model: Any, tokenizer: Any, *, mode: str = "loglik", name: str | None = None,
                 max_length: int = DEFAULT_MAX_LENGTH, batch_size: int = 16, max_batch_tokens: int | None = None,
                 bf16: bool = False, device: str | None = None) -> None:
        if mode not in MODES:
            raise RewardkitError(f"unknown likelihood mode {mode!r}; known: {', '.join(MODES)}")
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.model, self.device = placed(model, device)
        self.tokenizer = tokenizer
        self.formatter = ChatFormatter(tokenizer, max_length=max_length, template="chat")
        self.mode = mode
        self.name = name or f"{mode}:{getattr(model.config, '_name_or_path', 'model')}"
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens if max_batch_tokens is not None else (
            CPU_BATCH_TOKENS if self.device == "cpu" else None)
        self.bf16 = bf16
        self.truncated = 0

    @classmethod
    def load(cls, spec: str, **kwargs: Any) -> "LikelihoodScorer":
        """``MODE:MODEL``; loading options (`LoadOptions` fields) and ``device``, ``batch_size``,
        ``max_length`` from `kwargs`; options only a reward model has are ignored."""
        from rewardkit.data.tokens import load_tokenizer
        from rewardkit.models.loading import load_causal_lm

        mode, model_name = parse_likelihood_spec(spec)
        options = LoadOptions(**{k: kwargs[k] for k in ("dtype", "device_map", "attn_implementation", "trust_remote_code", "bf16")
                                 if kwargs.get(k) is not None})
        device = kwargs.get("device") or default_device()
        tokenizer = load_tokenizer(model_name, trust_remote_code=options.trust_remote_code)
        if not getattr(tokenizer, "chat_template", None):  # before loading the weights: the cheap refusal first
            raise RewardkitError(f"{spec}: {model_name!r} has no chat template; likelihood rewards read the response as a "
                                 "chat model's assistant turn (use an instruction-tuned causal LM such as smollm2)")
        model = load_causal_lm(model_name, options)
        rest = {k: kwargs[k] for k in ("batch_size", "max_length") if kwargs.get(k) is not None}
        scorer = cls(model, tokenizer, mode=mode, name=spec, device=device, bf16=options.autocast(device), **rest)
        scorer.load_options = options.resolved(scorer.device)
        return scorer

    def score(self, conversations: Sequence[Conversation], on_batch: Callable[[int], None] | None = None) -> list[float]:
        if not conversations:
            return []
        return self.modes(conversations, on_batch, unconditional=self.mode.startswith("pmi"))[self.mode]

    def modes(self, conversations: Sequence[Conversation], on_batch: Callable[[int], None] | None = None, *,
              unconditional: bool = True) -> dict[str, list[float]]:
        """Every mode's rewards at once (`MODES`; a bench choosing among them scores once): one
        pass gives ``loglik`` and ``loglik-mean``, and with `unconditional` a second pass over the
        responses after an empty user turn gives the PMI modes too."""
        encoded = self.formatter.encode_batch(conversations)
        self.truncated += sum(e.truncated for e in encoded)
        if unconditional:  # not counted as truncation: that prompt is not the user's
            encoded += self.formatter.encode_batch([(EMPTY_PROMPT, response) for _, response in conversations])
        sums, counts = self.response_logprobs(encoded, on_batch, total=len(conversations))
        n = len(conversations)
        out = {"loglik": sums[:n], "loglik-mean": [v / max(c, 1) for v, c in zip(sums[:n], counts[:n])]}
        if unconditional:
            out["pmi"] = [s - u for s, u in zip(sums[:n], sums[n:])]
            out["pmi-mean"] = [v / max(c, 1) for v, c in zip(out["pmi"], counts[:n])]
        return out

    def response_logprobs(self, encoded: Sequence[Encoded], on_batch: Callable[[int], None] | None = None,
                          total: int | None = None) -> tuple[list[float], list[int]]:
        """Per sequence, the summed log-probability of its response tokens (those from
        ``response_start`` on; the first token is predicted from the last prompt token) and their
        count. Progress is reported in units of `total` (default: sequences)."""
        import torch

        sums, counts = [0.0] * len(encoded), [0] * len(encoded)
        advance = rescaled(on_batch, len(encoded), total or len(encoded))
        head = self.model.get_output_embeddings()
        softcap = getattr(self.model.config, "final_logit_softcapping", None)
        with cast_once(self.model, self.device, self.bf16):
            for idx in length_batches([len(encoded[i].input_ids) for i in range(len(encoded))], self.batch_size, self.max_batch_tokens):
                batch = [encoded[i] for i in idx]
                inputs = {k: v.to(self.device) for k, v in pad_right([e.input_ids for e in batch], self.tokenizer.pad_token_id).items()}
                with torch.no_grad(), autocast(self.device, self.bf16):
                    hidden = self.model.base_model(**inputs).last_hidden_state
                rows, cols, targets = [], [], []
                for r, (i, e) in enumerate(zip(idx, batch)):
                    start = max(e.response_start or 0, 1)  # a first token with nothing before it has no prediction
                    positions = range(start - 1, len(e.input_ids) - 1)
                    rows += [r] * len(positions)
                    cols += positions
                    targets += e.input_ids[start:]
                    counts[i] = len(positions)
                if targets:
                    with torch.no_grad(), autocast(self.device, self.bf16):
                        logits = head(hidden[torch.tensor(rows), torch.tensor(cols)])
                    logits = logits.float()
                    if softcap:
                        logits = softcap * torch.tanh(logits / softcap)
                    token_lp = torch.log_softmax(logits, -1).gather(-1, torch.tensor(targets, device=logits.device)[:, None])[:, 0]
                    per_row = torch.zeros(len(batch), dtype=torch.float64).index_add_(0, torch.tensor(rows), token_lp.double().cpu())
                    for r, i in enumerate(idx):
                        sums[i] = float(per_row[r])
                advance(len(idx))
        return sums, counts

