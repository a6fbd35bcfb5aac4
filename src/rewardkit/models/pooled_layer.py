"""Scoring a BERT-family reward model computes its last layer for the pooled token only.

A BERT sequence classifier reads one position of its last layer, [CLS] (the pooler takes
``hidden[:, 0]``). That position needs the last layer's keys and values of every token, but its
query, attention output, feed-forward block and layer norms for itself alone: the other L - 1
positions' outputs are computed and thrown away. `only_pooled_token` skips them, which is exact
(the same operations on the same numbers, for the one row that is read). In MiniLM's 6 layers
that removes ~10 of the last layer's 12 ``d x d`` matmul units per token and 1/6 of the
attention, about a seventh of a scoring pass (bench/rm_throughput.py measures it).

transformers has no option for this, so while a `only_pooled_token` block runs (in the current
thread or task) the last layer of an `install`-ed model does the pooled-only computation, and its
own forward otherwise (``embed``, training, the user's code). `install` swaps the layer's class
for `PooledBertLayer`, a subclass of transformers' ``BertLayer``: the weights, ``state_dict``,
copies and pickles are unchanged. It reuses the layer's own modules and transformers' attention
implementation for the model (``sdpa``, eager, and rewardkit's fp32 CPU attention), so only the
wiring is rewritten; models whose last layer is not exactly a ``BertLayer``, and other attention
implementations, keep the full forward.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.models.bert.modeling_bert import BertLayer, eager_attention_forward

from rewardkit.models.attention import NAME as CPU_SDPA

_POOLED_ONLY: ContextVar[bool] = ContextVar("rewardkit_pooled_only", default=False)
# implementations that read only query, key, value and the mask (tested): the pooled path calls them so
ATTENTION = ("sdpa", "eager", CPU_SDPA)


class PooledBertLayer(BertLayer):
    """A ``BertLayer`` that, inside `only_pooled_token`, returns position 0's output alone, ``(B, 1, hidden)``."""

    def forward(self, hidden_states: Any, attention_mask: Any = None, *args: Any, **kwargs: Any) -> Any:
        attention = self.attention.self
        if not _POOLED_ONLY.get() or attention.config._attn_implementation not in ATTENTION:
            # the full layer is always right here (the caller reads row 0 of it); an attention
            # implementation not listed may need what BERT passes on in kwargs (flash attention's
            # packed-sequence lengths, for one) and gets the full layer
            return super().forward(hidden_states, attention_mask, *args, **kwargs)
        batch, length, _ = hidden_states.shape
        heads, size = attention.num_attention_heads, attention.attention_head_size
        first = hidden_states[:, :1]
        query = attention.query(first).view(batch, 1, heads, size).transpose(1, 2)
        key = attention.key(hidden_states).view(batch, length, heads, size).transpose(1, 2)
        value = attention.value(hidden_states).view(batch, length, heads, size).transpose(1, 2)
        if attention_mask is not None and attention_mask.dim() == 4 and attention_mask.shape[-2] > 1:
            attention_mask = attention_mask[:, :, :1, :]  # the query row of position 0
        interface = ALL_ATTENTION_FUNCTIONS.get_interface(attention.config._attn_implementation, eager_attention_forward)
        context, _ = interface(attention, query, key, value, attention_mask, dropout=attention.dropout.p if attention.training else 0.0,
                               scaling=attention.scaling)
        context = context.reshape(batch, 1, heads * size).contiguous()
        return self.feed_forward_chunk(self.attention.output(context, first))


def _last_layer(model: Any) -> Any | None:
    encoder = getattr(getattr(model, "base_model", None), "encoder", None)
    layers = getattr(encoder, "layer", None)
    return layers[-1] if layers is not None and len(layers) else None


def supports(model: Any) -> bool:
    """Whether `model` is a BERT sequence classifier whose last layer can be computed for [CLS]
    alone: its last layer is transformers' ``BertLayer``, self-attention only (no decoder, no
    cross-attention), no chunked feed-forward, and a pooler reads the first token."""
    config = getattr(model, "config", None)
    layer = _last_layer(model)
    if config is None or type(layer) not in (BertLayer, PooledBertLayer):
        return False
    if getattr(config, "is_decoder", False) or getattr(config, "add_cross_attention", False):
        return False
    return getattr(model.base_model, "pooler", None) is not None and layer.chunk_size_feed_forward == 0


def install(model: Any) -> bool:
    """Make `model`'s last layer a `PooledBertLayer` (see the module docstring); whether the model
    is supported (and now installed)."""
    if not supports(model):
        return False
    _last_layer(model).__class__ = PooledBertLayer
    return True


@contextmanager
def only_pooled_token() -> Iterator[None]:
    """While the block runs (this thread or task), installed models compute their last layer for
    the pooled token alone; their ``last_hidden_state`` is then ``(B, 1, hidden)``."""
    token = _POOLED_ONLY.set(True)
    try:
        yield
    finally:
        _POOLED_ONLY.reset(token)
