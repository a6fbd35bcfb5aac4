"""The property every command keeps on bad input (issue 15): it ends in exit 0 with its output,
or exit 2 with one line ``rewardkit: error: ...``; never a traceback (exit 1 is a bug), never a
changed input, and nothing left behind in a new output folder when it fails.

Each test drives one entry point with generated files and option values. The ``fast`` profile
runs in CI; ``REWARDKIT_FUZZ=long`` runs many more cases (see conftest.py)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.cli.main import main
from tests.fuzz.conftest import budget
from tests.fuzz.strategies import data_files, ints, policies

CASES: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_cases():
    yield
    if CASES:
        print("\nfuzz cases per entry point: " + ", ".join(f"{k} {v}" for k, v in sorted(CASES.items())))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(name: str, build) -> None:  # noqa: ANN001 - build(folder) -> (args, inputs, out)
    """Run one generated case in a fresh folder and assert the property."""
    CASES[name] = CASES.get(name, 0) + 1
    folder = Path(tempfile.mkdtemp(prefix="rk-fuzz-"))
    try:
        args, inputs, out = build(folder)
        before = {p: _digest(p) for p in inputs}
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main([str(a) for a in args])
        text = err.getvalue()
        assert "Traceback" not in text, text
        assert code in (0, 2), f"exit {code} for {args}:\n{text}"
        if code == 2:
            errors = [line for line in text.splitlines() if line.startswith("rewardkit: error: ")]
            assert len(errors) == 1, text
            assert not out.exists(), f"a failed run left {sorted(p.name for p in out.rglob('*'))}"
        else:
            assert out.exists()
        assert {p: _digest(p) for p in inputs} == before, "an input was modified"
        leftovers = [p.name for p in folder.rglob(".*.tmp-*")]
        assert not leftovers, leftovers
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write(folder: Path, name: str, spec: tuple[str, bytes]) -> Path:
    suffix, content = spec
    path = folder / f"{name}{suffix}"
    path.write_bytes(content)
    return path


@given(spec=data_files(), to=st.sampled_from(["rewardkit", "trl", "hh", "rewardbench", "skywork", "bogus"]),
       invalid=policies, out_suffix=st.sampled_from([".jsonl", ".json", ".parquet", ".jsonl.gz", ".csv", ""]))
def test_data_convert(spec, to, invalid, out_suffix):
    def build(folder):
        src = _write(folder, "in", spec)
        out = folder / f"out{out_suffix}"
        return ["data", "convert", src, out, "--to", to, "--invalid", invalid], [src], out
    check("data convert", build)


@given(spec=data_files(), invalid=policies)
@settings(max_examples=budget(10))
def test_data_stats(spec, invalid):
    def build(folder):
        src = _write(folder, "in", spec)
        return ["data", "stats", src, "--invalid", invalid, "--json"], [src], folder / "never"
    CASES["data stats"] = CASES.get("data stats", 0) + 1
    folder = Path(tempfile.mkdtemp(prefix="rk-fuzz-"))
    try:
        args, inputs, _ = build(folder)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main([str(a) for a in args])
        assert code in (0, 2) and "Traceback" not in err.getvalue(), err.getvalue()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@given(spec=data_files(), second=st.one_of(st.none(), data_files()), batch=ints, invalid=policies,
       model=st.sampled_from(["length", "shortest", "random", "random:x", "relevance:", "relevance:/no/such/encoder",
                              "ensemble:length,relevance: ", "ensemble:length@x,random",
                              "loglik:", "pmi-mean: ", "pmi:/no/such/lm", "ensemble:length,loglik-mean:/no/such/lm@0.5",
                              "calc", "exec:python", "exec:", "exec:javascript", "exec:fortran", "ensemble:length,exec:python@8,calc@x"]))
def test_score(spec, second, batch, invalid, model):
    def build(folder):
        inputs = [_write(folder, "a", spec)] + ([_write(folder, "b", second)] if second else [])
        out = folder / "o" / "scores.jsonl"
        return (["score", "--model", model, "--data", *inputs, "--out", out, "--batch-size", batch, "--invalid", invalid],
                inputs, out.parent)
    check("score", build)


CACHE_KINDS = ["new", "nested/new", "garbage", "empty", "directory"]
SCORER_SPECS = ["length", "hinge:2:length", "hinge:x:length", "hinge:nan:shortest", "hinge:3:", "gated:/no/gate:length",
                "ensemble:length,hinge:1:shortest@0.5", "hinge:1:gated:/no/gate:length"]


def _cache_path(folder: Path, kind: str) -> tuple[Path, list[Path]]:
    """A --cache path of one kind, and the files of it that must not change."""
    path = folder / kind / "c.sqlite" if kind == "nested/new" else folder / "c.sqlite"
    if kind == "garbage":
        path.write_bytes(b"not a database, and long enough for SQLite to read a header " * 4)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "directory":
        path.mkdir()
    return path, [path] if kind == "garbage" else []


@given(spec=data_files(), model=st.sampled_from(SCORER_SPECS), kind=st.sampled_from(CACHE_KINDS),
       command=st.sampled_from(["score", "eval"]))
@settings(max_examples=budget(12))
def test_scorer_cache_and_wrapped_specs(spec, model, kind, command):
    def build(folder):
        src = _write(folder, "a", spec)
        cache, kept = _cache_path(folder, kind)
        if command == "score":
            out = folder / "o" / "scores.jsonl"
            return ["score", "--model", model, "--data", src, "--out", out, "--cache", cache], [src, *kept], out.parent
        out = folder / "eval"
        return (["eval", "--model", model, "--data", src, "--out", out, "--no-baselines", "--bootstrap", 0, "--cache", cache],
                [src, *kept], out)
    check(f"{command} --cache", build)


ALSO = [None, "calc", "exec:python", "exec:cobol", "shortest", "ensemble:length,exec:python@8,calc@8", "ensemble:length@x,calc",
        "/no/such/model"]


@given(spec=data_files(), bootstrap=ints, invalid=policies, limit=st.one_of(st.none(), ints), also=st.sampled_from(ALSO))
@settings(max_examples=budget(8))
def test_eval(spec, bootstrap, invalid, limit, also):
    def build(folder):
        src = _write(folder, "bench", spec)
        out = folder / "eval"
        extra = (["--limit", limit] if limit is not None else []) + (["--also", also] if also else [])
        return (["eval", "--model", "length", "--data", src, "--out", out, "--no-baselines", "--bootstrap", bootstrap,
                 "--invalid", invalid, *extra], [src], out)
    check("eval", build)


@given(spec=data_files(), bench=data_files(), ngram=ints, invalid=st.sampled_from(["error", "skip", "keep"]))
@settings(max_examples=budget(8))
def test_curate_decontaminate(spec, bench, ngram, invalid):
    def build(folder):
        src, against = _write(folder, "train", spec), _write(folder, "bench", bench)
        out = folder / "cur"
        return (["curate", "decontaminate", "--data", src, "--against", against, "--out", out, "--ngram", ngram,
                 "--stats-tokenizer", "words", "--invalid", invalid], [src, against], out)
    check("curate decontaminate", build)


@given(spec=data_files(), steps=ints, batch=ints, invalid=policies,
       exclude=st.sampled_from([None, "s", "", "no-such-source"]))
@settings(max_examples=budget(6))
def test_train_rm(tiny_bert, spec, steps, batch, invalid, exclude):
    def build(folder):
        src = _write(folder, "train", spec)
        out = folder / "rm"
        excluded = ["--exclude-source", exclude] if exclude is not None else []
        return (["train", "rm", "--model", tiny_bert, "--data", src, "--out", out, "--max-steps", steps, "--batch-size", batch,
                 "--invalid", invalid, "--max-length", "32", "--no-bf16", *excluded], [src], out)
    check("train rm", build)


@given(spec=data_files(), drop=st.sampled_from([None, "0.25", "0", "1", "2", "abc"]),
       margin=st.sampled_from([None, "0", "-1.5", "x"]), invalid=policies)
@settings(max_examples=budget(8))
def test_curate_consistency(spec, drop, margin, invalid):
    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "cons"
        options = [*(["--drop-fraction", drop] if drop is not None else []), *(["--margin", margin] if margin is not None else [])]
        return (["curate", "consistency", "--data", src, "--out", out, "--model", "length", "--stats-tokenizer", "words",
                 "--invalid", invalid, *options], [src], out)
    check("curate consistency", build)


@given(spec=data_files(), folds=st.sampled_from([1, 2, 0, 1.5, True, "two"]), drop=st.sampled_from([None, 0.3, 1.2, "10%"]),
       seed=st.sampled_from([0, -1, "abc"]))
@settings(max_examples=budget(8))
def test_curate_consistency_config(tiny_bert, spec, folds, drop, seed):
    """Cross-fitted consistency from a config: bad settings are refused before any model trains."""
    import yaml

    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "cons"
        step = {"folds": folds, "train": {"model": tiny_bert, "max_steps": 1, "batch_size": 4, "max_length": 32,
                                          "save_steps": 10, "seed": seed}}
        if drop is not None:
            step["drop_fraction"] = drop
        config = folder / "curate.yaml"
        config.write_text(yaml.safe_dump({"stats_tokenizer": "words", "sources": [{"path": str(src)}],
                                          "steps": [{"consistency": step}]}))
        return (["curate", str(config), "--out", out], [src, config], out)
    check("curate consistency config", build)


@given(spec=data_files(), mode=st.sampled_from(["generate", "logprob", "bogus"]),
       orders=st.sampled_from(["both", "random", "given", "nope"]), invalid=policies)
@settings(max_examples=budget(6))
def test_judge(tiny_judge, spec, mode, orders, invalid):
    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "judge"
        return (["judge", "--model", tiny_judge, "--template", "skywork-critic", "--data", src, "--out", out, "--mode", mode,
                 "--orders", orders, "--invalid", invalid, "--limit", "1", "--max-new-tokens", "2"], [src], out)
    check("judge", build)


@given(results=st.lists(st.one_of(st.dictionaries(st.sampled_from(["model", "subsets", "sections", "score", "alpacaeval-easy"]),
                                                  st.one_of(st.floats(-2, 200), st.text(max_size=4), st.none(),
                                                            st.dictionaries(st.text(max_size=3), st.floats(-1, 2)))),
                                  st.binary(max_size=20)), min_size=1, max_size=3))
def test_eval_compare(results):
    import json

    def build(folder):
        paths = []
        for i, r in enumerate(results):
            p = folder / f"r{i}.json"
            p.write_bytes(r if isinstance(r, bytes) else json.dumps(r).encode())
            paths.append(p)
        out = folder / "board.md"
        return ["eval", "--compare", *paths, "--out", out], paths, out
    check("eval --compare", build)


# -- the server's request bodies -------------------------------------------------------------

@pytest.fixture(scope="module")
def length_server():
    from rewardkit.models.registry import load_scorer
    from rewardkit.serve.app import build_app
    from rewardkit.serve.config import ServeConfig
    from tests.serve.conftest import running

    with running(build_app(load_scorer("length"), ServeConfig(model="length", max_items=8, max_chars=500))) as url:
        yield url


@given(path=st.sampled_from(["/get_reward", "/v1/score", "/v1/judge"]),
       body=st.one_of(st.binary(max_size=40), st.builds(lambda v: __import__("json").dumps(v).encode(),
                                                          st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30)),
                                                                       lambda inner: st.one_of(
                                                                           st.lists(inner, max_size=10),
                                                                           st.dictionaries(st.sampled_from(["query", "prompts", "labels",
                                                                                                            "conversations", "pairs", "role",
                                                                                                            "content", "prompt", "first",
                                                                                                            "second"]), inner, max_size=4)),
                                                                       max_leaves=12))))
def test_server_bodies(length_server, path, body):
    """Any body gets an answer, never a 500 or a traceback: 200, or 4xx with a detail."""
    import json
    import urllib.error
    import urllib.request

    CASES[f"serve {path}"] = CASES.get(f"serve {path}", 0) + 1
    req = urllib.request.Request(length_server + path, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    assert status in (200, 400, 413, 422), (status, text)
    assert "Traceback" not in text
    json.loads(text)


@given(spec=data_files(), depth=ints, min_leaf=ints, invalid=st.sampled_from(["error", "skip", "keep"]))
@settings(max_examples=budget(8))
def test_train_tree(spec, depth, min_leaf, invalid):
    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "tree"
        return (["train", "tree", "--data", src, "--out", out, "--max-depth", depth, "--min-leaf", min_leaf, "--invalid", invalid],
                [src], out)
    check("train tree", build)


@given(spec=data_files(), positive=st.sampled_from(["unknown", "synth", "", "r0"]), c=st.sampled_from(["10", "0", "-1", "x", "1e9"]),
       invalid=st.sampled_from(["error", "skip", "keep"]))
@settings(max_examples=budget(8))
def test_train_gate(tiny_bert, spec, positive, c, invalid):
    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "gate"
        return (["train", "gate", "--data", src, "--positive", positive, "--encoder", tiny_bert, "--c", c, "--out", out,
                 "--invalid", invalid], [src], out)
    check("train gate", build)


@given(spec=data_files(), n=st.one_of(st.none(), ints), model=st.sampled_from(["length", "shortest", "random:x"]))
def test_rerank(spec, n, model):
    def build(folder):
        src = _write(folder, "candidates", spec)
        out = folder / "o" / "best.jsonl"
        extra = ["--n", n] if n is not None else []
        return ["rerank", "--model", model, "--data", src, "--out", out, *extra], [src], out.parent
    check("rerank", build)


@given(spec=data_files(), depth=ints, invalid=st.sampled_from(["error", "skip", "keep"]))
@settings(max_examples=budget(6))
def test_explain(spec, depth, invalid):
    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "explain"
        return (["explain", "--judge", "length", "--data", src, "--out", out, "--max-depth", depth, "--min-leaf", "1",
                 "--invalid", invalid], [src], out)
    check("explain", build)


@given(spec=data_files(), pooling=st.sampled_from(["auto", "mean", "last", "bogus"]), invalid=st.sampled_from(["error", "skip", "keep"]))
@settings(max_examples=budget(6))
def test_train_attributes(tiny_bert, spec, pooling, invalid):
    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "attrs"
        return (["train", "attributes", "--model", tiny_bert, "--data", src, "--out", out, "--pooling", pooling,
                 "--max-length", "32", "--invalid", invalid], [src], out)
    check("train attributes", build)


@given(spec=data_files(), dev=st.sampled_from(["0.2", "0", "-1", "0.95", "x"]), invalid=st.sampled_from(["error", "skip", "keep"]))
@settings(max_examples=budget(10))
def test_data_split(spec, dev, invalid):
    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "split"
        return ["data", "split", "--data", src, "--out", out, "--dev", dev, "--invalid", invalid], [src], out
    check("data split", build)


@given(spec=data_files(), fraction=st.sampled_from(["1", "0.5", "2", "-0.1"]), low=st.sampled_from(["0", "0.1", "0.9"]), invalid=policies,
       split_dev=st.sampled_from([None, "0.25", "0", "1", "abc"]))
@settings(max_examples=budget(10))
def test_curate_neighbors(spec, fraction, low, invalid, split_dev):
    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "nb"
        split = ["--split-dev", split_dev] if split_dev is not None else []
        return (["curate", "neighbors", "--data", src, "--out", out, "--fraction", fraction, "--min-similarity", low,
                 "--stats-tokenizer", "words", "--invalid", invalid, *split], [src], out)
    check("curate neighbors", build)


@given(spec=data_files(), orders=st.sampled_from(["balanced", "both", "bogus"]), synthetic=st.sampled_from(["0", "0.5", "2"]),
       invalid=st.sampled_from(["error", "skip", "keep"]))
@settings(max_examples=budget(6))
def test_train_judge_sft(tiny_judge, spec, orders, synthetic, invalid):
    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "judge"
        return (["train", "judge", "--model", tiny_judge, "--data", src, "--out", out, "--orders", orders, "--synthetic", synthetic,
                 "--max-steps", "1", "--batch-size", "2", "--max-length", "256", "--no-bf16", "--invalid", invalid], [src], out)
    check("train judge", build)


@given(spec=data_files(), stage=st.sampled_from(["sample", "pairs", "bogus"]), invalid=st.sampled_from(["error", "skip", "keep"]))
@settings(max_examples=budget(6))
def test_train_judge_conj_stages(tiny_judge, spec, stage, invalid):
    def build(folder):
        src = _write(folder, "pairs", spec)
        out = folder / "conj"
        return (["train", "judge", "--method", "con-j", "--model", tiny_judge, "--data", src, "--out", out, "--stage", stage,
                 "--samples", "1", "--max-new-tokens", "2", "--limit", "2", "--no-bf16", "--invalid", invalid], [src], out)
    check("train judge con-j", build)
