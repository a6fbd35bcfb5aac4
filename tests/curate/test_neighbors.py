"""The neighbours step: a pair's rejected answer becomes a good answer to a similar but
different instruction; paraphrases, unrelated prompts and multi-turn prompts give none; the
counts add up; and the development split keeps prompts on one side, leaving out the pairs whose
answer crosses it."""

from __future__ import annotations

from rewardkit.curate.neighbors import SUBSET, NeighborsStep
from rewardkit.curate.report import StepReport
from rewardkit.data.split import split_by_prompt

from .helpers import pair


def run(step, pairs):
    report = StepReport(step.name)
    out = list(step.apply(pairs, report))
    report.check()
    return out, report


POOL = [
    pair(0, "Write a short poem about the sea at night.", chosen="Waves whisper under the moon."),
    pair(1, "Write a short poem about the forest at dawn.", chosen="Light climbs the pines."),
    pair(2, "Explain how a bicycle gear works.", chosen="Gears trade force for speed."),
    pair(3, "Write a short poem about the sea at night!", chosen="Same prompt, other case."),  # a paraphrase of 0: never a neighbour
    pair(4, [("user", "Write a short poem about rain."), ("assistant", "Drops."), ("user", "Longer please")], chosen="x"),
]


def test_every_pair_gets_a_neighbour_answer_to_a_similar_instruction():
    out, report = run(NeighborsStep(fraction=1.0, per_prompt=1, min_similarity=0.2, max_similarity=0.95), POOL)
    added = [p for p in out if p.subset == SUBSET]
    assert out[: len(POOL)] == POOL  # the input passes through unchanged, in order
    by_target = {p.meta["neighbor_of"]: p for p in added}
    # the two poem prompts are each other's neighbours; the bicycle and the multi-turn prompt have none
    # (0 and 3 are one instruction, so one pair of the two gets the neighbour pair)
    assert len(added) == 2 and "1" in by_target and len({"0", "3"} & set(by_target)) == 1
    one = by_target["1"]
    assert one.chosen == "Light climbs the pines." and one.rejected in ("Waves whisper under the moon.", "Same prompt, other case.")
    assert one.meta["attribute"] == "instruction_following" and one.prompt == POOL[1].prompt
    assert report.added == len(added) and report.pairs_in + report.added == report.pairs_out
    # 0 and 3 are one instruction after normalisation (case, punctuation): neither is the other's neighbour
    assert all({p.meta["neighbor_of"], p.meta["neighbor_answer_from"]} != {"0", "3"} for p in added)


def test_fraction_zero_and_scoping_add_nothing():
    out, report = run(NeighborsStep(fraction=0.0), POOL)
    assert out == POOL and report.added == 0
    out, _ = run(NeighborsStep(fraction=1.0, min_similarity=0.2, max_similarity=0.95, sources=["elsewhere"]), POOL)
    assert out == POOL


def test_split_by_prompt_keeps_prompts_whole_and_stratifies():
    pairs = [pair(f"{s}{i}-{k}", f"prompt {i} of {s}", source=s) for s in "ab" for i in range(20) for k in range(3)]
    pairs.append(pair("a0-copy", "PROMPT 0   of a", source="a"))  # the same prompt up to case and spacing
    train, dev = split_by_prompt(pairs, 0.25, seed=1)
    assert len(train) + len(dev) == len(pairs)
    dev_prompts = {p.prompt[0].content.lower().replace("   ", " ") for p in dev}
    assert not any(p.prompt[0].content.lower().replace("   ", " ") in dev_prompts for p in train)
    assert sum(p.source == "a" for p in dev) in (15, 16) and sum(p.source == "b" for p in dev) == 15  # 5 of 20 prompts each
    assert split_by_prompt(pairs, 0.25, seed=1) == (train, dev)


def test_pairs_whose_answer_crosses_the_split_are_left_out(tmp_path, capsys):
    """A neighbour pair trains a development prompt's chosen answer as rejected when its donor
    lands in dev (and the other way round): `data split` leaves such pairs out of both sides."""
    import json

    from rewardkit.cli.main import main
    from rewardkit.data.io import write_pairs
    from rewardkit.data.split import crossing_answers

    base = [pair(f"p{i}", f"prompt number {i}", chosen=f"answer {i}") for i in range(8)]

    def neighbor(i, donor):
        return pair(f"p{i}-nb{donor}", f"prompt number {i}", chosen=f"answer {i}", rejected=f"answer {donor}",
                    subset=SUBSET, meta={"neighbor_of": f"p{i}", "neighbor_answer_from": f"p{donor}"})

    train_side, dev_side = split_by_prompt(base, 0.25, seed=0)
    t, d = [int(p.id[1:]) for p in train_side], [int(p.id[1:]) for p in dev_side]
    assert len(d) == 2
    crossing = [neighbor(t[0], d[0]), neighbor(d[1], t[1])]  # train <- dev answer, dev <- train answer
    staying = [neighbor(t[2], t[3]), neighbor(d[0], d[1]), neighbor(t[4], "gone")]  # same side; donor unknown
    pairs = base + crossing + staying
    train, dev = split_by_prompt(pairs, 0.25, seed=0)
    train2, dev2, left = crossing_answers(train, dev)
    assert sorted(p.id for p in left) == sorted(p.id for p in crossing)
    assert [p.id for p in train2] == [p.id for p in train if p not in crossing]  # order kept
    assert [p.id for p in dev2] == [p.id for p in dev if p not in crossing]
    assert {p.id for p in staying} <= {p.id for p in train2 + dev2}

    write_pairs(pairs, str(tmp_path / "pairs.jsonl"))
    assert main(["data", "split", "--data", str(tmp_path / "pairs.jsonl"), "--out", str(tmp_path / "split"), "--dev", "0.25"]) == 0
    assert "2 pairs left out of both (left_out.jsonl)" in capsys.readouterr().err
    read = {name: [json.loads(line)["id"] for line in (tmp_path / "split" / f"{name}.jsonl").read_text().splitlines()]
            for name in ("train", "dev", "left_out")}
    assert sorted(read["left_out"]) == sorted(p.id for p in crossing)
    assert sum(map(len, read.values())) == len(pairs)  # nothing lost
    manifest = json.loads((tmp_path / "split" / "manifest.json").read_text())
    assert manifest["counts"]["pairs"]["left_out"] == {"s": 2}
