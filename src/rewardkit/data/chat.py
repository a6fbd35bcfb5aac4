"""Turn a conversation (prompt + one response) into model input, with explicit truncation.

Two templates:

* **chat** — the tokenizer's own chat template, when it has one. The prompt is rendered with
  ``add_generation_prompt=True``, the whole conversation without it, and the response segment is
  what the second adds to the first (the assistant turn with its end-of-turn markers). The
  rendered text already holds the BOS token where the model wants one, so it is tokenized with
  ``add_special_tokens=False``: no doubled BOS.
* **plain** — for encoders without a chat template (MiniLM, BERT). The prompt turns become
  ``"User: ...\\n\\nAssistant: ...\\n\\nUser: ..."`` (roles capitalised, turns separated by a blank
  line) and the response ``"Assistant: <response>"``; the two are encoded as a text pair, which
  for BERT-style tokenizers gives ``[CLS] prompt [SEP] response [SEP]`` with token type ids 0/1.
  A tokenizer with no pair separators gets a blank line between the two instead.

Truncation, when prompt + response exceed ``max_length`` tokens: the response is kept whole if
it fits in the window minus ``min(prompt tokens, window // 4)``; otherwise its end is cut to that
size. The prompt then fills the rest of the window from its end: the *start* of the prompt is cut
(a leading BOS token stays). Both cuts are counted on every `Encoded`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rewardkit.data.schema import Message
from rewardkit.data.tokens import raw_backend
from rewardkit.errors import RewardkitError

if TYPE_CHECKING:
    import torch
    from tokenizers import Encoding
    from transformers import PreTrainedTokenizerBase

Template = Literal["auto", "chat", "plain"]
_PLAIN_ROLE = {"system": "System", "user": "User", "assistant": "Assistant"}


@dataclass(frozen=True, slots=True)
class Encoded:
    """Token ids of one conversation, and what truncation removed. ``response_start`` is the
    index of the first response token under the chat template (None for plain text pairs, whose
    special tokens sit between the two segments)."""

    input_ids: list[int]
    token_type_ids: list[int] | None
    prompt_tokens_cut: int = 0
    response_tokens_cut: int = 0
    response_start: int | None = None

    @property
    def truncated(self) -> bool:
        return bool(self.prompt_tokens_cut or self.response_tokens_cut)


def pad_right(
    ids: Sequence[Sequence[int]], pad_token_id: int, type_ids: Sequence[Sequence[int]] | None = None
) -> dict[str, "torch.Tensor"]:
    """One batch of sequences, right-padded to the longest: input_ids, attention_mask and, when
    given, token_type_ids (0 on padding). Right padding keeps each sequence's last real token
    where a decoder's classifier head looks for it."""
    import numpy as np
    import torch

    width = max(len(s) for s in ids)
    input_ids = np.full((len(ids), width), pad_token_id, dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    batch = {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(mask)}
    if type_ids is not None:
        types = np.zeros((len(ids), width), dtype=np.int64)
        for row, seq in enumerate(type_ids):
            types[row, : len(seq)] = seq
        batch["token_type_ids"] = torch.from_numpy(types)
    return batch


def user_turns(prompt: Sequence[Message]) -> list[str]:
    """The contents of the prompt's user turns, in order (what the prompt asks, without system
    instructions or earlier assistant answers)."""
    return [m.content for m in prompt if m.role == "user"]


def plain_prompt_text(prompt: Sequence[Message]) -> str:
    return "\n\n".join(f"{_PLAIN_ROLE[m.role]}: {m.content}" for m in prompt)


def plain_response_text(response: str) -> str:
    return f"Assistant: {response}"


def split_budget(prompt_len: int, response_len: int, budget: int) -> tuple[int, int]:
    """How many prompt and response tokens to keep in a window of `budget` tokens.

    Returns ``(prompt_keep, response_keep)``. The response is kept whole when it fits beside
    ``min(prompt_len, budget // 4)`` prompt tokens; the prompt takes whatever room is left.
    """
    if budget <= 0:
        raise ValueError(f"the window must hold at least one token, got a budget of {budget}")
    if prompt_len + response_len <= budget:
        return prompt_len, response_len
    reserve = min(prompt_len, budget // 4)
    response_keep = min(response_len, budget - reserve)
    return min(prompt_len, budget - response_keep), response_keep


def cut_prompt(ids: list[int], keep: int, pinned_first: int | None) -> list[int]:
    """Keep the last `keep` ids; a first id equal to `pinned_first` (BOS) stays in front."""
    if keep >= len(ids):
        return ids
    if pinned_first is not None and ids and ids[0] == pinned_first and keep >= 1:
        return ids[:1] + ids[len(ids) - keep + 1 :]
    return ids[len(ids) - keep :] if keep else []


class ChatFormatter:
    """Encode (prompt, response) conversations for a tokenizer, within `max_length` tokens."""

    def __init__(self, tokenizer: "PreTrainedTokenizerBase", max_length: int, template: Template = "auto") -> None:
        has_chat = bool(getattr(tokenizer, "chat_template", None))
        if template == "auto":
            template = "chat" if has_chat else "plain"
        if template == "chat" and not has_chat:
            raise RewardkitError("template 'chat' asked for, but the tokenizer has no chat template")
        if template not in ("chat", "plain"):
            raise RewardkitError(f"unknown template {template!r}; known: auto, chat, plain")
        self.tokenizer = tokenizer
        self.template: Template = template
        self.max_length = max_length
        self.backend = raw_backend(tokenizer)
        self.pair_specials = self.backend.num_special_tokens_to_add(is_pair=True)
        if self.template == "plain" and max_length <= self.pair_specials:
            raise RewardkitError(f"max_length {max_length} leaves no room for tokens")

    # -- rendering ---------------------------------------------------------------------------

    def render(self, prompt: Sequence[Message], response: str) -> tuple[str, str]:
        """The (prompt segment, response segment) texts before tokenization."""
        if self.template == "plain":
            sep = "" if self.pair_specials else "\n\n"
            return plain_prompt_text(prompt) + sep, plain_response_text(response)
        msgs = [m.to_dict() for m in prompt]
        head = self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        full = self.tokenizer.apply_chat_template(
            msgs + [{"role": "assistant", "content": response}], tokenize=False
        )
        if not full.startswith(head):  # templates that rewrite earlier turns: split where they part
            n = 0
            while n < min(len(head), len(full)) and head[n] == full[n]:
                n += 1
            head = full[:n]
        return head, full[len(head) :]

    def text(self, prompt: Sequence[Message], response: str) -> str:
        """The whole conversation as one string (what a remote reward server receives)."""
        head, tail = self.render(prompt, response)
        return head + ("\n\n" if self.template == "plain" and self.pair_specials else "") + tail

    # -- encoding ----------------------------------------------------------------------------

    def encode(self, prompt: Sequence[Message], response: str) -> Encoded:
        return self.encode_batch([(prompt, response)])[0]

    def encode_batch(self, conversations: Sequence[tuple[Sequence[Message], str]]) -> list[Encoded]:
        """Encode many conversations; one batched tokenizer call per segment kind."""
        rendered = [self.render(p, r) for p, r in conversations]
        heads = self.backend.encode_batch_fast([h for h, _ in rendered], add_special_tokens=False)
        tails = self.backend.encode_batch_fast([t for _, t in rendered], add_special_tokens=False)
        if self.template == "plain":
            return [self._join_plain(h, t) for h, t in zip(heads, tails)]
        return [self._join_chat(h.ids, t.ids) for h, t in zip(heads, tails)]

    def _join_plain(self, head: "Encoding", tail: "Encoding") -> Encoded:
        p_len, r_len = len(head.ids), len(tail.ids)
        p_keep, r_keep = split_budget(p_len, r_len, self.max_length - self.pair_specials)
        if p_keep < p_len:
            head.truncate(p_keep, direction="left")
        if r_keep < r_len:
            tail.truncate(r_keep, direction="right")
        joined = self.backend.post_process(head, tail, add_special_tokens=True)
        type_ids = list(joined.type_ids) if self.pair_specials else None
        return Encoded(list(joined.ids), type_ids, p_len - p_keep, r_len - r_keep)

    def _join_chat(self, head: list[int], tail: list[int]) -> Encoded:
        p_keep, r_keep = split_budget(len(head), len(tail), self.max_length)
        kept_head = cut_prompt(head, p_keep, self.tokenizer.bos_token_id)
        return Encoded(kept_head + tail[:r_keep], None, len(head) - p_keep, len(tail) - r_keep, len(kept_head))
