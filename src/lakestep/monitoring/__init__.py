"""Monitoring: drift of a model's scored inputs and outputs against the training baseline
stored in the model (PSI, KS), great-expectations data-quality suites derived from the
contracts, feature tables and predictions, a metrics table, an HTML report and the retrain
signal.

::

    from lakestep.monitoring import monitor
    result = monitor(platform, "demand_predictor")     # the latest scoring date
    result.retrain, result.reasons, result.report

See docs/monitoring.md.
"""

from lakestep.monitoring.assess import Decision, FeatureDrift, Thresholds, decide
from lakestep.monitoring.quality import (
    QualityResult,
    QualitySuite,
    quality_suite_for_contract,
    quality_suite_for_feature_table,
    quality_suite_for_predictions,
)
from lakestep.monitoring.run import MonitorResult, monitor

__all__ = [
    "Decision",
    "FeatureDrift",
    "MonitorResult",
    "QualityResult",
    "QualitySuite",
    "Thresholds",
    "decide",
    "monitor",
    "quality_suite_for_contract",
    "quality_suite_for_feature_table",
    "quality_suite_for_predictions",
]
