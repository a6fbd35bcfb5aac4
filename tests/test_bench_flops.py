"""bench/flops.py counts a forward pass's FLOPs by hand, with and without the pooled last layer."""

from __future__ import annotations

import sys
from pathlib import Path

from transformers import BertConfig, BertForSequenceClassification

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from flops import forward_flops  # noqa: E402


def test_flops_of_a_tiny_bert_by_hand():
    h, layers = 8, 2
    model = BertForSequenceClassification(BertConfig(vocab_size=50, hidden_size=h, num_hidden_layers=layers, num_attention_heads=2,
                                                     intermediate_size=4 * h, num_labels=1))
    # dense weights: per layer Q, K, V, O (4 h^2) + FFN (2 x 4 h^2) = 12 h^2; the pooler h^2; the head h
    dense = layers * 12 * h * h + h * h + h
    t = 10
    full = 2 * dense * t + 4 * layers * h * t * t
    assert forward_flops(model, [t]) == full
    # pooled: the last layer keeps K and V for all t tokens (2 x 2h^2 x t) and does the rest
    # (its 12h^2 + the pooler's and head's share, minus K and V) and attention for one query
    per_layer = dense / layers
    last_full = 2 * per_layer * t + 4 * h * t * t
    last_pooled = 2 * 2 * h * h * t + 2 * (per_layer - 2 * h * h) + 4 * h * t
    assert forward_flops(model, [t], pooled_last_layer=True) == full - last_full + last_pooled
    assert forward_flops(model, [t, t], pooled_last_layer=True) == 2 * forward_flops(model, [t], pooled_last_layer=True)
