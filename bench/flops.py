"""The machine's matmul ceiling and a transformer's FLOPs per token, for "fraction of ceiling"."""

from __future__ import annotations

import time

import torch


def matmul_ceiling(dtype: torch.dtype, n: int = 1024, seconds: float = 2.0) -> float:
    """Measured GFLOP/s of square matmuls (2 n^3 FLOPs each) in `dtype` on the CPU."""
    a = torch.randn(n, n).to(dtype)
    b = torch.randn(n, n).to(dtype)
    for _ in range(3):
        a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * n**3 * count / (time.perf_counter() - start) / 1e9


def forward_flops(model: torch.nn.Module, lengths: list[int], pooled_last_layer: bool = False) -> float:
    """FLOPs of one forward pass over sequences of these lengths: 2 per weight per token for the
    dense layers (embeddings excluded), plus attention's QK^T and AV: 4 * T^2 * hidden per layer.
    With `pooled_last_layer` (rewardkit's BERT scoring and training, `rewardkit.models.pooled_layer`)
    the last layer runs its key and value projections for every token and the rest for [CLS] alone."""
    cfg = model.config
    dense = sum(p.numel() for name, p in model.named_parameters() if "embed" not in name and p.dim() == 2)
    layers, hidden = cfg.num_hidden_layers, cfg.hidden_size
    per_layer, key_value = dense / layers, 2 * hidden * hidden
    total = 0.0
    for t in lengths:
        total += 2 * dense * t + 4 * layers * hidden * t * t
        if pooled_last_layer:  # the last layer's full cost out, its pooled cost in
            total += -(2 * per_layer * t + 4 * hidden * t * t) + 2 * key_value * t + 2 * (per_layer - key_value) + 4 * hidden * t
    return total
