"""Generalised cost of a trip option, in yen: rider time by component, transfers, fares, operator cost.

``cost = vot/60 * (in_vehicle*min_in_taxi + in_train*min_on_train + wait*min_waiting + walk*min_walking
+ schedule*min_off_asked_time + transfer_penalty_min*transfers) + fare_weight*fare
+ operator_weight*(yen_per_vkm*vehicle_km + yen_per_vh*vehicle_hours)``.

Waiting at a station or for the taxi counts more than riding (the usual 1.5-2x of transport appraisal);
time spent at home before a later pickup, or arriving earlier than asked, counts less. The operator
term is what the municipalities pay to run the vehicle for this trip: it makes a long empty return of a
border-crossing taxi weigh against a train ride.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class CostWeights:
    """Weights of the generalised cost.

    Parameters
    ----------
    value_of_time_yen_per_h
        Rider's value of time, yen per hour (1,200: mostly retired riders).
    in_vehicle, in_train, wait, walk, schedule
        Weight per minute in a taxi, on a train, waiting (station, pickup), walking, and away from
        the asked time (waiting at home for a later pickup, or arriving early).
    transfer_penalty_min
        Minutes added per change of vehicle (10).
    fare_weight
        Weight of the fare the rider pays (1: a yen is a yen).
    yen_per_vkm, yen_per_vh
        Operator cost per vehicle-km (fuel, wear: 40 yen) and per vehicle-hour (driver, vehicle: 2,500 yen).
    operator_weight
        Weight of the operator cost (0 = riders' view only; 1 = society's view).
    """

    value_of_time_yen_per_h: float = 1200.0
    in_vehicle: float = 1.0
    in_train: float = 1.0
    wait: float = 1.5
    walk: float = 2.0
    schedule: float = 0.5
    transfer_penalty_min: float = 10.0
    fare_weight: float = 1.0
    yen_per_vkm: float = 40.0
    yen_per_vh: float = 2500.0
    operator_weight: float = 1.0

    def __post_init__(self) -> None:
        negative = [k for k, v in asdict(self).items() if v < 0]
        if negative:
            raise ValueError(f"cost weights must not be negative: {', '.join(negative)}")

    def cost_yen(
        self,
        *,
        in_vehicle_s: float,
        in_train_s: float,
        wait_s: float,
        walk_s: float,
        schedule_s: float,
        transfers: int,
        fare_yen: float,
        vehicle_km: float,
        vehicle_h: float,
    ) -> float:
        """Generalised cost in yen of one option (times in seconds, distance km, hours h)."""
        minutes = (
            self.in_vehicle * in_vehicle_s
            + self.in_train * in_train_s
            + self.wait * wait_s
            + self.walk * walk_s
            + self.schedule * schedule_s
        ) / 60.0 + self.transfer_penalty_min * transfers
        rider = self.value_of_time_yen_per_h / 60.0 * minutes + self.fare_weight * fare_yen
        operator = self.yen_per_vkm * vehicle_km + self.yen_per_vh * vehicle_h
        return rider + self.operator_weight * operator

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CostWeights:
        """Build from a mapping of field names; unknown keys raise ``ValueError`` naming them."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown cost weight(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**{k: float(v) for k, v in data.items()})
