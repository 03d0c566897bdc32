"""Feature tables and point-in-time lookups: the Databricks Feature Engineering workflow,
locally and on Databricks.

``platform.features`` is a :class:`FeatureStore` (``create_table``, ``write_table``,
``read_table``, ``get_table``, ``drop_table``, ``create_training_set``); a
:class:`FeatureLookup` names the features a training set joins in, point-in-time when it
has a ``timestamp_lookup_key``. :func:`build_feature_tables` builds the declared demo
tables (:func:`load_definitions`) from the gold layer.
"""

from lakestep.features.build import build_feature_tables
from lakestep.features.definitions import FeatureTableDefinition, load_definitions
from lakestep.features.lookup import FeatureLookup
from lakestep.features.store import FeatureStore, TrainingSet
from lakestep.features.table import FeatureTable

__all__ = [
    "FeatureLookup",
    "FeatureStore",
    "FeatureTable",
    "FeatureTableDefinition",
    "TrainingSet",
    "build_feature_tables",
    "load_definitions",
]
