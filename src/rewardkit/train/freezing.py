"""Freeze the bottom of a backbone: its embeddings and first transformer layers.

A frozen bottom needs no backward pass at all (nothing below it wants a gradient), no weight
gradients and no optimiser state, so each training step costs less: on the 2-core CPU of
DESIGN.md a MiniLM step (6 layers, bf16 autocast, 32 sequences of 160-384 tokens) ran 5,336
tokens/s with everything trained, 5,959 with the embeddings and layer 1 frozen, 7,209 with the
embeddings and layers 1-2 frozen. The gain is more pairs in a fixed time budget; whether it
pays for the capacity it takes is a row of `bench/results/rm_ablation.md`.

transformers and PEFT have no such option for full fine-tuning (PEFT freezes everything and
adds adapters), so it is written here: a few lines over ``named_parameters``.
"""

from __future__ import annotations

from typing import Any

import torch

from rewardkit.errors import RewardkitError


def transformer_layers(model: Any) -> torch.nn.ModuleList:
    """The backbone's list of transformer layers: the `ModuleList` of ``config.num_hidden_layers``
    modules under ``model.base_model`` (BERT's ``encoder.layer``, Llama's ``layers``)."""
    base = model.base_model
    count = getattr(model.config, "num_hidden_layers", None)
    for module in base.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == count:
            return module
    raise RewardkitError(f"cannot find the transformer layers of {type(model).__name__} (no list of "
                         f"config.num_hidden_layers = {count} modules): freeze_layers does not support it")


def freeze_bottom(model: Any, n_layers: int) -> int:
    """Turn off gradients for what runs before the backbone's layer `n_layers` (counted from 0):
    the parameters registered before its first layer (the embeddings) and those of layers
    ``0 .. n_layers - 1``. Everything else (the other layers, final norms, pooler, reward head)
    stays trainable. Returns how many numbers were frozen; 0 layers freezes nothing."""
    if n_layers <= 0:
        return 0
    layers = transformer_layers(model)
    if n_layers > len(layers):
        raise RewardkitError(f"freeze_layers is {n_layers} but {type(model).__name__} has {len(layers)} layers")
    first = {id(p) for p in layers[0].parameters()}
    frozen = [p for module in list(layers)[:n_layers] for p in module.parameters()]
    for param in model.base_model.parameters():  # registration order: embeddings, then the layers
        if id(param) in first:
            break
        frozen.append(param)
    for param in frozen:
        param.requires_grad_(False)
    return sum(p.numel() for p in frozen)


def frozen_parameters(model: Any) -> int:
    """How many numbers of `model` do not train (the manifest's ``frozen_parameters``; a tied
    matrix counts once)."""
    return sum(p.numel() for p in model.parameters() if not p.requires_grad)
