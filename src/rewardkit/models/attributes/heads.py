"""Linear attribute heads: reward_j(x) = w_j · x + b_j on a backbone's pooled embedding x.

Stored as ``heads.safetensors`` (``weight`` [k, hidden], ``bias`` [k]) plus the head
descriptions in ``attributes.json`` (name, kind, what it was fitted on); loading needs
safetensors and the standard library, nothing is unpickled.

A ``ridge`` head predicts a rating on the rating's own scale (HelpSteer2 0-4); a ``bt`` head is
a Bradley-Terry logit scale: reward differences are log-odds that one response beats the other
on that attribute, and its bias is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rewardkit.errors import RewardkitError

if TYPE_CHECKING:
    import torch

HEADS_FILE = "heads.safetensors"
KINDS = ("ridge", "bt")


@dataclass
class Head:
    name: str
    kind: str  # ridge | bt
    report: dict[str, Any] = field(default_factory=dict)  # fitted on what, regularisation, development metric


@dataclass
class AttributeHeads:
    heads: list[Head]
    weight: "torch.Tensor"  # [k, hidden] float32
    bias: "torch.Tensor"  # [k]

    @property
    def names(self) -> list[str]:
        return [h.name for h in self.heads]

    def apply(self, embeddings: "torch.Tensor") -> "torch.Tensor":
        """``[n, k]`` attribute rewards of ``[n, hidden]`` embeddings."""
        if embeddings.shape[-1] != self.weight.shape[1]:
            raise RewardkitError(f"the heads expect {self.weight.shape[1]}-dimensional embeddings, got {embeddings.shape[-1]}: "
                                 "they were fitted on another backbone")
        return embeddings.float() @ self.weight.T + self.bias

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        from rewardkit.data.containers import atomic_path

        with atomic_path(folder / HEADS_FILE) as tmp:
            save_file({"weight": self.weight.contiguous().float(), "bias": self.bias.contiguous().float()}, str(tmp))

    @classmethod
    def load(cls, folder: Path, described: list[dict[str, Any]]) -> "AttributeHeads":
        from safetensors.torch import load_file

        path = folder / HEADS_FILE
        try:
            tensors = load_file(str(path))
            heads = [Head(str(d["name"]), str(d["kind"]), dict(d.get("report") or {})) for d in described]
        except Exception as e:  # noqa: BLE001 - OSError, a bad description, or safetensors' own error for a damaged file
            raise RewardkitError(f"{path}: cannot load the attribute heads: {e}") from None
        weight, bias = tensors.get("weight"), tensors.get("bias")
        if weight is None or bias is None or weight.dim() != 2 or weight.shape[0] != len(heads) or bias.shape != (len(heads),):
            raise RewardkitError(f"{path}: expected 'weight' [{len(heads)}, hidden] and 'bias' [{len(heads)}] for the "
                                 f"{len(heads)} heads of attributes.json")
        if any(h.kind not in KINDS for h in heads):
            raise RewardkitError(f"{folder}/attributes.json: head kinds must be one of {', '.join(KINDS)}")
        return cls(heads, weight.float(), bias.float())
