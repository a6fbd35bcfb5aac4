"""Con-J stages: hinted requests only where sampling gave no right-and-wrong mix, and no hint
in anything saved; contrastive pairs capped per prompt over both orders; a killed `sample`
stage resumes without asking again, a killed `dpo` stage from its checkpoint; each stage's documented rows; DPO (TRL) changes the weights."""

from __future__ import annotations

import json

import pytest
import torch

from rewardkit.cli.main import main
from rewardkit.data.schema import Message, PreferencePair
from rewardkit.models.judges.cache import ResponseCache
from rewardkit.models.judges.templates import load_template
from rewardkit.train.config import JudgeTrainConfig
from rewardkit.train.conj import build_pairs, hint_text, judge_chat, pairs_table, run_hint, run_sample

TEMPLATE = load_template("skywork-critic")


def _pairs(n: int) -> list[PreferencePair]:
    return [PreferencePair(id=f"p{i}", prompt=[Message("user", f"question {i}?")], chosen=f"good {i}", rejected=f"bad {i}",
                           source="toy") for i in range(n)]


class ScriptedBackend:
    """A judge backend (the protocol's `sample`) answering from a script, counting what it is asked."""

    name = "scripted"

    def __init__(self, answer, fail_after: int | None = None) -> None:
        self.answer, self.fail_after, self.asked = answer, fail_after, []

    def sample(self, chats, max_new_tokens, n, temperature, seed=0, on_done=None):
        if self.fail_after is not None and len(self.asked) + len(chats) > self.fail_after:
            raise KeyboardInterrupt  # killed mid-run
        self.asked += chats
        if on_done:
            on_done(len(chats))
        return [[self.answer(c, j) for j in range(n)] for c in chats]


def _config(tmp_path, **kw) -> JudgeTrainConfig:
    return JudgeTrainConfig(method="con-j", data=["unused.jsonl"], out=str(tmp_path / "out"), samples=2, **kw)


def test_hint_only_where_samples_agree_and_never_saved(tmp_path):
    pairs = _pairs(3)
    # p0: mixed in both orders; p1: always "[[A]]" (right when chosen is first, wrong when second); p2: unparsed
    def answer(chat, j):
        text = chat[-1]["content"]
        if "question 0?" in text:
            return "[[A]]" if j == 0 else "[[B]]"
        return "[[A]]" if "question 1?" in text else "no idea"

    cfg = _config(tmp_path)
    cache = ResponseCache(tmp_path / "c.sqlite")
    sampled = run_sample(cfg, pairs, ScriptedBackend(answer), TEMPLATE, cache, progress=False)
    assert len(sampled) == 3 * 2 * 2 and {r["order"] for r in sampled} == {"chosen-first", "chosen-second"}
    assert {(r["pair_id"], r["order"], r["correct"]) for r in sampled if r["pair_id"] == "p1"} == {
        ("p1", "chosen-first", True), ("p1", "chosen-second", False)}

    def hinted_answer(chat, j):  # obeys the hint; the second sample parrots it
        text = chat[-1]["content"]
        verdict = "[[A]]" if hint_text(TEMPLATE, True) in text else "[[B]]"
        return verdict if j == 0 else f"{verdict} because (Hint: ...)"

    backend = ScriptedBackend(hinted_answer)
    rows, counts = run_hint(cfg, pairs, sampled, backend, TEMPLATE, cache, progress=False)
    # p1 both orders (all right / all wrong) and p2 both orders (nothing parsed) get hints; p0 none
    assert counts == {"groups_hinted": 4, "judgments": 8, "leaked": 4}
    assert not any("question 0?" in c[-1]["content"] for c in backend.asked)
    by = {(r["pair_id"], r["order"]): r for r in rows}
    assert by[("p1", "chosen-first")]["hint"] == "toward-wrong" and by[("p1", "chosen-first")]["correct"] is False
    assert by[("p1", "chosen-second")]["hint"] == "toward-right" and by[("p1", "chosen-second")]["correct"] is True
    assert by[("p2", "chosen-second")]["correct"] is True
    built = build_pairs(pairs, sampled + rows, TEMPLATE, per_prompt=3, seed=0)
    saved = json.dumps([rows, built])
    assert "Hint" not in saved and "hint_text" not in saved
    for b in built:
        assert b["prompt"] == judge_chat(TEMPLATE, pairs[int(b["pair_id"][1:])], b["order"])  # rendered without the hint
    # p2 has right judgments only (its hints asked for the right verdict): no pair
    assert {(b["pair_id"], b["order"]) for b in built} == {("p0", "chosen-first"), ("p0", "chosen-second"),
                                                           ("p1", "chosen-first"), ("p1", "chosen-second")}
    # counting a judgment without a verdict as a wrong one (the default) gives p2 pairs: right vs unparsed
    with_unparsed = build_pairs(pairs, sampled + rows, TEMPLATE, per_prompt=3, seed=0, unparsed_wrong=True)
    p2 = [b for b in with_unparsed if b["pair_id"] == "p2"]
    assert len(p2) == 2 and all(b["rejected"] == "no idea" for b in p2)
    table = pairs_table(3, sampled + rows, len(built))
    assert table == {"pairs_in": 3, "judgments": 16, "hinted": 4, "parse_rate": 12 / 16, "positives": 7, "negatives": 5,
                     "pairs_built": 4}


def test_con_j_refuses_held_out_data_it_would_not_use(tmp_path):
    from rewardkit.errors import RewardkitError

    with pytest.raises(RewardkitError, match="eval_data"):
        JudgeTrainConfig.from_sources(None, {"method": "con-j", "data": ["a.jsonl"], "eval_data": ["b.jsonl"], "out": str(tmp_path)})


def test_pairs_cap_per_prompt_alternating_orders():
    pair = _pairs(1)
    judgments = [{"pair_id": "p0", "order": o, "correct": c, "verdict": "first", "hinted": False, "text": f"{o}-{c}-{k}"}
                 for o in ("chosen-first", "chosen-second") for c in (True, False) for k in range(4)]
    built = build_pairs(pair, judgments, TEMPLATE, per_prompt=3, seed=0)
    assert [b["order"] for b in built] == ["chosen-first", "chosen-second", "chosen-first"]
    for b in built:
        assert b["chosen"].startswith(f"{b['order']}-True") and b["rejected"].startswith(f"{b['order']}-False")


def test_a_killed_sample_stage_resumes_without_asking_again(tmp_path):
    pairs = _pairs(20)  # 40 chats: chunks of 16
    cfg = _config(tmp_path)
    cache = ResponseCache(tmp_path / "c.sqlite")
    with pytest.raises(KeyboardInterrupt):
        run_sample(cfg, pairs, ScriptedBackend(lambda c, j: "[[A]]", fail_after=20), TEMPLATE, cache, progress=False)
    assert len(cache) == 16  # the first chunk was kept
    again = ScriptedBackend(lambda c, j: "[[A]]")
    rows = run_sample(cfg, pairs, again, TEMPLATE, cache, progress=False)
    assert len(again.asked) == 24 and len(rows) == 80
    third = ScriptedBackend(lambda c, j: "[[B]]")
    assert [r["text"] for r in run_sample(cfg, pairs, third, TEMPLATE, cache, progress=False)] == [r["text"] for r in rows]
    assert third.asked == []


def test_con_j_stages_end_to_end_on_a_tiny_llama(tiny_judge, tmp_path, capsys):
    from safetensors.torch import load_file

    from rewardkit.data.io import write_pairs

    data = tmp_path / "pairs.jsonl"
    write_pairs(_pairs(3), str(data))
    out = tmp_path / "conj"
    common = ["train", "judge", "--method", "con-j", "--model", tiny_judge, "--data", str(data), "--out", str(out),
              "--samples", "2", "--max-new-tokens", "4", "--no-bf16"]
    assert main([*common, "--stage", "sample"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("| 0.0% | 0 | 0 | - |")  # nothing built before the pairs stage
    rows = [json.loads(x) for x in (out / "stages" / "sample.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and set(rows[0]) == {"pair_id", "order", "sample", "hinted", "text", "verdict", "correct"}
    assert (out / "stages" / "sample.manifest.json").is_file()
    assert main([*common, "--stage", "hint"]) == 0 and main([*common, "--stage", "pairs"]) == 0
    assert "| pairs in |" in capsys.readouterr().out
    # a random 2-layer model never writes a verdict, so the DPO stage gets hand-made judgment pairs
    judge_pairs = [{"pair_id": p.id, "order": "chosen-first", "prompt": judge_chat(TEMPLATE, p, "chosen-first"),
                    "chosen": "[[A]]", "rejected": "[[B]]"} for p in _pairs(3)]
    (out / "stages" / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in judge_pairs))
    assert main([*common, "--stage", "dpo", "--max-steps", "2", "--batch-size", "2", "--lr", "1e-3"]) == 0
    assert "DPO: 2 steps on 3 judgment pairs" in capsys.readouterr().err
    before, after = load_file(f"{tiny_judge}/model.safetensors"), load_file(str(out / "model.safetensors"))
    assert any(not torch.equal(before[k], after[k]) for k in before)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "train judge" and manifest["config"]["beta"] == 0.1 and manifest["config"]["sft_weight"] == 0.001


def test_a_killed_dpo_stage_resumes_from_its_checkpoint_and_refuses_other_settings(tiny_judge, tmp_path, monkeypatch, capsys):
    from transformers import TrainerCallback

    import rewardkit.train.rm as rm
    from rewardkit.data.io import write_pairs

    data = tmp_path / "pairs.jsonl"
    write_pairs(_pairs(4), str(data))
    out = tmp_path / "conj"
    (out / "stages").mkdir(parents=True)
    rows = [{"pair_id": p.id, "order": "chosen-first", "prompt": judge_chat(TEMPLATE, p, "chosen-first"),
             "chosen": "[[A]]", "rejected": "[[B]]"} for p in _pairs(4)]
    (out / "stages" / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    dpo = ["train", "judge", "--method", "con-j", "--model", tiny_judge, "--data", str(data), "--out", str(out), "--no-bf16",
           "--stage", "dpo", "--max-steps", "4", "--save-steps", "2", "--batch-size", "2", "--lr", "1e-3"]

    class Kill(TrainerCallback):
        def on_save(self, args, state, control, **kw):
            raise KeyboardInterrupt  # killed right after the first checkpoint

    with monkeypatch.context() as m:
        m.setattr(rm, "RichProgressCallback", Kill)
        assert main(dpo) == 130
    assert (out / "checkpoints" / "checkpoint-2").is_dir() and not (out / "model.safetensors").exists()
    assert main([*dpo[:-1], "3e-4"]) == 2  # another learning rate: the unfinished run is not silently continued
    assert "unfinished run with other settings" in capsys.readouterr().err
    with monkeypatch.context() as m:  # --overwrite starts the stage over (and is killed again at its first checkpoint)
        m.setattr(rm, "RichProgressCallback", Kill)
        assert main([*dpo[:-1], "3e-4", "--overwrite"]) == 130
    assert (out / "stages" / "pairs.jsonl").is_file() and (out / "checkpoints" / "checkpoint-2").is_dir()
    assert json.loads((out / "checkpoints" / "run.json").read_text())["config"]["learning_rate"] == 3e-4
    assert main([*dpo[:-1], "3e-4"]) == 0
    result = json.loads((out / "manifest.json").read_text())["result"]["dpo"]
    assert result["resumed_from"].endswith("checkpoint-2") and result["steps"] == 4
    assert not (out / "checkpoints").exists()  # removed once the run finished
