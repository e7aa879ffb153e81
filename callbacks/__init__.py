"""Callbacks that drive the temporal curriculum (TCOD) and monitor KL stability."""

from callbacks.curriculum import CurriculumCallback
from callbacks.kl_monitor import KLStabilityMonitor
from callbacks.schedules import Adaptive, Constant, Linear, Schedule, Step

__all__ = ["Adaptive", "Constant", "CurriculumCallback", "KLStabilityMonitor", "Linear", "Schedule", "Step"]
