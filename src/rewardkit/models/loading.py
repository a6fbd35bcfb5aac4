"""How a model's weights are loaded and run: `LoadOptions`, shared by scoring, evaluation,
judging, training and (later) serving, and recorded resolved in every manifest.

| dtype | on a GPU | on a CPU |
|---|---|---|
| ``auto`` (default) | the checkpoint's own dtype (bf16 for most 8B-70B reward models) | fp32 weights with bf16 autocast where the CPU has fast bf16 matmul, else fp32 |
| ``bfloat16``, ``float16`` | weights cast to it | weights cast to it |
| ``float32`` | fp32, exact | fp32, exact |

On a CPU, ``auto`` autocasts rather than casting the weights: measured on the 2-core machine of
DESIGN.md, autocast scores 2.7x faster than fp32 with scores within 4e-4, while bf16 weights
also round the weights. An 8B reward model needs about 32 GB in fp32 and 16 GB in bf16, so on a
GPU ``auto`` (bf16 checkpoints stay bf16) is what makes it fit.

``device_map`` is accelerate's (``auto`` spreads a 70B model over the GPUs there are);
``attn_implementation`` is transformers' (Gemma-2 reward models need ``eager``);
``trust_remote_code`` stays off unless asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass
from typing import Any

from rewardkit.errors import RewardkitError

DTYPES = ("auto", "bfloat16", "float16", "float32")
ATTN_IMPLEMENTATIONS = (None, "eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention")


def default_device() -> str:
    """The GPU this process should use (``LOCAL_RANK``'s under a multi-process launch), else the CPU."""
    import os

    import torch

    if not torch.cuda.is_available():
        return "cpu"
    return f"cuda:{os.environ['LOCAL_RANK']}" if "LOCAL_RANK" in os.environ else "cuda"


def bf16_supported(device: str) -> bool:
    """Whether bf16 is fast here (CUDA with bf16, or a CPU with native bf16 matmul)."""
    import torch

    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@dataclass(frozen=True)
class LoadOptions:
    """Precision and placement of a model (see the module docstring).

    Attributes:
        dtype: ``auto``, ``bfloat16``, ``float16`` or ``float32``.
        device_map: accelerate's device map (``auto``, ``balanced``, ``cuda:0``...); None puts the
            whole model on the default device.
        attn_implementation: ``eager``, ``sdpa``, ... or None for the model's default.
        trust_remote_code: allow custom model code from the hub.
        bf16: force bf16 autocast on or off (the older ``--bf16/--no-bf16`` flags); None lets
            ``dtype`` decide.
    """

    dtype: str = "auto"
    device_map: str | None = None
    attn_implementation: str | None = None
    trust_remote_code: bool = False
    bf16: bool | None = None

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise RewardkitError(f"dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if self.attn_implementation not in ATTN_IMPLEMENTATIONS:
            raise RewardkitError(f"unknown attn_implementation {self.attn_implementation!r}; "
                                 f"known: {', '.join(a for a in ATTN_IMPLEMENTATIONS if a)}")

    def weights_dtype(self, device: str) -> Any:
        """What ``from_pretrained(dtype=...)`` gets: a torch dtype, or ``"auto"`` (the checkpoint's)."""
        import torch

        if self.dtype == "auto":
            return "auto" if device.startswith("cuda") else torch.float32
        return getattr(torch, self.dtype)

    def autocast(self, device: str) -> bool:
        """Whether to run the forward pass under bf16 autocast."""
        if self.bf16 is not None:
            return self.bf16
        return self.dtype == "auto" and not device.startswith("cuda") and bf16_supported(device)

    def from_pretrained_kwargs(self, device: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"dtype": self.weights_dtype(device), "trust_remote_code": self.trust_remote_code}
        if self.device_map:
            kwargs["device_map"] = self.device_map
        if self.attn_implementation:
            kwargs["attn_implementation"] = self.attn_implementation
        return kwargs

    def resolved(self, device: str) -> dict[str, Any]:
        """The options as they took effect, for manifests and results.json."""
        weights = self.weights_dtype(device)
        return {**asdict(self), "device": device, "weights_dtype": weights if isinstance(weights, str) else str(weights).removeprefix("torch."),
                "autocast_bf16": self.autocast(device)}


def placed(model: Any, device: str | None = None) -> tuple[Any, str]:
    """(`model` in eval mode on `device` (default: `default_device`), the device inputs go to). A
    model placed by accelerate's ``device_map`` stays where it is; its inputs go where it starts."""
    if getattr(model, "hf_device_map", None):
        return model.eval(), str(model.device)
    device = device or default_device()
    return model.to(device).eval(), device


def autocast(device: str, bf16: bool) -> AbstractContextManager:
    """bf16 autocast on `device`'s kind when `bf16`, else a no-op context (an enclosing region, if
    any, stays in force): the per-batch region every scorer and judge backend runs its forward
    pass in (inside `cast_once`)."""
    import torch

    return torch.autocast(device.split(":")[0], dtype=torch.bfloat16) if bf16 else nullcontext()


# Up to this size a model's bf16 weight copies are kept for a whole call (`cast_once`): 2 GB at most.
CAST_ONCE_MAX_PARAMS = 1_000_000_000


def cast_once(model: Any, device: str, bf16: bool) -> AbstractContextManager:
    """``torch.no_grad`` and one bf16 autocast region around a whole scoring or judging call.

    Autocast casts an fp32 weight to bf16 where a matmul first uses it and keeps the copy until
    the outermost autocast region ends, but only outside ``torch.inference_mode`` (under it
    nothing is kept): a region per batch, or inference mode, casts every weight again for every
    batch. Forward passes inside this region (their own per-batch regions nest in it) run under
    ``no_grad`` instead, so the weights are cast once per call, and the results are the same
    bits. The copies cost 2 bytes a parameter while the call runs, so a model over
    `CAST_ONCE_MAX_PARAMS` keeps casting per batch, as does a run without autocast (``torch.no_grad`` alone then)."""
    import torch

    if not bf16 or sum(p.numel() for p in model.parameters()) > CAST_ONCE_MAX_PARAMS:
        return torch.no_grad()
    stack = ExitStack()
    stack.enter_context(torch.no_grad())
    stack.enter_context(torch.autocast(device.split(":")[0], dtype=torch.bfloat16))
    return stack


def head_in_fp32(model: Any) -> list[str]:
    """Run a sequence classifier's reward head in fp32; returns the names of the modules it
    changed.

    Under bf16 autocast, or with bf16 / fp16 weights (a GPU's ``--dtype auto`` for most 8B reward
    models), the head's linear layer returns bf16, so every reward is rounded to 8 significant
    bits (steps of 1/64 between 2 and 4, of 1/16 between 8 and 16): two responses that differ by a
    few tokens, a buggy and a correct line of code, get the *same* reward, and RewardBench counts
    a tie as wrong. Measured on rb-open's HumanEvalPack pairs with a MiniLM reward model under
    autocast: 96 of 984 pairs tied, 16 with the head in fp32 (23 in full fp32, whose inputs
    truncate to the same tokens).

    The head is the modules of the model other than its backbone (``classifier``, ``score``,
    DeBERTa's ``pooler``) plus the backbone's pooler where it has one (BERT): a few hundred
    thousand multiply-adds a row. Half-precision head weights are upcast (for an 8B Llama's
    ``score``, 4,096 numbers); the modules then run with autocast off and their inputs in fp32.
    Quantized (non-float) heads are left alone. The change is to the module objects, once
    (calling it again is a no-op); nothing is saved with the weights.
    """
    import torch

    base = getattr(model, "base_model_prefix", "")
    modules = [(name, m) for name, m in model.named_children() if name != base]
    pooler = getattr(getattr(model, "base_model", None), "pooler", None)
    if isinstance(pooler, torch.nn.Module):
        modules.append(("pooler", pooler))
    changed = []
    for name, module in modules:
        params = list(module.parameters())
        if getattr(module, "_rewardkit_fp32", False) or not all(p.dtype.is_floating_point for p in params):
            continue
        module.float()
        module.forward = _in_fp32(module.forward)
        module._rewardkit_fp32 = True
        changed.append(name)
    return changed


@contextmanager
def output_head_in_fp32(model: Any) -> Iterator[bool]:
    """A causal LM's output layer (``lm_head``) in fp32 while the context is open; yields whether
    it was changed.

    A judge's logprob verdict reads two probabilities at one position. Under bf16 autocast the
    logits come out of a bf16 matmul rounded to 8 significant bits (steps of 1/16 between 8 and
    16), so P(A) and P(B) of a close verdict come out equal and the order ties at 0.5. With
    ``logits_to_keep=1`` the fp32 layer costs one vocabulary-wide row of multiply-adds per
    input. Left alone: half-precision weights (a GPU's ``--dtype auto``: the layer is often the
    tied embedding, and an fp32 copy of a 128K x 4,096 matrix would cost 2 GB) and models
    without an output layer. Sampling does not use it: there the layer runs on
    every new token, and a rounded logit only moves a token's probability by a few percent
    (relative).
    """
    import torch

    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    params = list(head.parameters()) if isinstance(head, torch.nn.Module) else []
    if not params or not all(p.dtype == torch.float32 for p in params):
        yield False
        return
    own = head.__dict__.get("forward")  # an accelerate hook sets an instance forward
    head.forward = _in_fp32(head.forward)
    try:
        yield True
    finally:
        if own is None:
            del head.forward
        else:
            head.forward = own


def _in_fp32(forward: Any) -> Any:
    import functools

    import torch

    def fp32(a: Any) -> Any:
        return a.float() if isinstance(a, torch.Tensor) and a.is_floating_point() else a

    @functools.wraps(forward)
    def run(*args: Any, **kwargs: Any) -> Any:
        device = next((a.device.type for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)), "cpu")
        with torch.autocast(device, enabled=False):  # a no-op outside autocast
            return forward(*(fp32(a) for a in args), **{k: fp32(v) for k, v in kwargs.items()})

    return run


def drop_gguf_marker(model: Any) -> None:
    """transformers dequantizes GGUF weights to plain fp32 tensors but leaves the model marked as
    quantized: the Trainer then refuses to train it, and a saved folder would claim a GGUF
    quantization config. The weights are ordinary, so the marker goes."""
    model.hf_quantizer = None
    if hasattr(model, "is_quantized"):
        try:
            model.is_quantized = False
        except AttributeError:  # a read-only property derived from hf_quantizer
            pass
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def load_causal_lm(model: str, options: LoadOptions) -> Any:
    """A causal LM to fine-tune or score with (an embedded name, a folder, a .gguf file or a hub id)."""
    from transformers import AutoModelForCausalLM

    from rewardkit.embedded import resolve

    where, extra = resolve(model)
    try:
        loaded = AutoModelForCausalLM.from_pretrained(where, **options.from_pretrained_kwargs(default_device()), **extra)
    except (OSError, ValueError) as e:
        raise RewardkitError(f"cannot load {model!r} as a causal LM: {' '.join(str(e).split())[:400]}") from None
    if "gguf_file" in extra:
        drop_gguf_marker(loaded)
    return loaded
