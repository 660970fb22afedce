"""Whether a retrained model may replace the serving one: not worse on the same holdout.

The two sets of scores handed in must come from the same evaluation (same series, same
windows); the caller guarantees that, this module only compares. The first metric in
``METRIC_PREFERENCE`` that both sides define decides: MASE first, because it is scaled
per series and so comparable across series of different sizes; sMAPE and MAE when MASE
is undefined (a flat history has no naive error to scale by). A challenger is promoted
when its error is at most the champion's times ``1 + tolerance``; with no comparable
metric the champion stays, because a guard that cannot judge must not wave through.
Models that are not forecasters pass their own ``metrics``; the scores in
``HIGHER_IS_BETTER`` (a classifier's accuracy and macro-F1) are compared the other way
round: at least the champion's times ``1 - tolerance``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

METRIC_PREFERENCE = ("mase", "smape", "mae", "rmse")
HIGHER_IS_BETTER = frozenset({"accuracy", "macro_f1"})
# Two evaluations of the same model on the same data agree to about this relative error.
RELATIVE_SLACK = 1e-9


@dataclass(frozen=True, slots=True)
class PromotionDecision:
    promote: bool
    reason: str
    metric: str | None = None
    champion: float | None = None
    challenger: float | None = None


def _finite(scores: Mapping[str, float | None], metric: str) -> float | None:
    value = scores.get(metric)
    return float(value) if value is not None and math.isfinite(value) else None


def decide_promotion(
    champion: Mapping[str, float | None] | None,
    challenger: Mapping[str, float | None],
    *,
    tolerance: float = 0.0,
    metrics: tuple[str, ...] = METRIC_PREFERENCE,
) -> PromotionDecision:
    if tolerance < 0:
        raise ValueError("tolerance must be at least 0")
    if champion is None:
        return PromotionDecision(True, "first version of the task: nothing to compare with")
    for metric in metrics:
        old, new = _finite(champion, metric), _finite(challenger, metric)
        if old is None or new is None:
            continue
        higher = metric in HIGHER_IS_BETTER
        sign = -1.0 if higher else 1.0
        # compare as errors: a score is turned into one by its sign
        limit = sign * old + abs(old) * (tolerance + RELATIVE_SLACK)
        if sign * new <= limit:
            if sign * new < sign * old:
                verdict = "better than"
            elif sign * new <= sign * old + abs(old) * RELATIVE_SLACK:
                verdict = "as good as"
            else:
                verdict = f"within {tolerance:.0%} of"
            return PromotionDecision(
                True,
                f"{metric} {new:.4g} is {verdict} the champion's {old:.4g}",
                metric,
                old,
                new,
            )
        return PromotionDecision(
            False,
            f"{metric} {new:.4g} is worse than the champion's {old:.4g}"
            + (f" by more than the {tolerance:.0%} tolerance" if tolerance else ""),
            metric,
            old,
            new,
        )
    return PromotionDecision(
        False, f"no metric of {', '.join(metrics)} is defined for both models; champion kept"
    )
