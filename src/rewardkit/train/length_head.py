"""A second, length head for training only: ODIN's disentangled reward (Chen et al. 2024).

A preference label mixes what makes an answer better with how long it is: raters and GPT-4 judges
lean to longer answers. A single reward head trained with Bradley-Terry learns both, and then
"longer wins" on benchmarks whose length bias runs the other way. ODIN trains two heads on the
same pooled representation, the quality reward ``q`` and the length reward ``l``; the
Bradley-Terry loss sees their sum, so the part of the labels that length explains has a head of
its own to go to, and

- ``l`` is pushed to carry length: ``-corr(l_c - l_r, log(len_c / len_r))`` over the batch
  (`length_head_penalty`), with the lengths in tokens as in `length_correlation_penalty`;
- the two heads are kept apart: ``|cos(w_q, w_l)|`` of the two rows of the output layer;
- ``q`` is pushed away from length by the existing ``length_penalty`` (its squared form of ODIN's
  ``|corr(q, len)|`` term), which the config sets separately.

At inference the length head is dropped: the saved model is an ordinary one-output sequence
classifier whose reward is ``q`` (`drop_length_head`), so nothing downstream knows it existed.

transformers and TRL have no such head (TRL's ``RewardTrainer`` trains one output), so the two
row surgeries are written here: the output layer is grown from one row to two before training
(`add_length_head`; the quality row keeps its weights, so a trained reward model can be
fine-tuned with it) and cut back to the quality row after.
"""

from __future__ import annotations

from typing import Any

import torch

from rewardkit.errors import RewardkitError


def output_layer(model: Any) -> tuple[torch.nn.Module, str, torch.nn.Linear]:
    """The sequence classifier's output `Linear` (BERT's and DeBERTa's ``classifier``, Llama's and
    Qwen's ``score``, RoBERTa's ``classifier.out_proj``): the one linear layer outside the backbone
    with ``config.num_labels`` outputs. Returns its parent module, attribute name and the layer."""
    base = getattr(model, "base_model_prefix", "")
    labels = model.config.num_labels
    found = []
    for child_name, child in model.named_children():
        if child_name == base:
            continue
        for name, module in child.named_modules():
            if isinstance(module, torch.nn.Linear) and module.out_features == labels:
                parent_name, _, attr = f"{child_name}.{name}".strip(".").rpartition(".")
                found.append((model.get_submodule(parent_name) if parent_name else model, attr, module))
    if len(found) != 1:
        raise RewardkitError(f"cannot find the output layer of {type(model).__name__} (linear layers with {labels} "
                             f"outputs outside the backbone: {len(found)}): length_head does not support it")
    return found[0]


def _replace_rows(model: Any, rows: int, fill: torch.Tensor | None) -> torch.nn.Linear:
    parent, attr, old = output_layer(model)
    new = torch.nn.Linear(old.in_features, rows, bias=old.bias is not None, device=old.weight.device, dtype=old.weight.dtype)
    with torch.no_grad():
        keep = min(rows, old.out_features)
        new.weight[:keep] = old.weight[:keep]
        if fill is not None:
            new.weight[keep:] = fill
        if new.bias is not None:
            new.bias.zero_()
            new.bias[:keep] = old.bias[:keep]
    new.weight.requires_grad_(old.weight.requires_grad)
    if new.bias is not None:
        new.bias.requires_grad_(old.bias.requires_grad)
    setattr(parent, attr, new)
    model.config.num_labels = rows
    if hasattr(model, "num_labels"):
        model.num_labels = rows
    return new


def add_length_head(model: Any, seed: int = 0) -> torch.nn.Linear:
    """Grow a one-output reward model's output layer to two rows: row 0 is the quality reward as
    it was, row 1 the length reward, drawn like a fresh head (normal, std
    ``config.initializer_range`` or 0.02, bias 0). Returns the new layer."""
    if model.config.num_labels != 1:
        raise RewardkitError(f"length_head needs a one-output reward model, this head has {model.config.num_labels}")
    _, _, old = output_layer(model)
    std = float(getattr(model.config, "initializer_range", None) or 0.02)
    generator = torch.Generator().manual_seed(seed)
    fill = torch.randn(1, old.in_features, generator=generator) * std
    return _replace_rows(model, 2, fill.to(old.weight.dtype))


def drop_length_head(model: Any) -> torch.nn.Linear:
    """Cut the output layer back to its quality row (row 0): the model is again a one-output
    sequence classifier, saved and scored like any other. Returns the new layer."""
    if model.config.num_labels != 2:
        raise RewardkitError(f"no length head to drop: the head has {model.config.num_labels} outputs, not 2")
    return _replace_rows(model, 1, None)

