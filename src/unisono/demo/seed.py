"""Placeholder until the demo seed lands."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine


@dataclass(frozen=True)
class DemoSummary:
    customers: int = 0

    def describe(self) -> str:
        return f"{self.customers} customers"


def seed_demo(engine: Engine, *, seed: int = 7) -> DemoSummary:
    return DemoSummary()
