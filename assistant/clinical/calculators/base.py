"""The parts every calculator shares: field specs, input checking, results and citations.

A ``Calculator`` declares its fields (name, type, unit, allowed range, help) and a pure
``compute`` function over already-checked values. ``Calculator.run`` turns raw values (numbers,
or strings from the command line) into checked ones and raises ``CalculatorInputError`` naming
the field, the value and what is accepted. This module holds no clinical content.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "t", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "f", "off"})


class CalculatorInputError(ValueError):
    """Bad calculator input; the message names the field and the accepted values."""


@dataclass(frozen=True)
class Citation:
    publisher: str  # journal or organisation
    title: str
    year: int
    url: str
    authors: str = ""

    def label(self) -> str:
        who = f"{self.authors.rstrip('.')}. " if self.authors else ""
        return f"{who}{self.title}. {self.publisher}, {self.year}. {self.url}"

    def to_dict(self) -> dict:
        return {"publisher": self.publisher, "title": self.title, "year": self.year,
                "url": self.url, "authors": self.authors}


@dataclass(frozen=True)
class FieldSpec:
    """One input. ``kind`` is "bool", "int", "float" or "choice"."""

    name: str
    kind: str
    help: str
    unit: str = ""
    min_value: float | None = None
    max_value: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = True
    default: Any = None

    def __post_init__(self) -> None:
        if self.kind not in ("bool", "int", "float", "choice"):
            raise ValueError(f"FieldSpec.kind must be bool/int/float/choice, got {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"choice field {self.name!r} needs choices")

    def accepted(self) -> str:
        """Human description of accepted values, used in error messages and help."""
        if self.kind == "bool":
            return "yes/no (true/false, 1/0)"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        unit = f" {self.unit}" if self.unit else ""
        kind = "a whole number" if self.kind == "int" else "a number"
        return f"{kind} {self.min_value:g}-{self.max_value:g}{unit}"

    def coerce(self, raw: Any) -> Any:
        """Check and convert one raw value; raises ``CalculatorInputError``."""
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in TRUE_WORDS:
                return True
            if text in FALSE_WORDS:
                return False
            raise CalculatorInputError(f"{self.name} must be {self.accepted()}, got {raw!r}")
        if self.kind == "choice":
            text = str(raw).strip().lower()
            for choice in self.choices:
                if text == choice.lower():
                    return choice
            raise CalculatorInputError(f"{self.name} must be {self.accepted()}, got {raw!r}")
        try:
            if isinstance(raw, bool):
                raise ValueError
            number = float(raw)
        except (TypeError, ValueError):
            raise CalculatorInputError(
                f"{self.name} must be {self.accepted()}, got {raw!r}") from None
        if math.isnan(number) or math.isinf(number):
            raise CalculatorInputError(f"{self.name} must be {self.accepted()}, got {raw!r}")
        if self.kind == "int":
            if number != int(number):
                raise CalculatorInputError(f"{self.name} must be {self.accepted()}, got {raw!r}")
            number = int(number)
        if not (self.min_value <= number <= self.max_value):
            raise CalculatorInputError(f"{self.name} must be {self.accepted()}, got {raw!r}")
        return number

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "unit": self.unit,
                "min": self.min_value, "max": self.max_value, "choices": list(self.choices),
                "required": self.required, "default": self.default, "help": self.help}


@dataclass(frozen=True)
class CalculatorResult:
    calculator: str
    score: float
    interpretation: str
    source: Citation
    unit: str = ""
    category: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"calculator": self.calculator, "score": self.score, "unit": self.unit,
                "category": self.category, "interpretation": self.interpretation,
                "details": dict(self.details), "inputs": dict(self.inputs),
                "source": self.source.to_dict()}


@dataclass(frozen=True)
class Calculator:
    name: str
    title: str
    fields: tuple[FieldSpec, ...]
    compute: Callable[[dict[str, Any]], CalculatorResult]
    source: Citation
    description: str = ""

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def run(self, raw_values: Mapping[str, Any]) -> CalculatorResult:
        """Check ``raw_values`` against the field specs, then compute."""
        known = {spec.name for spec in self.fields}
        unknown = sorted(set(raw_values) - known)
        if unknown:
            raise CalculatorInputError(
                f"unknown field(s) for {self.name}: {', '.join(unknown)}; "
                f"valid fields: {', '.join(spec.name for spec in self.fields)}"
            )
        values: dict[str, Any] = {}
        missing = []
        for spec in self.fields:
            raw = raw_values.get(spec.name)
            if raw is None:
                if spec.required:
                    missing.append(f"{spec.name} ({spec.accepted()})")
                    continue
                values[spec.name] = spec.default
                continue
            values[spec.name] = spec.coerce(raw)
        if missing:
            raise CalculatorInputError(
                f"{self.name} is missing required field(s): {'; '.join(missing)}")
        return self.compute(values)


def yes_no(name: str, help_text: str, required: bool = True) -> FieldSpec:
    """A yes/no criterion; optional criteria default to no (absent)."""
    return FieldSpec(name, "bool", help_text, required=required, default=False)


def count_true(values: Mapping[str, Any], names: tuple[str, ...]) -> int:
    return sum(1 for name in names if values.get(name))
