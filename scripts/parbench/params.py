"""Declared problem parameters: one list feeds the CLI options, validation and provenance."""

from __future__ import annotations

from dataclasses import dataclass

from parbench.errors import UsageError


@dataclass(frozen=True)
class Param:
    """One problem parameter, e.g. `--width`."""

    name: str
    type: type
    default: object
    help: str
    minimum: float | None = None
    # Parameters that only tune how work is cut up; they never change the result, so
    # verification against a reference ignores them.
    tuning: bool = False
    maximum: float | None = None

    @property
    def parse(self):
        """Turns the option's text into its value."""
        return {int: whole_number, bool: yes_or_no}.get(self.type, self.type)

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, value):
        if self.minimum is not None and value < self.minimum:
            raise UsageError(self.option, f"must be >= {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise UsageError(self.option, f"must be <= {self.maximum}, got {value}")
        return value


def whole_number(text: str) -> int:
    """An integer option's value, also when written as sizes often are: 1e8 or 100_000_000.
    A value with a fraction (2.5, 1e-3) is refused."""
    try:
        return int(text)
    except ValueError:
        value = float(text)  # a ValueError here is argparse's "invalid int value"
    if not value.is_integer():
        raise ValueError(text)
    return int(value)


whole_number.__name__ = "int"  # argparse names the type in its message: "invalid int value: '2.5'"


def yes_or_no(text: str) -> bool:
    """A boolean option's value: true/false, yes/no, 1/0 (Python's bool('false') is True)."""
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    try:
        return words[text.lower()]
    except KeyError:
        raise ValueError(text) from None


yes_or_no.__name__ = "bool"


def validate(params: tuple[Param, ...], values: dict) -> dict:
    """Checks every declared parameter's bounds; returns the values in declaration order."""
    return {p.name: p.check(values[p.name]) for p in params}


# Options every problem takes besides its own.
COMMON_PARAMS = (Param("seed", int, 20261124, "seed of every random draw", minimum=0),)
