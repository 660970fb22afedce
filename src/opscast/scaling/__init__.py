"""Scaling policies and their cost: the Kubernetes HPA, predictive scaling and the oracle.

Pure numerics on arrays: no HTTP, SQL or registry. The capacity domain serves them.
"""

from opscast.scaling.comparison import (
    POLICIES,
    STAGES,
    Comparison,
    PredictiveMode,
    compare,
    season_length,
)
from opscast.scaling.cost import Outcome, gap_closed, summarize
from opscast.scaling.hpa import (
    HorizontalAutoscaler,
    HPAConfig,
    PolicyType,
    RatePolicy,
    ScalingRules,
    SelectPolicy,
    metric_replicas,
)
from opscast.scaling.predictive import lead_steps, replicas_for_rate, window_peak
from opscast.scaling.simulation import ScalingSettings, SettingError, Timeline

__all__ = [
    "POLICIES",
    "STAGES",
    "Comparison",
    "HPAConfig",
    "HorizontalAutoscaler",
    "Outcome",
    "PolicyType",
    "PredictiveMode",
    "RatePolicy",
    "ScalingRules",
    "ScalingSettings",
    "SelectPolicy",
    "SettingError",
    "Timeline",
    "compare",
    "gap_closed",
    "lead_steps",
    "metric_replicas",
    "replicas_for_rate",
    "season_length",
    "summarize",
    "window_peak",
]
