"""Models: specs (the inventory), the packaged pyfunc, baselines and metrics.

Kept free of imports so ``import lakestep.models.specs`` does not pull in MLflow or an
estimator library; import the submodule you need (``lakestep.models.packaging`` …).
"""
