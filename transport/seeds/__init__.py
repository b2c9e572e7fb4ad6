"""Optional first-route sources (VROOM, PyVRP), each behind its own module."""

from __future__ import annotations

from dataclasses import dataclass

from transport.schedule import Visit


@dataclass(frozen=True)
class SeedRoutes:
    """An engine's routes, and whether its wall-clock safety net (not its work budget) ended it.

    A run ended by the clock depends on the machine's speed and load, so the same seed and limit
    may give another answer next time; the solver reports that instead of hiding it.
    """

    sequences: dict[str, list[Visit]]
    clock_cut: bool = False
