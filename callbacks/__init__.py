"""Lightning callbacks: the temporal curriculum's hooks (TCOD), KL-stability monitoring, export.

The schedules are re-exported from ``tcod_pl.curriculum`` so that ``callbacks.Linear`` etc. keep
working in configs.
"""

from callbacks.curriculum import CurriculumCallback
from callbacks.export import ExportHuggingFace
from callbacks.kl_monitor import KLStabilityMonitor
from tcod_pl.curriculum.schedules import Adaptive, Constant, Linear, Schedule, Step

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
