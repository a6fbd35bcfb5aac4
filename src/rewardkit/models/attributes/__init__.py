"""Decision-Tree-Reward's first stage, ArmoRM-style: attribute rewards from linear heads on the
frozen embeddings of a backbone.

* `embeddings`: pooled final hidden states of a `ClassifierScorer`'s backbone, cached on disk
  (SQLite) by model fingerprint and token-id hash, so each distinct text is embedded once.
* `heads`: one linear head per attribute, ridge regression for pointwise ratings or a
  Bradley-Terry head for pairwise labels; stored as safetensors plus JSON, never pickle.
* `model.AttributeModel`: backbone plus heads; ``rewards(conversations)`` gives each response's
  attribute rewards (``rewardkit train attributes`` writes the folder it loads).
"""
