"""`rewardkit train`: train reward models."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from rewardkit.cli.options import AttnOption, DtypeOption, RemoteCodeOption

app = typer.Typer(help="Train reward models, attribute heads, decision trees and generative judges.", no_args_is_help=True)


def _d(name: str, config: str = "RMTrainConfig") -> str:
    """The default of a training config's field, for --help (flags default to None so that a
    --config file can set them; the dataclass holds the real defaults)."""
    from dataclasses import MISSING, fields

    from rewardkit.train import config as configs

    f = next(f for f in fields(getattr(configs, config)) if f.name == name)
    value = f.default if f.default is not MISSING else None
    return f" (default: {value})" if value not in (None, "", []) else ""


@app.command("rm")
def train_rm(
    model: Optional[str] = typer.Option(None, help="Backbone: minilm, smollm2, a folder or a hub id." + _d("model")),
    data: Optional[list[str]] = typer.Option(None, help="Training files (several allowed). Required, here or in --config."),
    out: str = typer.Option(..., help="Output folder for the model (checkpoints go to OUT/checkpoints while training)."),
    loss: Optional[str] = typer.Option(None, help="bt, bt-temperature, focal, focal-penalty, hinge, margin-mse, cross-entropy, tempered-log." + _d("loss")),
    max_steps: Optional[int] = typer.Option(None, min=1, help="Optimiser steps (overrides --epochs)."),
    epochs: Optional[float] = typer.Option(None, min=0.0, help="Passes over the data." + _d("epochs")),
    eval_data: Optional[list[str]] = typer.Option(None, help="Held-out files for accuracy and margin."),
    exclude_source: Optional[list[str]] = typer.Option(None, "--exclude-source", help="Leave the training pairs of this source out "
                                                        "(repeatable; counted in the manifest; eval data is not filtered)."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file with any RMTrainConfig fields; flags win."),
    bf16: Optional[bool] = typer.Option(None, "--bf16/--no-bf16", help="bf16 autocast (default: when supported)."),
    batch_size: Optional[int] = typer.Option(None, min=1, help="Pairs per device per step." + _d("batch_size")),
    grad_accum: Optional[int] = typer.Option(None, min=1, help="Gradient accumulation steps." + _d("grad_accum")),
    length_buckets: Optional[int] = typer.Option(None, min=1, help="Forward calls per step, sequences bucketed by length (less padding)." + _d("length_buckets")),
    lr: Optional[float] = typer.Option(None, "--lr", min=0.0, help="Learning rate." + _d("learning_rate")),
    max_length: Optional[int] = typer.Option(None, min=8, help="Tokens per conversation (longer: prompt start cut first)." + _d("max_length")),
    template: Optional[str] = typer.Option(None, help="auto, chat or plain." + _d("template")),
    seed: Optional[int] = typer.Option(None, help="Seed for initialisation and data order." + _d("seed")),
    save_steps: Optional[int] = typer.Option(None, min=1, help="Checkpoint every N steps." + _d("save_steps")),
    eval_steps: Optional[int] = typer.Option(None, min=1, help="Evaluate every N steps (default: at the end)."),
    logging_steps: Optional[int] = typer.Option(None, min=1, help="Log every N steps." + _d("logging_steps")),
    use_margin: Optional[bool] = typer.Option(None, "--use-margin/--no-margin", help="Use each pair's margin in the loss."),
    center_rewards: Optional[float] = typer.Option(None, "--center-rewards", help="Reward-centering coefficient (TRL's center_rewards_coefficient)."),
    length_penalty: Optional[float] = typer.Option(None, "--length-penalty", min=0.0, help="Weight of the squared batch correlation of reward margins with log length ratios (length debiasing)."),
    length_head: Optional[float] = typer.Option(None, "--length-head", min=0.0, help="Train a second, length output (ODIN) with this weight on "
                                                "its terms; the saved model keeps the reward output only."),
    freeze_layers: Optional[int] = typer.Option(None, min=0, help="Freeze the embeddings and the first N transformer layers "
                                                "(faster steps, less to train)." + _d("freeze_layers")),
    normalize: Optional[bool] = typer.Option(None, "--normalize/--no-normalize", help="Store reward mean/std in the model config."),
    average_checkpoints: Optional[int] = typer.Option(None, min=2, help="The final model is the mean of the final weights and the "
                                                      "last K-1 checkpoints' (needs --save-total-limit >= K)."),
    save_total_limit: Optional[int] = typer.Option(None, min=1, help="Checkpoints kept while training." + _d("save_total_limit")),
    invalid: Optional[str] = typer.Option(None, help="error or skip flawed pairs (counted, printed and in the manifest)." + _d("invalid")),
    attn_implementation: Optional[str] = typer.Option(None, help="eager, sdpa, ... (Gemma-2 RMs need eager)."),
    dtype: Optional[str] = typer.Option(None, "--dtype", help="Weights: auto or float32 (fp32 master weights, bf16 autocast per --bf16), "
                                        "or bfloat16 (bf16 weights: half the memory)." + _d("dtype")),
    trust_remote_code: Optional[bool] = typer.Option(None, "--trust-remote-code", help="Allow a hub model's own Python code to run."),
    resume: Optional[bool] = typer.Option(None, "--resume/--no-resume", help="Continue OUT's unfinished run even with other settings / never continue it. "
                                          "Default: continue only with the same settings and data, else refuse naming what differs."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Remove an earlier run in OUT (model, checkpoints, manifest) and start over."),
    keep_checkpoints: bool = typer.Option(False, "--keep-checkpoints", help="Keep OUT/checkpoints (optimizer state, ~5x the model's size) after the run."),
    temperature: Optional[float] = typer.Option(None, help="bt-temperature: T."),
    gamma: Optional[float] = typer.Option(None, help="focal, focal-penalty: gamma."),
    hinge_margin: Optional[float] = typer.Option(None, help="hinge: margin."),
    tempered_t: Optional[float] = typer.Option(None, help="tempered-log: t in (0, 1]."),
) -> None:
    """Train a Bradley-Terry-style sequence-classifier reward model (one forward pass per pair batch)."""
    from rewardkit.train.config import RMTrainConfig
    from transformers.utils import logging as hf_logging

    from rewardkit.outputs import output_folder
    from rewardkit.train.rm import train_reward_model

    hf_logging.disable_progress_bar()
    loss_params = {k: v for k, v in (("temperature", temperature), ("gamma", gamma), ("hinge_margin", hinge_margin), ("tempered_t", tempered_t)) if v is not None}
    overrides = {
        "model": model, "data": data, "out": out, "loss": loss, "max_steps": max_steps, "epochs": epochs,
        "eval_data": eval_data, "exclude_sources": exclude_source or None, "bf16": bf16, "batch_size": batch_size, "length_buckets": length_buckets, "grad_accum": grad_accum, "learning_rate": lr,
        "max_length": max_length, "template": template, "seed": seed, "save_steps": save_steps, "eval_steps": eval_steps,
        "logging_steps": logging_steps, "use_margin": use_margin, "center_rewards_coefficient": center_rewards, "length_penalty": length_penalty,
        "length_head": length_head,
        "normalize": normalize, "freeze_layers": freeze_layers, "average_checkpoints": average_checkpoints, "save_total_limit": save_total_limit,
        "invalid": invalid, "attn_implementation": attn_implementation, "resume": resume,
        "overwrite": overwrite or None, "keep_checkpoints": keep_checkpoints or None, "dtype": dtype,
        "trust_remote_code": trust_remote_code,
        "loss_params": loss_params or None,
    }
    cfg = RMTrainConfig.from_sources(config, overrides)
    with output_folder(cfg.out, [*cfg.data, *cfg.eval_data], writes=("config.json", "model.safetensors", "manifest.json")):
        summary = train_reward_model(cfg)
    if summary.get("already_finished"):
        print(f"{cfg.out} already holds this run, finished with the same settings and data: nothing to train "
              "(--overwrite trains it again)", file=sys.stderr)
        return
    ev = summary["eval"]
    tail = f"; held-out accuracy {ev['accuracy']:.3f}, mean margin {ev['margin']:.3f}" if ev else ""
    print(f"trained {summary['steps']} steps in {summary['train_seconds']:.0f} s -> {cfg.out}{tail}", file=sys.stderr)


@app.command("attributes")
def train_attributes(
    model: str = typer.Option(..., "--model", help="Frozen backbone: minilm, smollm2, a folder trained by `train rm`, or a hub id."),
    data: list[str] = typer.Option(..., help="Ratings files (rewardkit, HelpSteer2, UltraFeedback rows) and/or preference pairs "
                                             "labelled with an attribute (row field 'attribute', else the source's default)."),
    out: str = typer.Option(..., help="Folder: attributes.json, heads.safetensors, embeddings.sqlite, report.json, manifest.json."),
    attribute: Optional[list[str]] = typer.Option(None, help="Fit only these attributes (repeatable; default: all in the data)."),
    pooling: str = typer.Option("auto", help="auto (decoders: last token, encoders: mean), last, mean or first."),
    max_length: Optional[int] = typer.Option(None, min=8, help="Tokens per text (default: the backbone's, 512)."),
    batch_size: int = typer.Option(32, min=1, help="Sequences per forward pass."),
    dev: float = typer.Option(0.2, min=0.0, max=0.9, help="Share of prompts held out to choose each head's regularisation."),
    seed: int = typer.Option(0, help="Seed of the development split."),
    cache: Optional[Path] = typer.Option(None, help="Embedding cache (SQLite; default OUT/embeddings.sqlite): a rerun embeds only new texts."),
    dtype: DtypeOption = "auto",
    attn_implementation: AttnOption = None,
    trust_remote_code: RemoteCodeOption = False,
    invalid: str = typer.Option("error", help="error or skip flawed rows."),
) -> None:
    """Fit one linear head per attribute on a frozen backbone's embeddings (ArmoRM-style attribute rewards)."""
    import json

    from rewardkit.cli.options import choice, invalid_policy, load_options
    from rewardkit.data.containers import write_text_atomic
    from rewardkit.manifest import build_manifest, write_manifest
    from rewardkit.models.classifier import POOLINGS
    from rewardkit.outputs import output_folder
    from rewardkit.train import attributes as fit

    invalid_policy(invalid, ("error", "skip"))
    choice(pooling, ("auto", *POOLINGS), "--pooling")
    options = load_options(dtype, None, attn_implementation, trust_remote_code, None)
    found = fit.read_attribute_data(data, invalid=invalid, only=attribute)
    for report in (found.rating_report, found.pair_report):
        if report.files:
            print(report.summary(), file=sys.stderr)
    keep = ["embeddings.sqlite"] if cache is None else []
    with output_folder(out, data, writes=("attributes.json", "heads.safetensors", "report.json", "manifest.json", *keep)) as folder:
        summary = fit.train_attributes(model, found, folder, pooling=pooling, max_length=max_length, batch_size=batch_size,
                                       cache=cache, dev=dev, seed=seed, dtype=options.dtype, attn_implementation=attn_implementation,
                                       trust_remote_code=trust_remote_code)
        write_text_atomic(folder / "report.json", json.dumps(summary, indent=2) + "\n")
        config = {"model": model, "data": data, "attribute": attribute, "pooling": pooling, "max_length": max_length,
                  "batch_size": batch_size, "dev": dev, "seed": seed, "dtype": dtype, "invalid": invalid}
        reads = {"ratings": found.rating_report.to_dict(), "pairs": found.pair_report.to_dict()}
        write_manifest(folder, build_manifest("train attributes", config, data, {"read": reads, **summary}))
    e = summary["embedding"]
    print(f"embedded {e['distinct']:,} distinct texts ({e['cached']:,} cached) in {summary['embed_seconds']:.1f} s; "
          f"heads fitted in {summary['fit_seconds']:.1f} s", file=sys.stderr)
    print("| attribute | head | examples | development metric |")
    print("|---|---|---:|---:|")
    for name, h in summary["heads"].items():
        metric = (f"accuracy {100 * h['dev_accuracy']:.1f}%" if h.get("dev_accuracy") is not None else
                  f"pearson {h['dev_pearson']:.3f}" if h.get("dev_pearson") is not None else "-")
        print(f"| {name} | {h['kind']} | {h['examples']:,} | {metric} |")
    print(f"-> {out}", file=sys.stderr)


@app.command("tree")
def train_tree(
    data: list[str] = typer.Option(..., help="Preference pairs whose human labels the tree learns (chosen beats rejected)."),
    out: str = typer.Option(..., help="Folder: tree.json, tree.txt, tree.png, linear.json, report.json, manifest.json "
                                      "(and attributes/ with --attributes)."),
    attributes: Optional[Path] = typer.Option(None, help="Attribute heads (`rewardkit train attributes`): their rewards join the "
                                                         "measured features; copied into OUT/attributes."),
    max_depth: int = typer.Option(3, min=1, max=12, help="Tree depth (3-4 keeps it readable)."),
    min_leaf: int = typer.Option(20, min=1, help="Training rows per leaf at least (both orders count)."),
    class_weight: Optional[str] = typer.Option(None, help="balanced, or none."),
    held_out: float = typer.Option(0.2, min=0.0, max=0.9, help="Share of prompts held out for the reported accuracy."),
    seed: int = typer.Option(0, help="Seed of the shown orders and the held-out split."),
    invalid: str = typer.Option("error", help="error or skip flawed pairs."),
) -> None:
    """Fit a decision tree that decides which response wins from attribute-reward and measured feature differences."""
    import json

    from rewardkit.cli.options import choice, invalid_policy, read_input_pairs
    from rewardkit.data.containers import write_text_atomic
    from rewardkit.manifest import build_manifest, write_manifest
    from rewardkit.outputs import output_folder
    from rewardkit.train.tree import attribute_features, fit_decisions, plot_tree

    invalid_policy(invalid, ("error", "skip"))
    choice(class_weight, ("balanced",), "--class-weight")
    pairs, report = read_input_pairs(data, invalid)
    features = attribute_features(attributes)
    with output_folder(out, data, writes=("tree.json", "linear.json", "report.json", "manifest.json")) as folder:
        fit = fit_decisions(pairs, [True] * len(pairs), max_depth=max_depth, min_samples_leaf=min_leaf, class_weight=class_weight,
                            held_out=held_out, seed=seed, features=features)
        fit.tree.save(folder / "tree.json")
        if fit.linear:
            fit.linear.save(folder / "linear.json")
        if features.attributes is not None:
            features.attributes.save(folder / "attributes")
        write_text_atomic(folder / "tree.txt", fit.tree.text())
        write_text_atomic(folder / "report.json", json.dumps(fit.report, indent=2) + "\n")
        plot_tree(fit.tree, folder / "tree.png", f"human labels of {', '.join(Path(d).name for d in data)}")
        config = {"data": data, "attributes": str(attributes) if attributes else None, "max_depth": max_depth, "min_leaf": min_leaf,
                  "class_weight": class_weight, "held_out": held_out, "seed": seed, "invalid": invalid}
        write_manifest(folder, build_manifest("train tree", config, data, {"read": report.to_dict(), **fit.report}))
    print(fit.tree.text(), end="")
    r = fit.report
    held = f"{100 * r['held_out_accuracy']:.1f}%" if r["held_out_accuracy"] is not None else "-"
    base = f"{100 * r['longer_wins_held_out']:.1f}%" if r["longer_wins_held_out"] is not None else "-"
    linear = f"{100 * r['linear_held_out_accuracy']:.1f}%" if r["linear_held_out_accuracy"] is not None else "-"
    print(f"held-out accuracy {held} ({r['held_out_pairs']:,} pairs), linear combination {linear}, longer wins {base}; importances "
          + ", ".join(f"{k} {v:.2f}" for k, v in r["importances"].items()) + f" -> {out}", file=sys.stderr)


@app.command("gate")
def train_gate(
    data: list[str] = typer.Option(..., help="Preference pairs whose prompts the gate learns from (e.g. the training split)."),
    positive: list[str] = typer.Option(..., help="A source, subset or meta.family whose prompts are safety-sensitive (requests to "
                                                 "refuse), e.g. synth-safety-refuse; repeatable. Every other prompt is a negative."),
    out: str = typer.Option(..., help="Folder: gate.json, report.json, manifest.json."),
    dev: Optional[list[str]] = typer.Option(None, help="Development pairs: the report gives the gate's AUC and mean probability there."),
    encoder: str = typer.Option("minilm", help="Sentence encoder of the prompts (minilm, or a BERT-style folder or hub id)."),
    c: float = typer.Option(10.0, "--c", min=1e-6, help="Inverse regularisation strength of the logistic regression."),
    dtype: DtypeOption = "auto",
    invalid: str = typer.Option("error", help="error or skip flawed pairs."),
) -> None:
    """Fit a prompt gate: P(a prompt is a request to refuse), for `gated:GATE:MEMBER` ensemble members."""
    import json

    from rewardkit.cli.options import invalid_policy, load_options, read_input_pairs
    from rewardkit.console import progress_for
    from rewardkit.data.containers import write_text_atomic
    from rewardkit.manifest import build_manifest, write_manifest
    from rewardkit.outputs import output_folder
    from rewardkit.train.gate import train_gate as fit

    invalid_policy(invalid, ("error", "skip"))
    options = load_options(dtype, None, None, False, None)
    pairs, report = read_input_pairs(data, invalid)
    dev_pairs = read_input_pairs(dev, invalid)[0] if dev else []
    with output_folder(out, [*data, *(dev or [])], writes=("gate.json", "report.json", "manifest.json")) as folder:
        with progress_for("embedding prompts") as advance:
            gate, summary = fit(pairs, positive, dev=dev_pairs, encoder=encoder, c=c, on_batch=advance, dtype=options.dtype)
        gate.save(folder)
        write_text_atomic(folder / "report.json", json.dumps(summary, indent=2) + "\n")
        config = {"data": data, "positive": positive, "dev": dev, "encoder": encoder, "c": c, "dtype": dtype, "invalid": invalid}
        write_manifest(folder, build_manifest("train gate", config, [*data, *(dev or [])], {"read": report.to_dict(), **summary}))
    for split in ("train", "dev"):
        if split in summary:
            r = summary[split]
            auc = f"{r['auc']:.3f}" if r["auc"] is not None else "-"
            print(f"{split}: {r['prompts']:,} prompts, {r['sensitive']:,} sensitive; AUC {auc}, accuracy {100 * r['accuracy']:.1f}%")
    print(f"-> {out}", file=sys.stderr)


def _j(name: str) -> str:
    return _d(name, "JudgeTrainConfig")


@app.command("judge")
def train_judge(
    method: Optional[str] = typer.Option(None, help="sft: fine-tune on the template's verdicts (the Skywork-Critic recipe); "
                                         "con-j: sample, hint, contrastive pairs, DPO." + _j("method")),
    model: Optional[str] = typer.Option(None, help="Causal LM: smollm2, a folder or a hub id." + _j("model")),
    template: Optional[str] = typer.Option(None, help="Judge template (built-in name or file); use the result as judge:TEMPLATE:OUT." + _j("template")),
    data: Optional[list[str]] = typer.Option(None, help="Preference pairs (several allowed). Required, here or in --config."),
    out: str = typer.Option(..., help="Output folder: a plain causal-LM folder plus manifest.json."),
    eval_data: Optional[list[str]] = typer.Option(None, help="Held-out pairs (both orders): the loss on their verdicts is logged."),
    orders: Optional[str] = typer.Option(None, help="balanced (one order per pair, chosen first for half of them) or both." + _j("orders")),
    synthetic: Optional[float] = typer.Option(None, min=0.0, max=1.0, help="Mix in subtle-error pairs from `data synth`, as a fraction of the pairs." + _j("synthetic")),
    stage: Optional[str] = typer.Option(None, help="con-j: all, or one stage: sample, hint, pairs, dpo (each reads the previous one's file)." + _j("stage")),
    samples: Optional[int] = typer.Option(None, min=1, help="con-j: judgments sampled per pair and answer order." + _j("samples")),
    temperature: Optional[float] = typer.Option(None, min=0.0, help="con-j: sampling temperature." + _j("temperature")),
    max_new_tokens: Optional[int] = typer.Option(None, min=1, help="con-j: tokens per sampled judgment (default: the template's)."),
    sampler: Optional[str] = typer.Option(None, help="con-j: backend that samples, e.g. openai:MODEL@URL for vLLM (default: --model, transformers)."),
    per_prompt: Optional[int] = typer.Option(None, min=1, help="con-j: judgment pairs per preference pair at most, both orders." + _j("per_prompt")),
    unparsed_wrong: Optional[bool] = typer.Option(None, "--unparsed-wrong/--no-unparsed-wrong", help="con-j: a judgment without a verdict "
                                                  "is a wrong one (default), or is dropped (Con-J's filter)."),
    beta: Optional[float] = typer.Option(None, min=0.0, help="con-j: DPO beta." + _j("beta")),
    sft_weight: Optional[float] = typer.Option(None, min=0.0, help="con-j: weight of the SFT term on the right judgment." + _j("sft_weight")),
    limit: Optional[int] = typer.Option(None, min=1, help="Use only the first N pairs (quick runs)."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file with any JudgeTrainConfig fields; flags win."),
    max_steps: Optional[int] = typer.Option(None, min=1, help="Optimiser steps (overrides --epochs)."),
    epochs: Optional[float] = typer.Option(None, min=0.0, help="Passes over the examples." + _j("epochs")),
    batch_size: Optional[int] = typer.Option(None, min=1, help="Examples per device per step." + _j("batch_size")),
    grad_accum: Optional[int] = typer.Option(None, min=1, help="Gradient accumulation steps." + _j("grad_accum")),
    lr: Optional[float] = typer.Option(None, "--lr", min=0.0, help="Learning rate (default: 2e-5 for sft, Con-J's 5e-7 for con-j)."),
    max_length: Optional[int] = typer.Option(None, min=16, help="Tokens per example (longer: prompt start cut, as at inference)." + _j("max_length")),
    seed: Optional[int] = typer.Option(None, help="Seed for initialisation, orders and data order." + _j("seed")),
    save_steps: Optional[int] = typer.Option(None, min=1, help="Checkpoint every N steps." + _j("save_steps")),
    logging_steps: Optional[int] = typer.Option(None, min=1, help="Log every N steps." + _j("logging_steps")),
    bf16: Optional[bool] = typer.Option(None, "--bf16/--no-bf16", help="bf16 autocast (default: when supported)."),
    dtype: Optional[str] = typer.Option(None, "--dtype", help="Weights: auto or float32 (fp32 master weights), or bfloat16." + _j("dtype")),
    attn_implementation: Optional[str] = typer.Option(None, help="eager, sdpa, ..."),
    gradient_checkpointing: Optional[bool] = typer.Option(None, "--gradient-checkpointing", help="Trade compute for memory."),
    freeze_layers: Optional[int] = typer.Option(None, min=0, help="Freeze the embeddings and the first N transformer layers "
                                                "(with tied embeddings, the output layer too)." + _j("freeze_layers")),
    trust_remote_code: Optional[bool] = typer.Option(None, "--trust-remote-code", help="Allow a hub model's own Python code to run."),
    invalid: Optional[str] = typer.Option(None, help="error or skip flawed pairs." + _j("invalid")),
    resume: Optional[bool] = typer.Option(None, "--resume/--no-resume", help="As for `train rm`: continue OUT's unfinished run even with other settings / never."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Remove an earlier run in OUT and start over."),
    keep_checkpoints: bool = typer.Option(False, "--keep-checkpoints", help="Keep OUT/checkpoints after the run."),
) -> None:
    """Train a pairwise generative judge that answers in its template's verdict format."""
    from transformers.utils import logging as hf_logging

    from rewardkit.outputs import output_folder
    from rewardkit.train.config import JudgeTrainConfig
    from rewardkit.train.judge import train_judge as run

    hf_logging.disable_progress_bar()
    overrides = {
        "method": method, "model": model, "template": template, "data": data, "out": out, "eval_data": eval_data, "orders": orders,
        "synthetic": synthetic, "max_steps": max_steps, "epochs": epochs, "batch_size": batch_size, "grad_accum": grad_accum,
        "learning_rate": lr, "max_length": max_length, "seed": seed, "save_steps": save_steps, "logging_steps": logging_steps,
        "bf16": bf16, "dtype": dtype, "attn_implementation": attn_implementation, "gradient_checkpointing": gradient_checkpointing,
        "trust_remote_code": trust_remote_code, "freeze_layers": freeze_layers, "invalid": invalid, "resume": resume, "overwrite": overwrite or None,
        "keep_checkpoints": keep_checkpoints or None, "stage": stage, "samples": samples, "temperature": temperature,
        "max_new_tokens": max_new_tokens, "sampler": sampler, "per_prompt": per_prompt, "unparsed_wrong": unparsed_wrong, "beta": beta, "sft_weight": sft_weight,
        "limit": limit,
    }
    cfg = JudgeTrainConfig.from_sources(config, overrides)
    with output_folder(cfg.out, [*cfg.data, *cfg.eval_data], writes=("config.json", "model.safetensors", "manifest.json")):
        summary = run(cfg)
    if cfg.method == "con-j":
        _print_conj(summary, cfg)
        return
    if summary.get("already_finished"):
        print(f"{cfg.out} already holds this run, finished with the same settings and data: nothing to train "
              "(--overwrite trains it again)", file=sys.stderr)
        return
    tail = f"; held-out verdict loss {summary['eval_loss']:.4f}" if summary.get("eval_loss") is not None else ""
    print(f"trained {summary['steps']} steps on {summary['examples']:,} examples ({summary['first_shown_wins']:,} with the first "
          f"answer right, {summary['second_shown_wins']:,} the second) in {summary['train_seconds']:.0f} s -> {cfg.out}{tail}",
          file=sys.stderr)
    print(f"evaluate: rewardkit eval --model judge:{cfg.template}:{cfg.out} --data PAIRS --out DIR", file=sys.stderr)


def _print_conj(summary: dict, cfg) -> None:  # noqa: ANN001
    table = summary.get("pairs") or summary.get("sample")
    if table:
        rate = "-" if table["parse_rate"] is None else f"{100 * table['parse_rate']:.1f}%"
        print("| pairs in | judgments sampled | hinted | parse rate | positives | negatives | pairs built |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        built = "-" if table["pairs_built"] is None else f"{table['pairs_built']:,}"  # not built before the pairs stage
        print(f"| {table['pairs_in']:,} | {table['judgments']:,} | {table['hinted']:,} | {rate} | {table['positives']:,} | "
              f"{table['negatives']:,} | {built} |")
    if "hint" in summary:
        h = summary["hint"]
        print(f"hint: {h['groups_hinted']:,} groups without a right-and-wrong mix, {h['judgments']:,} hinted judgments, "
              f"{h['leaked']:,} dropped for repeating the hint", file=sys.stderr)
    if "dpo" in summary:
        d = summary["dpo"]
        print(f"DPO: {d['steps']} steps on {d['dpo_pairs']:,} judgment pairs in {d['train_seconds']:.0f} s -> {cfg.out}", file=sys.stderr)
        print(f"evaluate: rewardkit eval --model judge:{cfg.template}:{cfg.out} --data PAIRS --out DIR", file=sys.stderr)
    else:
        print(f"stages {', '.join(summary['stages'])} -> {cfg.out}/stages", file=sys.stderr)
