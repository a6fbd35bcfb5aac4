"""Attention for training on a CPU under bf16 autocast: small heads run it in fp32.

PyTorch's CPU flash-attention kernel (what transformers' ``sdpa`` runs on a CPU) is slower in
bf16 than in fp32 when gradients flow and heads are small. Measured on the 2-core machine of
DESIGN.md (torch 2.13, forward + backward, padding mask, 12 heads, 16 sequences of 256 tokens):

| head dim | bf16 | fp32 |
|---:|---:|---:|
| 32 (MiniLM) | 78.9 ms | 55.2 ms |
| 64 (SmolLM2, Qwen) | 95.7 ms | 93.7 ms |

Forward only (scoring, evaluation), bf16 is the faster (11.4 vs 17.4 ms at head dim 32). So
`fp32_attention_backward` switches a model's ``sdpa`` attention to one that, only where a
gradient will flow back through it (the query requires grad: training, and not in a frozen layer,
`rewardkit.train.freezing`), on a CPU, with heads of at most `SMALL_HEAD_DIM`, upcasts query,
key and value to fp32 and casts the output back; everything else is transformers' ``sdpa``
unchanged.
In a MiniLM training step the attention was half the time (profile, bench/rm_throughput.py
has the step-level figures). fp32 attention is also the more exact, so the gradient changes
only by bf16 rounding.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

NAME = "rewardkit_cpu_sdpa"
SMALL_HEAD_DIM = 32


def _attention(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
               attention_mask: torch.Tensor | None, **kwargs: Any) -> tuple[torch.Tensor, Any]:
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    low = query.dtype in (torch.bfloat16, torch.float16)
    if not (low and query.requires_grad and query.device.type == "cpu" and query.shape[-1] <= SMALL_HEAD_DIM):
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    if attention_mask is not None and attention_mask.is_floating_point():
        attention_mask = attention_mask.float()  # an additive mask must match the query's dtype
    with torch.autocast("cpu", enabled=False):  # or autocast would cast the inputs back to bf16
        out, weights = sdpa_attention_forward(module, query.float(), key.float(), value.float(), attention_mask, **kwargs)
    return out.to(query.dtype), weights


def _register() -> None:
    """Make `NAME` a transformers attention implementation (registering again is a no-op)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(NAME, _attention)
    AttentionMaskInterface.register(NAME, sdpa_mask)  # the same masks as sdpa's


def head_dim(config: Any) -> int | None:
    """The attention head size of a transformers config (``head_dim``, else hidden / heads), or
    None when the config says neither."""
    explicit = getattr(config, "head_dim", None)
    if explicit:
        return int(explicit)
    hidden, heads = getattr(config, "hidden_size", None), getattr(config, "num_attention_heads", None)
    return int(hidden) // int(heads) if hidden and heads else None


@contextmanager
def fp32_attention_backward(model: Any) -> Iterator[bool]:
    """While the block runs, a model with small heads whose attention is ``sdpa`` uses
    `_attention` (see the module docstring); yields whether it does. Other models (larger
    heads, eager or flash-attention, a model that cannot switch) are left as they are. The
    implementation is put back after, and is never saved with the model (transformers does not
    serialise it)."""
    config = getattr(model, "config", None)
    switchable = getattr(model, "_can_set_attn_implementation", None)
    dim = head_dim(config) if config is not None else None
    small = dim is not None and dim <= SMALL_HEAD_DIM
    if not small or config._attn_implementation != "sdpa" or switchable is None or not switchable():
        yield False
        return
    _register()
    model.set_attn_implementation(NAME)
    try:
        yield True
    finally:
        model.set_attn_implementation("sdpa")
