import pytest

from rewardkit.curate.balance import BalanceStep
from rewardkit.curate.consistency import ConsistencyStep
from rewardkit.curate.dedup import DedupStep
from rewardkit.curate.mixture import Source, read_mixture
from rewardkit.curate.report import StepReport
from rewardkit.curate.select import SelectStep
from rewardkit.data.io import write_pairs
from rewardkit.errors import DataError
from rewardkit.models.baselines import LengthScorer

from .helpers import pair


def run(step, pairs):
    report = StepReport(step.name)
    out = list(step.apply(pairs, report))
    report.check()
    return out, report


def test_dedup_exact_and_near_duplicate_prompts():
    long = "please explain how photosynthesis works in green plants and why leaves are green in summer"
    pairs = [
        pair(1, long),
        pair(2, long),  # exact duplicate of 1
        pair(3, long, chosen="another good answer"),  # same prompt, other responses: kept
        pair(4, long.replace("green plants", "green plant")),  # near-duplicate prompt
        pair(5, long.upper()),  # same prompt after normalisation: not a near-duplicate
        pair(6, "what is the capital of france and what is its population today"),
    ]
    out, report = run(DedupStep(threshold=0.5), pairs)
    assert [p.id for p in out] == ["1", "3", "5", "6"]
    assert report.removed_by_reason() == {"exact-duplicate": 1, "near-duplicate-prompt": 1}
    out, report = run(DedupStep(threshold=None), pairs)
    assert [p.id for p in out] == ["1", "3", "4", "5", "6"]
    out, _ = run(DedupStep(exact=False, threshold=None), pairs)
    assert len(out) == 6


def test_dedup_keeps_the_repeats_a_mixture_weight_asked_for(tmp_path):
    # a weight of 2 followed by dedup used to remove every repeat as an exact duplicate
    src = tmp_path / "a.jsonl"
    write_pairs([pair(1, "q one"), pair(2, "q one"), pair(3, "q three")], str(src))  # 2 duplicates 1
    weighted = list(read_mixture([Source(str(src), name="A", weight=2.0)], StepReport("mixture"), seed=0))
    assert [(p.id, p.meta.get("mixture_copy")) for p in weighted] == [
        ("1", None), ("1~1", 1), ("2", None), ("2~1", 1), ("3", None), ("3~1", 1)]
    out, report = run(DedupStep(threshold=None), weighted)
    assert [p.id for p in out] == ["1", "1~1", "3", "3~1"]  # the source's own duplicate goes, with its repeat
    assert report.removed_by_reason() == {"exact-duplicate": 2}


def test_mixture_caps_weights_tags_and_invalid_rows(tmp_path):
    a = tmp_path / "a.jsonl"
    write_pairs([pair(i, f"question {i}") for i in range(10)], str(a))
    b = tmp_path / "b.jsonl"
    b.write_text('{"prompt": "q", "chosen": "x", "rejected": ""}\n{"prompt": "q2", "chosen": "x", "rejected": "y"}\n')
    report = StepReport("mixture")
    out = list(read_mixture([Source(str(a), name="A", cap=4), Source(str(b), name="B", weight=2.0)], report, seed=1))
    report.check()
    a_ids = [p.id for p in out if p.source == "A"]
    assert len(a_ids) == 4 and a_ids == sorted(a_ids, key=int)  # a uniform sample, in file order
    assert [p.id for p in out if p.source == "B"] == ["b-2", "b-2~1"]
    assert report.removed_by_reason() == {"invalid-empty-rejected": 1, "mixture-cap": 6}
    assert report.added == 1 and report.pairs_in == 12 and report.pairs_out == 6
    again = list(read_mixture([Source(str(a), name="A", cap=4)], StepReport("m"), seed=1))
    assert [p.id for p in again] == a_ids  # seeded
    half = list(read_mixture([Source(str(a), weight=0.5)], StepReport("m"), seed=3))
    assert 0 < len(half) < 10


def test_select_top_k_per_category_with_offsets_and_center():
    pairs = [
        pair(1, "Write a python function to sort a list", meta={"p": 1.0, "gen": "weak"}),  # code, conf .5 - .1
        pair(2, "Fix this bug in my code", meta={"p": 1.9}),  # code, conf .4
        pair(3, "Calculate 12 * 7", meta={"p": 1.2}),  # math, conf .3
        pair(4, "Solve the equation x + 2 = 5", meta={"p": 1.45}),  # math, conf .05
        pair(5, "Tell me a story", meta={"p": 2.0}),  # other .5
        pair(6, "Recommend a movie", meta={"p": 1.6}),  # other .1
        pair(7, "Name a color", source="other-source"),  # out of scope: passes
    ]
    step = SelectStep(score="conf", from_field="meta.p", center=1.5, top_k=1, sources=["s"],
                      offsets={"weak": 0.15}, offset_field="meta.gen")
    out, report = run(step, pairs)
    assert sorted(p.id for p in out) == ["2", "3", "5", "7"]
    assert report.removed_by_reason() == {"below-top-code": 1, "below-top-math": 1, "below-top-other": 1}
    assert report.details["categories"]["code"] == {"pairs": 2, "kept": 1, "threshold": pytest.approx(0.4)}
    assert next(p for p in out if p.id == "3").scores["conf"] == pytest.approx(0.3)
    assert report.details["offsets_applied"] == {"weak": 1}


def test_select_fraction_missing_scores_and_ties():
    pairs = [pair(i, f"Tell me about topic {i}", scores={"q": 1.0}) for i in range(10)] + [pair(99, "no score")]
    with pytest.raises(DataError, match="pair 99"):
        run(SelectStep(score="q", top_fraction=0.3), pairs)
    out, report = run(SelectStep(score="q", top_fraction=0.3, missing="drop"), pairs)
    assert len(out) == 3 and report.removed_by_reason() == {"below-top-other": 7, "missing-score": 1}
    # equal scores: the choice depends on the pair ids and the seed, not on the input order
    reversed_out, _ = run(SelectStep(score="q", top_fraction=0.3, missing="drop"), pairs[::-1])
    assert sorted(p.id for p in reversed_out) == sorted(p.id for p in out)
    out, _ = run(SelectStep(score="q", top_fraction=0.3, missing="keep"), pairs)
    assert "99" in {p.id for p in out}
    with pytest.raises(ValueError):
        SelectStep(score="q", top_k=1, top_fraction=0.5)


def test_consistency_keeps_pairs_the_scorer_agrees_with():
    pairs = [
        pair(1, "q", chosen="a long and careful answer", rejected="short"),
        pair(2, "q", chosen="tiny", rejected="a much longer rejected answer"),
        pair(3, "q", chosen="abcd", rejected="abc"),  # margin 1 character
        pair(4, "q", chosen="x", rejected="a longer one", source="other"),  # out of scope
    ]
    step = ConsistencyStep(scorer=LengthScorer(), sources=["s"], margin=1.0, chunk=2)
    out, report = run(step, pairs)
    assert [p.id for p in out] == ["1", "4"]
    assert report.removed_by_reason() == {"rm-disagrees": 1, "rm-margin-too-small": 1}
    assert out[0].scores["rm_margin"] > 1 and "rm_margin" not in out[1].scores
    assert report.details["scored"] == 3 and report.details["kept"] == 1
    with pytest.raises(ValueError):
        ConsistencyStep()


def test_consistency_drops_a_fraction_and_leaves_built_pairs_alone():
    # chosen minus rejected length: 6, -5, 2, -1, and 9 for the neighbour-built pair
    pairs = [
        pair(1, "q1", chosen="x" * 9, rejected="yyy"),
        pair(2, "q2", chosen="x", rejected="y" * 6),
        pair(3, "q3", chosen="xxxx", rejected="yy"),
        pair(4, "q4", chosen="xx", rejected="yyy"),
        pair(5, "q5", chosen="x", rejected="y" * 10, meta={"neighbor_of": "1"}),  # built: kept
        pair(6, "q6", chosen="x", rejected="y" * 10, source="other"),  # out of scope: kept
    ]
    step = ConsistencyStep(scorer=LengthScorer(), sources=["s"], drop_fraction=0.5, chunk=3)
    out, report = run(step, pairs)
    assert [p.id for p in out] == ["1", "3", "5", "6"]  # the stream's order; the two lowest of four gone
    assert report.removed_by_reason() == {"rm-disagrees": 2}
    assert [p.scores.get("rm_margin") for p in out] == [6.0, 2.0, None, None]
    assert report.details["scored"] == 4 and report.details["kept"] == 2
    out, _ = run(ConsistencyStep(scorer=LengthScorer(), sources=["s"], margin=-2.0), pairs)
    assert [p.id for p in out] == ["1", "3", "4", "5", "6"]  # streaming: the built pair is not judged either
    with pytest.raises(ValueError, match="not both"):
        ConsistencyStep(scorer=LengthScorer(), margin=0.5, drop_fraction=0.1)
    with pytest.raises(ValueError, match="need train"):
        ConsistencyStep(model="length", folds=2)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ConsistencyStep(model="length", drop_fraction=1.0)


def test_consistency_folds_score_each_pair_with_a_model_that_never_saw_its_prompt(monkeypatch, tmp_path):
    # two pairs per prompt (the second a repeat, as a mixture weight makes), eight prompts, one out of scope
    pairs = [pair(f"{i}-{k}", f"prompt {i}", chosen="x" * (i + 2), rejected="y" * (6 - i % 4))
             for i in range(8) for k in range(2)]
    pairs.append(pair("o", "other prompt", source="other"))
    trained_on: list[list] = []

    def fake_train(self, training, info, fold):
        trained_on.append([p.id for p in training])
        info["trained"] = {"pairs": len(training)}
        return LengthScorer()

    monkeypatch.setattr(ConsistencyStep, "_train", fake_train)
    step = ConsistencyStep(train={"seed": 3}, sources=["s"], folds=2, drop_fraction=0.25, chunk=3)
    step.workdir = str(tmp_path)
    out, report = run(step, pairs)
    folds = report.details["folds"]
    assert len(trained_on) == 2 and [f["scored"] for f in folds] == [16 - len(trained_on[0]) + 1, 16 - len(trained_on[1]) + 1]
    for f, ids in enumerate(trained_on):
        assert "o" in ids  # out of scope: training material for every fold
        trained_prompts = {i.split("-")[0] for i in ids if i != "o"}
        scored_prompts = {p for p in map(str, range(8))} - trained_prompts
        assert len(scored_prompts) * 2 == folds[f]["scored"]  # a prompt's pairs are all on one side
    assert sum(f["scored"] for f in folds) == 16
    # per fold, the lowest quarter of its differences goes (ties at the cut too): by hand from
    # diff(i) = (i + 2) - (6 - i % 4) = -4, -2, 0, 2, 2, 4, 6, 8, each prompt's two pairs together
    diff = {i: (i + 2) - (6 - i % 4) for i in range(8)}
    expected = set()
    for ids in trained_on:
        mine = sorted(set(range(8)) - {int(i.split("-")[0]) for i in ids if i != "o"}, key=diff.get)
        values = sorted(diff[i] for i in mine for _ in range(2))
        cut = values[round(0.25 * len(values)) - 1]
        expected |= {f"{i}-{k}" for i in mine if diff[i] <= cut for k in range(2)}
    removed = {p.id for p in pairs} - {p.id for p in out}
    assert removed == expected and len(removed) >= 4
    assert [p.id for p in out] == [p.id for p in pairs if p.id not in removed]


def test_balance_by_hand():
    pairs = [pair(i, "q", chosen="x" * 10, rejected="y") for i in range(6)]  # chosen longer
    pairs += [pair(10 + i, "q", chosen="x", rejected="y" * 10) for i in range(2)]  # chosen shorter
    pairs += [pair(20, "q", chosen="ab", rejected="cd")]  # equal
    pairs += [pair(30 + i, "q", chosen="x" * 10, rejected="y", source="t") for i in range(3)]  # no shorter side
    out, report = run(BalanceStep(ratio=1.5, sources=["s"]), pairs)
    kept = [p.id for p in out if p.source == "s"]
    assert len([i for i in kept if int(i) < 10]) == 3 and {"10", "11", "20"} <= set(kept)
    assert len([p for p in out if p.source == "t"]) == 3  # out of scope
    out, report = run(BalanceStep(), pairs)
    assert report.removed_by_reason() == {"length-balance-chosen-longer": 4 + 3}
    table = {r["source"]: r for r in report.details["table"]}
    assert table["t"] == {"source": "t", "chosen_longer": 3, "chosen_shorter": 0, "equal": 0, "removed": 3, "removed_side": "longer"}
