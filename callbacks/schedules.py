"""Old import path of the depth schedules, kept for configs and code that name it."""

from tcod_pl.curriculum.schedules import Adaptive, Constant, Linear, Schedule, Step

__all__ = ["Adaptive", "Constant", "Linear", "Schedule", "Step"]
