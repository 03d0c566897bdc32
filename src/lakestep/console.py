"""Progress and timings for long work: one line per step, rendered with rich.

Core modules accept an optional ``progress`` callback ``(step, seconds)``; the CLI and the
job entry points pass :meth:`Steps.callback` so every step prints how long it took.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console

Progress = Callable[[str, float], None]


@dataclass
class StepTiming:
    name: str
    seconds: float
    ok: bool = True


@dataclass
class Steps:
    """Prints ``▶ step`` … ``✓ step (1.23s)`` lines and keeps the timings for a summary."""

    console: Console = field(default_factory=lambda: Console(stderr=True))
    timings: list[StepTiming] = field(default_factory=list)
    prefix: str = ""

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        self.console.print(f"[bold cyan]▶[/] {self.prefix}{name}")
        try:
            yield
        except BaseException:
            seconds = time.perf_counter() - started
            self.timings.append(StepTiming(name, seconds, ok=False))
            self.console.print(f"[bold red]✗[/] {self.prefix}{name} failed after {seconds:.2f}s")
            raise
        seconds = time.perf_counter() - started
        self.timings.append(StepTiming(name, seconds))
        self.console.print(f"[green]✓[/] {self.prefix}{name} [dim]({seconds:.2f}s)[/]")

    def callback(self, name: str, seconds: float) -> None:
        """A ``progress`` callback for core functions: one dim line per sub-step."""
        self.console.print(f"  [dim]· {name} ({seconds:.2f}s)[/]")

    @property
    def total_seconds(self) -> float:
        return sum(t.seconds for t in self.timings)


class StepTimer:
    """Times the named steps of one core function: logs each and reports it to
    ``progress(label, seconds)``; ``prefix`` names whose step it is (``"demand: fit"``)."""

    def __init__(self, progress: Progress | None, *, logger_name: str, prefix: str = ""
                 ) -> None:
        import logging

        self.progress = progress
        self.prefix = prefix
        self.log = logging.getLogger(logger_name)
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        self.seconds[step] = elapsed
        label = f"{self.prefix}{step}"
        self.log.info("%s in %.2fs", label, elapsed)
        if self.progress is not None:
            self.progress(label, elapsed)
