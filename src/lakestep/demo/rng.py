"""Pseudo-random numbers as Spark column expressions, from a hash of (seed, salt, keys).

``rand(seed)`` depends on how rows are partitioned; a hash of the row's own keys does not,
so the same seed gives the same tables whatever the engine, the partition count or the
order of rows. Each draw has its own salt, so draws are independent of one another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_MANTISSA = 1 << 53  # doubles hold 53 bits exactly


class Rng:
    """Column expressions drawing deterministic pseudo-random values for ``seed``."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def uniform(self, salt: str, *keys: Column) -> Column:
        """Uniform on the open interval (0, 1): never exactly 0, so ``log(u)`` is finite."""
        from pyspark.sql import functions as F

        bits = F.pmod(F.xxhash64(F.lit(self.seed), F.lit(salt), *keys), F.lit(_MANTISSA))
        return (bits.cast("double") + F.lit(0.5)) / F.lit(float(_MANTISSA))

    def normal(self, salt: str, *keys: Column) -> Column:
        """Standard normal (Box–Muller on two independent uniforms)."""
        from pyspark.sql import functions as F

        radius = F.sqrt(F.lit(-2.0) * F.log(self.uniform(f"{salt}.r", *keys)))
        return radius * F.cos(F.lit(2 * math.pi) * self.uniform(f"{salt}.a", *keys))

    def integer(self, salt: str, low: int | Column, count: int | Column, *keys: Column) -> Column:
        """Uniform integer in ``low … low + count - 1``."""
        from pyspark.sql import functions as F

        return (F.floor(self.uniform(salt, *keys) * count) + low).cast("int")

    def exponential(self, salt: str, mean: Column | float, *keys: Column) -> Column:
        from pyspark.sql import functions as F

        return -F.log(self.uniform(salt, *keys)) * mean


def pick_index(u: Column, bounds: Sequence[float]) -> Column:
    """Index of the first cumulative bound above ``u`` (see ``params.cumulative``)."""
    from pyspark.sql import functions as F

    expr = F.lit(len(bounds) - 1)
    for index in range(len(bounds) - 2, -1, -1):
        expr = F.when(u < F.lit(bounds[index]), F.lit(index)).otherwise(expr)
    return expr


def lookup(values: Sequence[object], index: Column) -> Column:
    """``values[index]`` for a 0-based index column (a literal array, 1-based element_at)."""
    from pyspark.sql import functions as F

    return F.element_at(F.array(*[F.lit(v) for v in values]), (index + 1).cast("int"))


def coprime_multiplier(modulus: int, start: int = 1_000_003) -> int:
    """A multiplier that makes ``(i * m) mod modulus`` a permutation of ``0 … modulus-1``."""
    candidate = start % max(modulus, 1) or 1
    while math.gcd(candidate, modulus) != 1:
        candidate += 1
    return candidate


def keep(df: DataFrame, condition: Column) -> DataFrame:
    """``df.filter(condition)`` that the optimizer cannot push below earlier projections.

    Sail inlines a pushed-down predicate into every projection beneath it; our columns are
    built in many small steps that reuse one another, so the inlined predicate grows
    exponentially (a 66k-row filter took 50 s). Exploding a zero- or one-element array
    drops the same rows without being a filter, so nothing is pushed down.
    """
    from pyspark.sql import functions as F

    marker = "_lakestep_keep"
    repeated = F.array_repeat(F.lit(1), F.coalesce(condition, F.lit(False)).cast("int"))
    return df.withColumn(marker, F.explode(repeated)).drop(marker)
