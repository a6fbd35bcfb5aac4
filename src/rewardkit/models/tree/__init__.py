"""Decision-Tree-Reward's second stage: a decision tree that decides which response wins, from
the differences between the two responses' features, and that explains every verdict.

* `features`: measured features that need no trained head (length, markdown, refusal phrasing).
* `tree.DecisionTree`: a fitted tree stored as JSON (never pickle), loaded and applied without
  scikit-learn; verdicts are exactly antisymmetric and carry the path of tests taken.
* `judge.TreeJudge`: the tree as a `PairwiseJudge` (``tree:DIR`` in eval, serve and rerank).

Attribute rewards from trained heads (the first stage, ``rewardkit train attributes``) are the
next step; the tree takes any named per-response features, so they join as more columns.
"""
