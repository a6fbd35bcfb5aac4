"""bench/rm_recipe.py refuses to add a row measured on another development split than the
table's rows (they compare only on the same split)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from rm_recipe import check_same_dev, dev_digest, pair_accuracies  # noqa: E402


def test_a_row_on_another_dev_split_is_refused(tmp_path):
    dev = tmp_path / "dev.jsonl"
    dev.write_text("a\n")
    digest = dev_digest([str(dev)])
    assert digest == hashlib.sha256(b"a\n").hexdigest()
    check_same_dev([], [str(dev)], digest, 1)  # an empty table takes any split
    rows = [{"name": "old", "dev": {"pairs": 502}}]  # measured before rows recorded a digest
    check_same_dev(rows, [str(dev)], digest, 502)
    with pytest.raises(SystemExit, match=r"1472 pairs\) is not the development split .*row 'old': 502 pairs.*--new-dev"):
        check_same_dev(rows, [str(dev)], digest, 1472)  # the recipe script carved a new split
    rows.append({"name": "new", "dev": {"pairs": 502}, "dev_sha256": "f" * 64})
    with pytest.raises(SystemExit, match="row 'new': sha256 ffffffffffff, 502 pairs"):
        check_same_dev(rows, [str(dev)], digest, 502)  # as many pairs, other bytes: the digest decides
    rows[-1]["dev_sha256"] = digest
    check_same_dev(rows, [str(dev)], digest, 502)


def test_a_missing_dev_file_is_named(tmp_path):
    with pytest.raises(SystemExit, match=r"--dev: no such file .*nowhere\.jsonl"):
        dev_digest([str(tmp_path / "nowhere.jsonl")])


def test_the_uncurated_control_leaves_out_dev_and_benchmark_prompts(tmp_path):
    """The control draws uniformly from the raw sources, without the development split's prompts
    and without the prompts the curation config's decontaminate step removes: an uncurated model
    that trained on rb-open's prompts would be compared on a benchmark it has seen."""
    import json

    import yaml

    from rm_recipe import uniform_sample

    from rewardkit.data.io import load_pairs

    def row(i, prompt):
        return {"id": f"p{i}", "prompt": prompt, "chosen": f"good {i}", "rejected": f"bad {i}"}

    bench = "name the three largest moons of jupiter in order of size please"  # 12 words: 8-grams
    prompts = [bench, "what is two plus two", "translate hello into french", "write a haiku about rain",
               "how do magnets work", "explain why the sky is blue"]
    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(json.dumps(row(i, p)) + "\n" for i, p in enumerate(prompts)))
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(row(9, "Please name the three largest moons of Jupiter in order of size!")) + "\n")
    benchmark = tmp_path / "bench.jsonl"
    benchmark.write_text(json.dumps(row(0, bench)) + "\n")
    dev = tmp_path / "dev.jsonl"
    dev.write_text(json.dumps(row(1, "write a haiku about rain")) + "\n")
    config = tmp_path / "curate.yaml"
    config.write_text(yaml.safe_dump({"sources": [{"path": str(raw)}, {"path": str(other)}],
                                      "steps": [{"dedup": {"threshold": 0.8}}, {"decontaminate": {"against": [str(benchmark)]}}]}))
    path, info = uniform_sample(str(config), 10, [str(dev)], tmp_path)
    picked = sorted(p.prompt[0].content for p in load_pairs([path]))
    assert picked == ["explain why the sky is blue", "how do magnets work", "translate hello into french", "what is two plus two"]
    assert info == {"seed": 0, "pool": 4, "pairs": 4, "skipped": {},
                    "decontaminated": {"benchmark-exact-match": 1, "benchmark-ngram-match": 1}}
    _, info = uniform_sample(str(config), 2, [str(dev)], tmp_path)
    assert info["pairs"] == 2  # n below the pool: a sample of n

    def drawn(seed):
        path, info = uniform_sample(str(config), 2, [str(dev)], tmp_path, seed=seed)
        assert info["seed"] == seed
        return frozenset(p.id for p in load_pairs([path]))

    assert drawn(3) == drawn(3)  # a seed is a draw (--uniform-seed: another control, reproducibly)
    assert len({drawn(s) for s in range(5)}) > 1


def test_curated_sample_runs_the_variant_and_keeps_the_development_split_out(tmp_path):
    """A curation variant's output, run through the existing development split: its prompts
    and its answers (a neighbour pair may take one as rejected) stay out of the draw."""
    import json

    import yaml

    from rm_recipe import curated_sample

    from rewardkit.data.io import load_pairs

    rows = [{"id": "a", "prompt": "what is two plus two", "chosen": "four", "rejected": "five"},
            {"id": "b", "prompt": "write a haiku about rain", "chosen": "rain haiku", "rejected": "no"},
            {"id": "c", "prompt": "how do magnets work", "chosen": "fields", "rejected": "rain haiku"},  # a dev answer
            {"id": "d", "prompt": "explain why the sky is blue", "chosen": "scattering", "rejected": "paint"},
            {"id": "e", "prompt": "explain why the sky is blue", "chosen": "scattering", "rejected": "paint"}]  # a duplicate
    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(json.dumps(r) + "\n" for r in rows))
    dev = tmp_path / "dev.jsonl"
    dev.write_text(json.dumps(rows[1]) + "\n")
    config = tmp_path / "variant.yaml"
    config.write_text(yaml.safe_dump({"sources": [{"path": str(raw)}], "steps": [{"dedup": {"threshold": 0.8}}]}))
    path, info = curated_sample(str(config), 10, [str(dev)], tmp_path / "out")
    assert sorted(p.id for p in load_pairs([path])) == ["a", "d"]  # b: a dev prompt; c: a dev answer; e: deduplicated
    assert {k: info[k] for k in ("curated", "pool", "pairs", "left_out_dev", "seed")} == \
        {"curated": 4, "pool": 2, "pairs": 2, "left_out_dev": 2, "seed": 0}
    assert (tmp_path / "out" / "curated" / "report.json").is_file()  # the variant's own curation report is kept
    path, info = curated_sample(str(config), 1, [str(dev)], tmp_path / "out")
    assert info["pairs"] == 1 and len(load_pairs([path])) == 1


def test_a_bad_curation_config_for_the_control_is_named(tmp_path):
    from rm_recipe import uniform_sample

    from rewardkit.errors import RewardkitError

    config = tmp_path / "curate.yaml"
    config.write_text("sources: [{path: x.jsonl}]\nsteps: [{decontaminate: {against: [b.jsonl], ngrams: 8}}]\n")
    with pytest.raises(RewardkitError, match=r"curate\.yaml: steps\[0\]: decontaminate: unknown settings \['ngrams'\]"):
        uniform_sample(str(config), 1, [], tmp_path)


def test_pair_accuracies_by_hand():
    from rewardkit.data.schema import Message, PreferencePair

    def pair(source, chosen, rejected, subset=None):
        return PreferencePair(id=f"{source}-{chosen}", prompt=[Message("user", "q")], chosen=chosen, rejected=rejected,
                              source=source, subset=subset)

    pairs = [pair("synth", "long answer", "no"),       # chosen longer, right
             pair("synth", "a", "longer one"),         # chosen shorter, wrong
             pair("hh", "ok", "much longer"),          # chosen shorter, right
             pair("hh", "tie!", "tie?", "neighbor-instruction")]  # equal length counts as longer; a tie is wrong
    rewards = [2.0, 0.0, 1.0, 5.0] + [1.0, 3.0, 0.0, 5.0]
    a = pair_accuracies(rewards, pairs)
    assert a["all"] == 0.5
    assert (a["chosen_longer"], a["chosen_shorter"], a["balanced"]) == (0.5, 0.5, 0.5)
    assert (a["labelled"], a["labelled_pairs"]) == (0.5, 2)
    assert (a["neighbor"], a["neighbor_pairs"]) == (0.0, 1)
    assert (a["source:synth"], a["source:hh"], a["chosen_shorter_pairs"]) == (0.5, 0.5, 2)


def test_training_minutes_of_an_ensemble_with_a_gated_member(tmp_path):
    """A row's training minutes: the members' rows, a `train rm` manifest, and a gate's fitting
    seconds; baselines and LMs train nothing; a member nobody timed stops the row."""
    import json

    from rm_recipe import _on_machine, trained_minutes

    rm = tmp_path / "rm"
    rm.mkdir()
    (rm / "manifest.json").write_text(json.dumps({"result": {"train_seconds": 600.0}}))
    gate = tmp_path / "gate"
    gate.mkdir()
    (gate / "manifest.json").write_text(json.dumps({"result": {"seconds": 30.0}}))
    rows = [{"config": {"out": str(tmp_path / "row")}, "train_minutes": 7.0}]
    assert trained_minutes(f"ensemble:{rm},gated:{gate}:pmi:smollm2@0.07", rows) == pytest.approx(10.5)
    assert trained_minutes(f"ensemble:{tmp_path / 'row'},gated:{gate}:{rm}", rows) == pytest.approx(7.0 + 0.5 + 10.0)
    assert _on_machine(f"gated:{gate}:pmi:smollm2") and not _on_machine(f"gated:{tmp_path / 'none'}:length")
    with pytest.raises(SystemExit, match="gate .*none has no manifest.json"):
        trained_minutes(f"ensemble:{rm},gated:{tmp_path / 'none'}:length", rows)
    with pytest.raises(SystemExit, match="no row .* trained .*elsewhere"):
        trained_minutes(f"ensemble:{rm},{tmp_path / 'elsewhere'}", rows)


def test_dev_accuracy_keeps_rewards_in_the_cache(tiny_bert, synth_dir, tmp_path):
    """--cache: the first measurement fills the file (one row per conversation), the second reads
    it and gives the same accuracies."""
    import sqlite3

    from rm_recipe import dev_accuracy

    dev = [str(synth_dir / "test.jsonl")]
    cache = tmp_path / "scores.sqlite"
    first = dev_accuracy(tiny_bert, dev, str(cache))
    with sqlite3.connect(cache) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = sum(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables)
    from rewardkit.data.io import load_pairs
    from rewardkit.models.protocols import pair_conversations

    distinct = {repr(c) for c in pair_conversations(load_pairs(dev))}  # a conversation met twice is kept once
    assert rows == len(distinct) and first["pairs"] == 60 and 100 < rows <= 120
    assert dev_accuracy(tiny_bert, dev, str(cache)) == first == dev_accuracy(tiny_bert, dev)
