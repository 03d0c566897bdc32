"""Batch inference: score keys with a registered model into its predictions table.

``score(platform, "demand_predictor", keys=..., scoring_date=...)`` resolves ``@champion``
(or a version), looks up the model's own features, conforms them to its signature on the
Spark side, predicts over Arrow batches on the workers (the model unpickled once per worker
process) and replaces that date's rows of ``{catalog}.{ml_schema}.<model>_predictions`` in
one Delta commit. See docs/inference.md.
"""

from lakestep.inference.frame import OUTPUT_COLUMNS
from lakestep.inference.scoring import ScoreResult, replace_predicate, score

__all__ = ["OUTPUT_COLUMNS", "ScoreResult", "replace_predicate", "score"]
