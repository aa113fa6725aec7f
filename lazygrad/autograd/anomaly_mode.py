"""torch.autograd.anomaly_mode: detect_anomaly and set_detect_anomaly, frontend/anomaly_mode.py's."""
from __future__ import annotations

from lazygrad.frontend.anomaly_mode import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
