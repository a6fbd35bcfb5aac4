#!/usr/bin/env bash
# rewardkit's CPU reward-model recipe (issue 13), from the raw pool in ../shared/data to an
# rb-open report, in one command:
#
#   bash scripts/quality_recipe.sh [TRAIN_CONFIG]
#
# TRAIN_CONFIG defaults to configs/rm-quality.yaml. Everything goes under runs/quality (the path
# configs/rm-quality-curate.yaml reads the synthetic families from). Steps, each skipped when its
# output exists (the curated data and the split only when they came from the same curation
# config), so a rerun after a stop goes on where it stopped (delete runs/quality to start over):
#   1. synthetic families  (rewardkit data synth, 6,000 pairs, seed 0, into runs/quality/synth-6000)
#   2. curation            (configs/rm-quality-curate.yaml: hh-rlhf at weight 2, decontaminate,
#                           dedup, balance, neighbour-instruction pairs)
#   3. development split   (5% of each source's prompts; a prompt on one side in every source;
#                           the 5% is also the curation config's neighbors split_dev)
#   4. training            (TRAIN_CONFIG into runs/quality/NAME; `train rm` reuses a finished run
#                           with the same settings and resumes an interrupted one)
#   5. evaluation on rb-open, with the baselines, into runs/quality/NAME-eval
#   6. the prompt gate     (rewardkit train gate on the training split's prompts: hh-rlhf
#                           harmless-base and the synthetic refusal family are the requests to
#                           refuse; seconds), into runs/quality/gate
#   7. the recipe's ensemble on rb-open: the model plus SmolLM2's PMI and MiniLM's relevance
#                           (cosine of instruction and response), both gated by the prompt gate
#                           (weights chosen on the dev split by bench/lm_weight.py; ~24 minutes,
#                           mostly SmolLM2's scoring), into runs/quality/NAME-ensemble-eval
# Measured times on the 2-core CPU are in the README ("The quality recipe").
# REWARDKIT_RECIPE_DRY_RUN=1 prints the commands instead of running them.
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIG=${1:-configs/rm-quality.yaml}
OUT=runs/quality
RB_OPEN=../shared/data/eval/rb-open.jsonl
RK=(.venv/bin/rewardkit)
if [ -n "${REWARDKIT_RECIPE_DRY_RUN:-}" ]; then RK=(echo rewardkit); fi

if [ ! -f "$CONFIG" ]; then
  echo "quality_recipe: no training config at $CONFIG (give a YAML file such as configs/rm-quality.yaml)" >&2
  exit 2
fi
if [ ! -f "$RB_OPEN" ]; then
  echo "quality_recipe: $RB_OPEN is missing (the recipe reads its raw pool and benchmark from ../shared/data)" >&2
  exit 2
fi
SYNTH=$OUT/synth-6000  # the path configs/rm-quality-curate.yaml reads
if [ ! -f "$SYNTH/train.jsonl" ]; then
  "${RK[@]}" data synth --out "$SYNTH" --n 6000 --seed 0
fi
# curated data made from another version of the curation config is made again, and so is the
# dev split carved from it (config.sha256 records the config the data came from)
CURATE=configs/rm-quality-curate.yaml
RESPLIT=
if [ ! -f "$OUT/curated/curated.jsonl" ] || ! sha256sum --check --status "$OUT/curated/config.sha256" 2>/dev/null; then
  "${RK[@]}" curate "$CURATE" --out "$OUT/curated"
  if [ -z "${REWARDKIT_RECIPE_DRY_RUN:-}" ]; then
    sha256sum "$CURATE" > "$OUT/curated/config.sha256"
  fi
  RESPLIT=1
fi
if [ -n "$RESPLIT" ] || [ ! -f "$OUT/split/train.jsonl" ]; then
  # 0.05 (and the default seed) must match split_dev in $CURATE: neighbours are drawn within each side
  "${RK[@]}" data split --data "$OUT/curated/curated.jsonl" --out "$OUT/split" --dev 0.05
fi
NAME=$(basename "$CONFIG" .yaml)
"${RK[@]}" train rm --config "$CONFIG" --data "$OUT/split/train.jsonl" --eval-data "$OUT/split/dev.jsonl" --out "$OUT/$NAME"
"${RK[@]}" eval --model "$OUT/$NAME" --data "$RB_OPEN" --out "$OUT/$NAME-eval"
if [ -n "$RESPLIT" ] || [ ! -f "$OUT/gate/gate.json" ]; then
  # a gate fit on another split's prompts is fit again (train gate replaces the folder's files)
  "${RK[@]}" train gate --data "$OUT/split/train.jsonl" --dev "$OUT/split/dev.jsonl" \
    --positive harmless-base-test --positive synth-safety-refuse --out "$OUT/gate"
fi
# the weights, in units of the model's standardized reward (configs/rm-quality.yaml: normalize): the pick
# of `python bench/lm_weight.py --rm MODEL --per-source 100000 --neighbors runs/quality/split/dev-neighbors.jsonl
# --gate runs/quality/gate --member relevance --gated-only` on the model before normalization (1.5 / each
# member's spread on the full dev split and the dev neighbour pairs, bench/results/lm_weight_odin.json:
# pmi@0.0518, relevance@5.35 beside the raw reward), divided by the end-to-end model's dev std, 1.558
# (2026-12-07): the same reward, rb-open 66.1. The rule run again on the normalized model picks
# pmi-mean@0.592, relevance@3.57 (bench/results/lm_weight_normalized.json): rb-open 62.9, not shipped.
# The members' rb-open rewards are kept in $OUT/scores.sqlite, so a rerun with another model scores only
# that model (the LM's ~20 minutes once)
# --also: the same reward with the code and arithmetic verifiers (exec:LANG, calc), reported
# beside it; 8 from the dev split (bench/results/rm_ablation.md: the reward's pair gaps reached 12.3
# in weight units before normalization, 7.9 after, so at 8 a failed example, a gap of 16, decides; measured
# with normalization: rb-open 69.8, the same as before). They run the answers' code:
# Python always, JavaScript, C++ and Java where node, g++ and java are on PATH.
REWARD="ensemble:$OUT/$NAME,gated:$OUT/gate:pmi:smollm2@0.0332,gated:$OUT/gate:relevance@3.43"
VERIFIERS="exec:python@8"
for pair in javascript:node cpp:g++ java:java; do
  if command -v "${pair#*:}" >/dev/null 2>&1; then VERIFIERS="$VERIFIERS,exec:${pair%%:*}@8"; fi
done
"${RK[@]}" eval --model "$REWARD" --also "$REWARD,$VERIFIERS,calc@8" \
  --data "$RB_OPEN" --out "$OUT/$NAME-ensemble-eval" --cache "$OUT/scores.sqlite"
