"""The rule by which the municipalities share the service's net cost (費用負担), as the reports apply it.

Net cost = vehicle-hours x ``hourly_cost_yen`` + vehicle-km x ``km_cost_yen`` - fare revenue (when
``subtract_fares``). A part ``equal_portion`` is split equally between the municipalities (均等割), the
rest in proportion to ``basis`` (利用割): the vehicle-hours or -km driven for each municipality's residents
(``served_hours``, ``served_km``: the accounts of :mod:`dispatch.accounting`), its residents' rides
(``riders``), or the hours its own fleet drove (``fleet_hours``). The default cost per vehicle-hour is an
assumption to be replaced by the operator's contract figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASES = ("served_hours", "served_km", "riders", "fleet_hours")


class CostRuleError(ValueError):
    """The rule file is malformed; the message names the field."""


@dataclass(frozen=True)
class CostRule:
    basis: str = "served_hours"
    hourly_cost_yen: float = 3500.0
    km_cost_yen: float = 0.0
    equal_portion: float = 0.0
    subtract_fares: bool = True

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise CostRuleError(f"basis: {self.basis!r} is not one of {', '.join(BASES)}")
        if not 0.0 <= self.equal_portion <= 1.0:
            raise CostRuleError("equal_portion: must lie between 0 and 1")
        if self.hourly_cost_yen < 0 or self.km_cost_yen < 0:
            raise CostRuleError("hourly_cost_yen, km_cost_yen: must not be negative")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CostRule:
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise CostRuleError(f"unknown field(s) {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise CostRuleError(str(exc)) from None

    @classmethod
    def from_file(cls, path: Path) -> CostRule:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CostRuleError(f"{path}: {exc}") from None
        if not isinstance(data, dict):
            raise CostRuleError(f"{path}: not a JSON object")
        return cls.from_dict(data)

    def describe(self) -> str:
        return (f"{self.basis}, {self.hourly_cost_yen:.0f} yen/vehicle-h, {self.km_cost_yen:.0f} yen/vehicle-km, "
                f"equal part {self.equal_portion:.0%}, fares {'deducted' if self.subtract_fares else 'kept'}")

    def shares(self, municipalities: list[str], basis: dict[str, float], hours: float, km: float,
               fares_yen: float) -> tuple[float, dict[str, float]]:
        """(net cost, yen each municipality bears); the shares add up to the net cost."""
        net = hours * self.hourly_cost_yen + km * self.km_cost_yen - (fares_yen if self.subtract_fares else 0.0)
        total = sum(basis.get(m, 0.0) for m in municipalities)
        n = len(municipalities)
        out = {}
        for m in municipalities:
            by_use = basis.get(m, 0.0) / total if total > 0 else 1.0 / n
            out[m] = net * (self.equal_portion / n + (1.0 - self.equal_portion) * by_use)
        return net, out
