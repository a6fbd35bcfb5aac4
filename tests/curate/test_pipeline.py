import json

import pytest
import yaml

from rewardkit.cli.main import main
from rewardkit.curate import CurateConfig, run_curation
from rewardkit.curate.consistency import ConsistencyStep
from rewardkit.data.io import load_pairs, write_pairs
from rewardkit.errors import RewardkitError

from .helpers import pair


@pytest.fixture()
def small_sources(tmp_path):
    a = [pair(i, f"Question number {i} about gardening and the best way to grow tomatoes",
              chosen="long answer " * (1 + i % 3), rejected="short", source="garden") for i in range(12)]
    a.append(pair(99, "How do I dice onions?", source="garden"))
    b = [pair(100 + i, f"Tell me fact {i}", chosen="x", rejected="a longer rejected answer", source="facts") for i in range(5)]
    bench = [pair(0, "How do I dice onions?")]
    paths = {}
    for name, rows in (("a", a), ("b", b), ("bench", bench)):
        paths[name] = str(tmp_path / f"{name}.jsonl")
        write_pairs(rows, paths[name])
    return paths


def config_dict(paths, **extra):
    return {
        "stats_tokenizer": "words",
        "sources": [{"path": paths["a"]}, {"path": paths["b"], "name": "facts-renamed"}],
        "steps": [
            {"decontaminate": {"against": [paths["bench"]]}},
            {"dedup": {"threshold": 0.9}},
            {"balance": {"ratio": 1.0}},
        ],
        **extra,
    }


def test_pipeline_writes_data_report_chart_and_manifest(small_sources, tmp_path):
    out = tmp_path / "out"
    report = run_curation(CurateConfig.from_dict(config_dict(small_sources)), out)
    steps = {s["step"]: s for s in report["steps"]}
    assert steps["mixture"]["pairs_in"] == 18
    assert steps["decontaminate"]["removed_by_reason"] == {"benchmark-exact-match": 1}
    # garden: 12 chosen-longer pairs -> balanced against 0 shorter; facts: 5 chosen-shorter, 0 longer
    assert steps["balance"]["removed_by_reason"] == {"length-balance-chosen-longer": 12, "length-balance-chosen-shorter": 5}
    assert report["pairs_out"] == 0 == len(load_pairs(str(out / "curated.jsonl")))
    for name in ("report.md", "report.json", "mixture.png", "manifest.json"):
        assert (out / name).stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["pairs_in"] == 18 and len(manifest["inputs"]) == 3
    assert manifest["config"]["sources"][1]["name"] == "facts-renamed"
    md = (out / "report.md").read_text()
    assert "| decontaminate | 18 | 17 | 1 | benchmark-exact-match 1 |" in md
    assert report["stats_before"]["total"]["pairs"] == 18 and report["stats_after"]["total"]["pairs"] == 0


def test_pipeline_keeps_source_tags_and_counts_chain(small_sources, tmp_path):
    cfg = config_dict(small_sources)
    cfg["steps"] = cfg["steps"][:2]
    report = run_curation(CurateConfig.from_dict(cfg), tmp_path / "o")
    kept = load_pairs(str(tmp_path / "o" / "curated.jsonl"))
    assert {p.source for p in kept} == {"garden", "facts-renamed"}
    for a, b in zip(report["steps"], report["steps"][1:]):
        assert a["pairs_out"] == b["pairs_in"]
    assert report["pairs_out"] == len(kept) == 17


@pytest.mark.parametrize("bad, message", [
    ({"steps": [{"shuffle": {}}]}, "unknown step 'shuffle'; known: dedup, decontaminate"),
    ({"steps": [{"dedup": {"treshold": 0.5}}]}, "steps[0]: dedup: unknown settings ['treshold']"),
    ({"steps": [{"select": {"score": "x"}}]}, "exactly one of top_k and top_fraction"),
    ({"sources": []}, "at least one source"),
    ({"colour": 1}, "unknown settings ['colour']"),
    ({"steps": [{"dedup": {"shingle": "3"}}]}, "steps[0]: dedup: field 'shingle': expected an integer, got '3'"),
    ({"steps": [{"consistency": {"model": "length", "folds": 1.5}}]}, "field 'folds': expected an integer, got 1.5"),
    ({"steps": [{"consistency": {"model": "length", "drop_fraction": "10%"}}]}, "field 'drop_fraction': expected a number or null"),
    ({"steps": [{"consistency": {"train": {"seed": "abc"}, "folds": 2}}]}, "train.seed must be a whole number, 0 or more, got 'abc'"),
    ({"steps": [{"consistency": {"train": {}, "folds": 2, "margin": 0.5, "drop_fraction": 0.1}}]}, "give margin or drop_fraction, not both"),
])
def test_config_errors_name_the_problem(small_sources, tmp_path, bad, message):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**config_dict(small_sources), **bad}))
    with pytest.raises(RewardkitError) as e:
        CurateConfig.from_yaml(path)
    assert message in str(e.value) and str(path) in str(e.value)


def test_cli_config_form_subcommands_and_exit_codes(small_sources, tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config_dict(small_sources)))
    assert main(["curate", str(path), "--out", str(tmp_path / "o1")]) == 0
    assert (tmp_path / "o1" / "report.md").exists()
    assert main(["curate", "decontaminate", "--data", small_sources["a"], small_sources["b"], "--against", small_sources["bench"],
                 "--out", str(tmp_path / "o2"), "--stats-tokenizer", "words"]) == 0
    assert len(load_pairs(str(tmp_path / "o2" / "curated.jsonl"))) == 17
    assert main(["curate", "select", "--data", small_sources["a"], "--out", str(tmp_path / "o3"), "--score", "q",
                 "--top-k", "1", "--stats-tokenizer", "words"]) == 2
    assert "has no scores.q" in capsys.readouterr().err
    assert main(["curate", "balance", "--data", small_sources["b"], "--out", str(tmp_path / "o4"), "--source", "nothing",
                 "--stats-tokenizer", "words"]) == 0
    assert len(load_pairs(str(tmp_path / "o4" / "curated.jsonl"))) == 5
    path.write_text("steps: [nope]\nsources: [a.jsonl]\n")
    assert main(["curate", str(path), "--out", str(tmp_path / "o5")]) == 2
    assert "unknown step 'nope'" in capsys.readouterr().err


def _consistency_on_llmbar(shared_data, tiny_bert, out, vicuna: int, steps: int, **settings):
    """Curate 60 LLMBar pairs (filtered) and `vicuna` Vicuna-bench pairs (passed) with a tiny BERT trained `steps` steps."""
    train = shared_data / "train"
    rm = {"model": tiny_bert, "max_steps": steps, "batch_size": 8, "max_length": 128, "save_steps": 10, **settings.pop("train", {})}
    cfg = CurateConfig.from_dict({
        "stats_tokenizer": "words",
        "sources": [{"path": str(train / "llmbar_other.jsonl.gz"), "name": "llmbar", "cap": 60},
                    {"path": str(train / "vicuna_bench_reviews.jsonl.gz"), "name": "vicuna", "cap": vicuna}],
        "steps": [{"consistency": {"sources": ["llmbar"], "max_length": 128, "train": rm, **settings}}],
    })
    return run_curation(cfg, out)


def test_consistency_trains_an_rm_on_the_other_sources_end_to_end(shared_data, tiny_bert, tmp_path):
    """The issue's check: RM consistency with a reward model trained by `train rm`, on a pool source."""
    report = _consistency_on_llmbar(shared_data, tiny_bert, tmp_path / "out", vicuna=40, steps=3, train={"max_pairs": 32})
    step = report["steps"][1]
    d = step["details"]
    assert d["trained"]["pairs"] == 32 and d["trained"]["steps"] == 3
    assert d["scored"] == 60 and 0 <= d["kept"] <= 60
    assert step["pairs_out"] == 40 + d["kept"]
    assert step["sources_out"].get("llmbar", 0) == d["kept"]
    assert f"{d['kept']:,} kept" in (tmp_path / "out" / "report.md").read_text()
    kept = [p for p in load_pairs(str(tmp_path / "out" / "curated.jsonl")) if p.source == "llmbar"]
    assert all(p.scores["rm_margin"] > 0 for p in kept)


def test_consistency_cross_fitted_folds_end_to_end(shared_data, tiny_bert, tmp_path):
    """folds: 2 trains one RM per half of the prompts and drops the lowest fifth of each half."""
    report = _consistency_on_llmbar(shared_data, tiny_bert, tmp_path / "out", vicuna=20, steps=2, folds=2, drop_fraction=0.2)
    d = report["steps"][1]["details"]
    folds = d["folds"]
    assert [f["trained"]["steps"] for f in folds] == [2, 2]
    # each RM trains on everything its fold does not hold: the other fold and the 20 vicuna pairs
    assert [f["trained"]["pairs"] for f in folds] == [80 - folds[0]["scored"], 80 - folds[1]["scored"]]
    assert sum(f["scored"] for f in folds) == d["scored"] == 60
    assert d["kept"] == 60 - sum(round(0.2 * f["scored"]) for f in folds)  # float rewards: no ties at the cut
    kept = [p for p in load_pairs(str(tmp_path / "out" / "curated.jsonl")) if p.source == "llmbar"]
    # every kept pair is above its own fold's cut, and each fold kept all but its lowest fifth
    fold_of = ConsistencyStep(train={}, folds=2)._fold  # the step's own assignment (the train seed: 0)
    per_fold = [[p for p in kept if fold_of(p, 0) == f] for f in range(2)]
    assert len(kept) == d["kept"]
    for f, mine in enumerate(per_fold):
        assert all(p.scores["rm_margin"] > folds[f]["cut"] for p in mine)
        assert len(mine) == folds[f]["scored"] - round(0.2 * folds[f]["scored"])
    text = (tmp_path / "out" / "report.md").read_text()
    assert "2 folds by prompt" in text and "the lowest 20% per model dropped" in text
