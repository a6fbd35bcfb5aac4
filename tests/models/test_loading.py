"""`LoadOptions`: dtype, device map, attention and remote code reach from_pretrained, through
the same code paths a real 8B reward model takes (tiny random models stand in for it)."""

from __future__ import annotations

import json

import pytest
import torch

from rewardkit.cli.main import main
from rewardkit.errors import RewardkitError
from rewardkit.models.loading import LoadOptions, bf16_supported, head_in_fp32, output_head_in_fp32
from rewardkit.models.registry import load_scorer


def test_dtype_resolution_by_device():
    assert LoadOptions().weights_dtype("cuda") == "auto"  # the checkpoint's own (bf16 for Skywork-Reward)
    assert LoadOptions().weights_dtype("cpu") is torch.float32
    assert LoadOptions().autocast("cpu") == bf16_supported("cpu")
    assert LoadOptions().autocast("cuda") is False
    assert LoadOptions(dtype="bfloat16").weights_dtype("cpu") is torch.bfloat16 and not LoadOptions(dtype="bfloat16").autocast("cpu")
    assert LoadOptions(dtype="float32").autocast("cpu") is False
    assert LoadOptions(dtype="float32", bf16=True).autocast("cpu") is True  # the older flag wins
    with pytest.raises(RewardkitError, match="dtype must be one of auto, bfloat16, float16, float32"):
        LoadOptions(dtype="fp8")


@pytest.mark.parametrize("dtype, weights", [("bfloat16", torch.bfloat16), ("float32", torch.float32)])
def test_scorer_loads_weights_in_the_dtype(tiny_llama, dtype, weights):
    scorer = load_scorer(tiny_llama, dtype=dtype, attn_implementation="eager")
    assert next(scorer.model.parameters()).dtype is weights
    assert scorer.model.config._attn_implementation == "eager"
    assert scorer.load_options["weights_dtype"] == dtype
    convs = [([__import__("rewardkit").data.schema.Message("user", "hello")], "fine thanks")]
    assert len(scorer.score(convs)) == 1


def test_device_map_places_the_model_through_accelerate(tiny_llama):
    scorer = load_scorer(tiny_llama, dtype="float32", device_map="cpu")
    assert scorer.load_options["device_map"] == "cpu" and scorer.device == "cpu"
    assert {p.device.type for p in scorer.model.parameters()} == {"cpu"}
    exact = load_scorer(tiny_llama, dtype="float32")
    from rewardkit.data.schema import Message

    convs = [([Message("user", "hello")], "fine thanks"), ([Message("user", "how are you")], "a b c")]
    assert scorer.score(convs) == pytest.approx(exact.score(convs), abs=1e-6)


def test_cli_records_the_precision_it_scored_in(tiny_bert, synth_dir, tmp_path):
    out = tmp_path / "s.jsonl"
    assert main(["score", "--model", tiny_bert, "--data", str(synth_dir / "test.jsonl"), "--out", str(out), "--dtype", "float32"]) == 0
    loading = json.loads((tmp_path / "s.jsonl.manifest.json").read_text())["config"]["loading"]
    assert loading["dtype"] == "float32" and loading["autocast_bf16"] is False and loading["weights_dtype"] == "float32"
    ev = tmp_path / "ev"
    assert main(["eval", "--model", tiny_bert, "--data", str(synth_dir / "test.jsonl"), "--out", str(ev), "--no-baselines",
                 "--bootstrap", "0"]) == 0
    result = json.loads((ev / "results.json").read_text())
    assert result["loading"]["dtype"] == "auto" and result["loading"]["autocast_bf16"] == bf16_supported("cpu")
    assert main(["score", "--model", tiny_bert, "--data", str(synth_dir / "test.jsonl"), "--out", str(out), "--dtype", "fp8"]) == 2


class _WeightCasts:
    """Counts fp32 -> bf16 casts of weight matrices (what autocast converts for a linear layer)."""

    def __init__(self) -> None:
        from torch.utils._python_dispatch import TorchDispatchMode

        counter = self

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                kwargs = kwargs or {}
                dtype = args[1] if func is torch.ops.aten.to.dtype else kwargs.get("dtype")
                if func in (torch.ops.aten.to.dtype, torch.ops.aten._to_copy.default) and dtype is torch.bfloat16 \
                        and args[0].dtype is torch.float32 and args[0].requires_grad and args[0].dim() == 2:
                    counter.n += 1  # a weight matrix (activations do not require grad under no_grad)
                return func(*args, **kwargs)

        self.n = 0
        self.mode = Mode()


@pytest.mark.parametrize("max_params, casts_per", [(10**9, "call"), (0, "batch")])
def test_bf16_scoring_casts_the_weights_once_per_call(tiny_bert, monkeypatch, max_params, casts_per):
    """Autocast keeps its bf16 weight copies until the outermost region ends: the scorer opens one
    region around all its batches (same scores, the casts done once), except for models above the
    size where keeping the copies would cost too much memory."""
    from rewardkit.data.schema import Message
    from rewardkit.models import loading

    monkeypatch.setattr(loading, "CAST_ONCE_MAX_PARAMS", max_params)
    scorer = load_scorer(tiny_bert, bf16=True, batch_size=2, allow_untrained_head=True)
    convs = [([Message("user", f"question {i}")], "answer " * (i + 1)) for i in range(6)]  # 3 batches of 2
    one_batch = _WeightCasts()
    with one_batch.mode:
        scorer.score(convs[:1])
    assert one_batch.n >= 12  # 2 layers x 6 weight matrices, at least
    counter = _WeightCasts()
    with counter.mode:
        rewards = scorer.score(convs)
    assert counter.n == (one_batch.n if casts_per == "call" else 3 * one_batch.n)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=False):
        per_batch = [r for i in (0, 2, 4) for r in scorer.score(convs[i:i + 2])]  # the same batches, a region each
    assert rewards == pytest.approx(per_batch, abs=0)


@pytest.mark.parametrize("fixture, head", [("tiny_bert", ["dropout", "classifier", "pooler"]), ("tiny_llama", ["score"])])
def test_bf16_scoring_keeps_the_reward_head_in_fp32(fixture, head, request):
    """Under autocast the head's bf16 output rounded every reward to 8 significant bits, so
    near-identical responses tied (and a tie counts as wrong). The head now runs in fp32: no
    reward is a bf16 number any more, and they stay close to the fp32 model's."""
    from rewardkit.data.schema import Message

    model = request.getfixturevalue(fixture)
    convs = [([Message("user", f"question {i}")], "answer " * (i + 1)) for i in range(8)]
    autocast = load_scorer(model, bf16=True, allow_untrained_head=True)
    assert autocast.fp32_head == head and autocast.load_options["fp32_head"] == head
    rewards = autocast.score(convs)
    assert all(torch.tensor(r).bfloat16().item() != r for r in rewards)  # before: every one was
    exact = load_scorer(model, dtype="float32", allow_untrained_head=True)
    assert exact.fp32_head == []  # nothing to change without autocast
    assert rewards == pytest.approx(exact.score(convs), abs=0.05)
    assert head_in_fp32(autocast.model) == []  # once only


def test_half_precision_weights_get_an_fp32_head(tiny_llama):
    """bf16 weights (a GPU's --dtype auto for most 8B reward models) rounded rewards the same
    way: the head is upcast, the rest of the model stays bf16."""
    from rewardkit.data.schema import Message

    convs = [([Message("user", f"question {i}")], "answer " * (i + 1)) for i in range(8)]
    scorer = load_scorer(tiny_llama, dtype="bfloat16", allow_untrained_head=True)
    assert scorer.fp32_head == ["score"] and scorer.model.score.weight.dtype is torch.float32
    assert scorer.model.model.embed_tokens.weight.dtype is torch.bfloat16
    rewards = scorer.score(convs)
    assert all(torch.tensor(r).bfloat16().item() != r for r in rewards)
    exact = load_scorer(tiny_llama, dtype="float32", allow_untrained_head=True).score(convs)
    assert rewards == pytest.approx(exact, abs=0.05)


def test_the_fp32_head_takes_keyword_inputs_and_leaves_quantized_heads_alone():
    class Toy(torch.nn.Module):
        base_model_prefix = "body"

        def __init__(self):
            super().__init__()
            self.body = torch.nn.Linear(4, 4)
            self.head = torch.nn.Linear(4, 1).bfloat16()
            self.frozen = torch.nn.Embedding(3, 2)
            self.frozen.weight = torch.nn.Parameter(torch.zeros(3, 2, dtype=torch.int8), requires_grad=False)

    toy = Toy()
    assert head_in_fp32(toy) == ["head"]  # not the backbone, not a non-float (quantized) module
    assert toy.head.weight.dtype is torch.float32 and toy.frozen.weight.dtype is torch.int8
    x = torch.randn(2, 4, dtype=torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert toy.head(input=x).dtype is torch.float32 and toy.head(x).dtype is torch.float32


class _LM(torch.nn.Module):
    """The part of a causal LM `output_head_in_fp32` touches: `get_output_embeddings`."""

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.lm_head = torch.nn.Linear(8, 5, bias=False, dtype=dtype)

    def get_output_embeddings(self) -> torch.nn.Module:
        return self.lm_head


def test_the_fp32_output_layer_is_put_back_and_leaves_half_precision_alone():
    model = _LM(torch.float32)
    x = torch.randn(2, 8)
    exact = x @ model.lm_head.weight.T
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model.lm_head(x).dtype == torch.bfloat16
        with output_head_in_fp32(model) as changed:
            assert changed and model.lm_head(x).dtype == torch.float32
            assert torch.allclose(model.lm_head(x), exact, rtol=1e-6, atol=0)
        assert "forward" not in model.lm_head.__dict__ and model.lm_head(x).dtype == torch.bfloat16
    hooked = model.lm_head.forward  # an instance forward, as an accelerate hook sets
    model.lm_head.forward = hooked
    with pytest.raises(RuntimeError), output_head_in_fp32(model):
        raise RuntimeError("a failed forward pass")
    assert model.lm_head.forward is hooked  # the hook again, after an error too
    half = _LM(torch.bfloat16)
    with output_head_in_fp32(half) as changed:
        assert not changed and "forward" not in half.lm_head.__dict__
