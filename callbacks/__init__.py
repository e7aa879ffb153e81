"""Callbacks that drive the temporal curriculum (TCOD) and monitor KL stability."""

from callbacks.curriculum import CurriculumCallback
from callbacks.export import ExportHuggingFace
from callbacks.kl_monitor import KLStabilityMonitor
from callbacks.schedules import Adaptive, Constant, Linear, Schedule, Step

__all__ = [
    "Adaptive",
    "Constant",
    "CurriculumCallback",
    "ExportHuggingFace",
    "KLStabilityMonitor",
    "Linear",
    "Schedule",
    "Step",
]
