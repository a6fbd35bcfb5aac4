"""The neighbours step: a pair's rejected answer becomes a good answer to a similar but
different instruction; paraphrases, unrelated prompts and multi-turn prompts give none; the
counts add up; and the development split keeps prompts on one side, leaving out the pairs whose
answer crosses it."""

from __future__ import annotations

import pytest

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


def test_a_prompt_in_two_sources_lands_on_one_side():
    """AlpacaEval's prompts include Vicuna's: a prompt drawn for dev in one source takes its pairs
    in every other source along (the recipe's split had put 130 dev pairs' prompts in training)."""
    shared = [pair(f"{s}{i}", f"shared prompt {i}", source=s) for s in ("a", "b") for i in range(12)]
    own = [pair(f"b-own{i}", f"only in b {i}", source="b") for i in range(12)]
    train, dev = split_by_prompt(shared + own, 0.25, seed=0)
    train_prompts = {p.prompt[0].content for p in train}
    assert not any(p.prompt[0].content in train_prompts for p in dev)
    dev_ids = {p.id for p in dev}
    assert all((f"a{i}" in dev_ids) == (f"b{i}" in dev_ids) for i in range(12))  # each shared prompt on one side
    # a draws 3 of its 12 prompts, b 6 of its 24; a shared prompt drawn by either is held in both
    assert 3 <= sum(p.source == "a" for p in dev) <= 9 and sum(p.source == "b" and "own" in p.id for p in dev) <= 6


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


def test_neighbours_within_each_side_of_the_split_that_follows(tmp_path):
    """With split_dev the step draws every neighbour from its target's side of the split that
    `data split --dev` will make, so nothing crosses it and development keeps neighbour pairs;
    without it the same pool gives pairs that cross (which `data split` would leave out)."""
    from rewardkit.data.split import crossing_answers, held_prompts, prompt_group

    topics = ["sea", "forest", "desert", "city", "river", "mountain", "garden", "storm"]
    pool = [pair(f"{t}{k}", f"Write a short poem about the {t} {k}.", chosen=f"A poem of the {t} {k}.")
            for t in topics for k in ("at night", "at dawn", "in winter")]
    plain, _ = run(NeighborsStep(fraction=1.0, per_prompt=1, min_similarity=0.05, max_similarity=0.95), pool)
    step = NeighborsStep(fraction=1.0, per_prompt=1, min_similarity=0.05, max_similarity=0.95, split_dev=0.25, split_seed=3)
    split, report = run(step, pool)
    dev_keys = held_prompts(((p.source, prompt_group(p)) for p in pool), 0.25, 3)
    assert len(dev_keys) == 6  # a quarter of 24 prompts

    def side(p):
        return prompt_group(p) in dev_keys

    by_id = {p.id: p for p in pool}
    added = [p for p in split if p.subset == SUBSET]
    assert added and all(side(p) == side(by_id[p.meta["neighbor_answer_from"]]) for p in added)
    assert report.details["added_in_dev"] == sum(side(p) for p in added) > 0
    _, _, left = crossing_answers(*split_by_prompt(split, 0.25, seed=3))
    assert left == []  # the split that follows finds nothing to leave out
    _, _, left_plain = crossing_answers(*split_by_prompt(plain, 0.25, seed=3))
    assert left_plain  # ... where the same pool without split_dev crosses it


def test_without_a_split_the_same_seed_gives_the_pairs_it_always_gave():
    """Drawing per side must not change a config without split_dev (the recipe's curated data is
    reproduced byte for byte): these are the pairs the step drew before sides existed (pinned
    from that code), with a multi-turn prompt and an out-of-scope source in the pool."""
    topics = ["sea", "forest", "desert", "city", "river", "mountain", "garden", "storm"]
    pool = [pair(f"{t} {k}", f"Write a short poem about the {t} {k}.", chosen=f"A poem of the {t} {k}.")
            for t in topics for k in ("at night", "at dawn", "in winter")]
    pool[3] = pair("multi", [("user", "Write a poem about the city."), ("assistant", "x"), ("user", "more")])
    pool[5] = pair("elsewhere", "Write a short poem about the lake in winter.", chosen="Ice.", source="other")
    out, _ = run(NeighborsStep(fraction=0.5, per_prompt=2, min_similarity=0.05, max_similarity=0.95, seed=7, sources=["s"]), pool)
    got = sorted((p.meta["neighbor_of"], p.meta["neighbor_answer_from"]) for p in out if p.subset == SUBSET)
    assert got == [("city at dawn", "city in winter"), ("city in winter", "storm in winter"), ("desert at night", "desert in winter"),
                   ("forest at dawn", "river at dawn"), ("garden at night", "storm at night"), ("garden in winter", "garden at night"),
                   ("mountain at night", "storm at night"), ("mountain in winter", "river in winter"),
                   ("river at night", "mountain at night"), ("sea at dawn", "storm at dawn"), ("sea at night", "garden at night"),
                   ("storm at dawn", "river at dawn")]
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="split_dev"):
            NeighborsStep(split_dev=bad)


def test_curate_neighbors_split_dev_from_the_command_line(tmp_path, capsys):
    import json

    from rewardkit.cli.main import main
    from rewardkit.data.io import write_pairs

    pool = [pair(f"{t}-{k}", f"Write a short poem about the {t} {k}.", chosen=f"A poem of the {t} {k}.")
            for t in ("sea", "forest", "desert", "city", "river", "storm") for k in ("at night", "at dawn", "in winter", "in spring")]
    write_pairs(pool, str(tmp_path / "pool.jsonl"))
    assert main(["curate", "neighbors", "--data", str(tmp_path / "pool.jsonl"), "--out", str(tmp_path / "nb"), "--fraction", "1",
                 "--per-prompt", "1", "--min-similarity", "0.05", "--split-dev", "0.25", "--split-seed", "2"]) == 0
    details = json.loads((tmp_path / "nb/report.json").read_text())
    assert main(["data", "split", "--data", str(tmp_path / "nb/curated.jsonl"), "--out", str(tmp_path / "split"),
                 "--dev", "0.25", "--seed", "2"]) == 0
    assert "left out" not in capsys.readouterr().err
    dev = [json.loads(line) for line in (tmp_path / "split/dev.jsonl").read_text().splitlines()]
    assert (tmp_path / "split/left_out.jsonl").read_text() == ""
    in_dev = sum(p["subset"] == SUBSET for p in dev)
    assert in_dev > 0 and f'"added_in_dev": {in_dev}' in json.dumps(details)
