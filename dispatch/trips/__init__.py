"""Wide-area trips across municipal lines: direct rides or feeder taxi -> Joshin train -> feeder taxi.

See ``docs/wide_area.md``. The planner composes the shared :class:`dispatch.online.dispatcher.Dispatcher`: legs
are ordinary linked bookings, inserted all or nothing.
"""

from dispatch.trips.cost import CostWeights
from dispatch.trips.itinerary import Itinerary, Leg, TripOption
from dispatch.trips.operating_model import OperatingModel
from dispatch.trips.options import OptionBuilder
from dispatch.trips.planner import TripPlanner

__all__ = ["CostWeights", "Itinerary", "Leg", "OperatingModel", "OptionBuilder", "TripOption", "TripPlanner"]
