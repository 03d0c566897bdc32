"""What the CLI and the job entry points do, written once for both.

Each function takes a Platform and a :class:`~lakestep.console.Steps` for progress, and
returns data; rendering is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakestep.console import Steps

if TYPE_CHECKING:
    from lakestep.platform.base import Platform


@dataclass
class PipelineResult:
    gold: list[Any] = field(default_factory=list)
    steps: Steps = field(default_factory=Steps)


def build_demo_data(
    platform: Platform, *, scale: int, seed: int, drift: bool = False, steps: Steps | None = None
) -> list[Any]:
    """Generate the demo gold layer; every table is validated before it is written."""
    from lakestep.demo import build_gold

    steps = steps or Steps()
    with steps.step(f"demo gold layer (scale={scale:,}, seed={seed}{', drift' if drift else ''})"):
        return build_gold(platform, scale=scale, seed=seed, drift=drift, progress=steps.callback)


def run_pipeline(platform: Platform, *, scale: int, seed: int) -> PipelineResult:
    """demo data → contracts check, and every later stage that is installed."""
    result = PipelineResult()
    result.gold = build_demo_data(platform, scale=scale, seed=seed, steps=result.steps)
    return result
