"""Reference (normative) values of a clinical test and the typed result every protocol returns.

The values themselves are data (exercises/norms/*.toml, each with its source); this module
only holds their shape and the band lookup, so that the scoring core stays free of I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from scoring.words import Say, say, source_text

SEXES = ("female", "male")


class NormError(ValueError):
    """The reference values cannot be used for this patient (missing age/sex, out of range).
    Its message is a `Say` where a result's warning repeats it (`reason`)."""

    def reason(self) -> Say | str:
        return self.args[0] if self.args and isinstance(self.args[0], Say) else str(self)


@dataclass(frozen=True)
class Band:
    """One row of a norms table: an age range (inclusive), optionally one sex, its values."""

    age_min: int
    age_max: int
    sex: str | None
    values: dict[str, float]

    def label(self) -> str:
        return source_text(self.words())

    def words(self) -> Say:
        """The band as a message ("women 60-64"), for the reader's language."""
        ages = {"low": str(self.age_min), "high": str(self.age_max)}
        if self.sex == "female":
            return say("women {low}-{high}", **ages)
        if self.sex == "male":
            return say("men {low}-{high}", **ages)
        return say("adults {low}-{high}", **ages)

    def who(self) -> Say:
        """Whom the band is for, without its ages ("women")."""
        if self.sex == "female":
            return say("women")
        if self.sex == "male":
            return say("men")
        return say("adults")


@dataclass(frozen=True)
class Norms:
    """A protocol's reference data: bands, constants (test duration, cut-offs) and the source."""

    protocol: str
    name: str
    unit: str
    source: str
    bands: tuple[Band, ...] = ()
    constants: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. stages, movements

    @property
    def by_sex(self) -> bool:
        return any(b.sex is not None for b in self.bands)

    def band(self, age: int | None, sex: str | None = None) -> Band:
        """The band for this patient; NormError says what is missing or out of range."""
        if age is None:
            raise NormError(f"{self.name} norms need the patient's age (--age)")
        if self.by_sex:
            if sex is None:
                raise NormError(f"{self.name} norms need the patient's sex (--sex female|male)")
            if sex not in SEXES:
                raise NormError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
        for b in self.bands:
            if b.age_min <= age <= b.age_max and (b.sex is None or b.sex == sex):
                return b
        lo = min(b.age_min for b in self.bands)
        hi = max(b.age_max for b in self.bands)
        raise NormError(
            say(
                "{name} norms cover ages {low}-{high}, not {age}",
                name=Say(self.name),
                low=str(lo),
                high=str(hi),
                age=str(age),
            )
        )

    def optional_band(self, age: int | None, warnings: list[str]) -> Band | None:
        """The age band when the norms cover this age; otherwise None and a warning (for tests
        whose age comparison is a bonus, not the result)."""
        if age is None:
            return None
        try:
            return self.band(age)
        except NormError as exc:
            warnings.append(say("{reason}: not compared with age norms", reason=exc.reason()))
            return None

    def constant(self, key: str, default: float | None = None) -> float:
        if key in self.constants:
            return float(self.constants[key])
        if default is None:
            raise KeyError(f"{self.protocol} norms have no constant {key!r}")
        return default


def norms_from_dict(data: dict[str, Any]) -> Norms:
    """A Norms from a parsed norms file (exercises/norms/); ValueError if malformed."""
    try:
        bands = []
        for row in data.get("bands", []):
            row = dict(row)
            lo, hi = (int(a) for a in row.pop("age"))
            sex = row.pop("sex", None)
            if lo > hi:
                raise ValueError(f"age band {lo}-{hi} is reversed")
            if sex is not None and sex not in SEXES:
                raise ValueError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
            bands.append(Band(lo, hi, sex, {k: float(v) for k, v in row.items()}))
        known = {"protocol", "name", "unit", "source", "bands", "constants"}
        return Norms(
            protocol=str(data["protocol"]),
            name=str(data["name"]),
            unit=str(data["unit"]),
            source=" ".join(str(data["source"]).split()),
            bands=tuple(bands),
            constants={k: float(v) for k, v in data.get("constants", {}).items()},
            extra={k: v for k, v in data.items() if k not in known},
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed norms data: {exc}") from None


def _clean(v: Any) -> Any:
    """JSON-safe: NaN/inf become None, floats rounded, containers recursed."""
    if isinstance(v, float):
        return round(v, 3) if math.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


@dataclass
class ProtocolResult:
    """What a clinical test measured, against which reference, and what it means.

    `value` is the headline number in `unit` (None when the test could not be completed);
    `measured` holds every number worth recording (per side, per stage, event times);
    `reference` the values compared against (band, thresholds) and `source` their citation.
    """

    protocol: str
    name: str
    value: float | None
    unit: str
    measured: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    interpretation: str = ""  # a `Say` where the scoring wrote it as a message
    warnings: list[str] = field(default_factory=list)  # some of them `Say`s
    patient: dict[str, Any] = field(default_factory=dict)  # age, sex, side as given

    @classmethod
    def of(cls, norms: Norms, value: float | None, /, **rest: Any) -> ProtocolResult:
        """A result of the test that `norms` describes (its id, name, unit and source)."""
        return cls(
            protocol=norms.protocol,
            name=norms.name,
            value=value,
            unit=norms.unit,
            source=norms.source,
            **rest,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "name": self.name,
            "value": _clean(self.value),
            "unit": self.unit,
            "measured": _clean(self.measured),
            "reference": _clean(self.reference),
            "source": self.source,
            "interpretation": self.interpretation,
            "warnings": list(self.warnings),
            "patient": _clean(self.patient),
            **self._said(),
        }

    def _said(self) -> dict[str, Any]:
        """The words' ids and parameters (`say`, as events carry them: docs/I18N.md) beside
        their English text, for the pages to render in their reader's language."""
        said: dict[str, Any] = {}
        if isinstance(self.interpretation, Say):
            said["interpretation"] = self.interpretation.to_json()
        if any(isinstance(w, Say) for w in self.warnings):  # one per warning, in their order
            said["warnings"] = [Say.from_json(w).to_json() for w in self.warnings]
        return {"say": said} if said else {}


def fixed(value: float, digits: int) -> str | int:
    """A figure the English words write to `digits` decimals, as a message's parameter: a whole
    number (formatted by the reader's locale) or, with decimals, the English digits as text,
    so that the stored English stays what it was ("12.0", not "12")."""
    text = f"{value:.{digits}f}"
    return int(text) if digits == 0 and text != "-0" else text


def clauses(*parts: Say) -> Say:
    """Clauses of one verdict as one message, "a; b; c" in every language's punctuation."""
    joined = parts[0]
    for part in parts[1:]:
        joined = say("{before}; {after}", before=joined, after=part)
    return joined
