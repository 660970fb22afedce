"""The HPA arithmetic pinned to the examples of the Kubernetes documentation.

Sources: "Horizontal Pod Autoscaling" (algorithm details, tolerance, stabilization
window, scaling policies) and ``pkg/controller/podautoscaler`` (replica calculator,
``calculateScaleUpLimitWithScalingRules``, ``calculateScaleDownLimitWithBehaviors``).
"""

from __future__ import annotations

import math

import pytest

from opscast.scaling import (
    HorizontalAutoscaler,
    HPAConfig,
    PolicyType,
    RatePolicy,
    ScalingRules,
    SelectPolicy,
    metric_replicas,
)

TARGET = 100.0  # the documentation's "desired value 100m"


@pytest.mark.parametrize(
    ("per_pod", "expected"),
    [
        (200.0, 8),  # "200m / 100m = 2.0: the number of replicas will be doubled"
        (50.0, 2),  # "50m / 100m = 0.5: you'll halve the number of replicas"
        (109.0, 4),  # ratio 1.09: within the 0.1 tolerance, no change
        (91.0, 4),  # ratio 0.91: within the tolerance too
        (111.0, 5),  # just outside: ceil(4 * 1.11)
        (89.0, 4),  # ceil(4 * 0.89) = 4: rounding up keeps the count
        (74.0, 3),  # ceil(4 * 0.74)
    ],
)
def test_desired_is_ceil_of_current_times_ratio(per_pod: float, expected: int) -> None:
    assert metric_replicas(4, 4, 4 * per_pod, TARGET, 0.1) == expected


def test_starting_pods_count_as_idle_on_a_scale_up() -> None:
    # 2 of 4 pods ready at twice the target: with the 2 starting ones at 0 the ratio is 1.0
    assert metric_replicas(4, 2, 2 * 200.0, TARGET, 0.1) == 4
    # at three times the target the ratio over all 4 pods is 1.5: ceil(1.5 * 4)
    assert metric_replicas(4, 2, 2 * 300.0, TARGET, 0.1) == math.ceil(1.5 * 4)


def test_starting_pods_count_as_at_target_on_a_scale_down() -> None:
    # ready pods at 25 %: (50 + 2 * 100) / (4 * 100) = 0.625 -> ceil(2.5) = 3
    assert metric_replicas(4, 2, 2 * 25.0, TARGET, 0.1) == 3


def test_no_ready_pod_means_no_decision() -> None:
    assert metric_replicas(3, 0, 1000.0, TARGET, 0.1) == 3


def hpa(
    *,
    min_replicas: int = 1,
    max_replicas: int = 100,
    up: ScalingRules | None = None,
    down: ScalingRules | None = None,
) -> HorizontalAutoscaler:
    config = HPAConfig(min_replicas, max_replicas, TARGET)
    return HorizontalAutoscaler(
        HPAConfig(
            min_replicas,
            max_replicas,
            TARGET,
            scale_up=up or config.scale_up,
            scale_down=down or config.scale_down,
        )
    )


def test_scale_down_waits_for_the_highest_recommendation_of_the_window() -> None:
    """Default scale-down stabilization: 300 s of recommendations, the highest wins."""
    controller = hpa()
    assert controller.sync(0, 10, 10, 10 * TARGET) == 10
    replicas = 10
    history = []
    for now in range(15, 316, 15):  # the load falls to what 2 replicas carry
        replicas = controller.sync(now, replicas, replicas, 2 * TARGET)
        history.append((now, replicas))
    # the recommendation of 10 made at t=0 holds until it leaves the window at t=300
    assert all(count == 10 for now, count in history if now < 300)
    assert dict(history)[300] == 2


def test_a_spike_inside_the_window_holds_the_count_up() -> None:
    controller = hpa()
    replicas = controller.sync(0, 4, 4, 4 * TARGET)
    replicas = controller.sync(15, replicas, replicas, 8 * TARGET)  # scales up at once
    assert replicas == 8
    for now in range(30, 301, 15):
        replicas = controller.sync(now, replicas, replicas, 4 * TARGET)
    assert replicas == 8  # the 8 of t=15 is still inside the 300 s window at t=300
    assert controller.sync(315, replicas, replicas, 4 * TARGET) == 4


def test_default_scale_up_allows_the_larger_of_doubling_and_four_pods_per_15_s() -> None:
    controller = hpa()
    steps = [controller.sync(0, 2, 2, 40 * TARGET)]  # wants 40 from 2
    for now in (15, 30, 45):
        steps.append(controller.sync(now, steps[-1], steps[-1], 40 * TARGET))
    # max(2 * 2, 2 + 4) = 6; max(12, 10) = 12; max(24, 16) = 24; then the 40 asked for
    assert steps == [6, 12, 24, 40]


def test_scale_up_limit_counts_what_was_added_in_the_period() -> None:
    rules = ScalingRules(0.0, (RatePolicy(PolicyType.pods, 4, 60.0),))
    controller = hpa(up=rules)
    first = controller.sync(0, 2, 2, 40 * TARGET)
    assert first == 6
    # 15 s later the 4 pods added at t=0 are still inside the 60 s period: no more
    assert controller.sync(15, first, first, 40 * TARGET) == 6
    assert controller.sync(60, first, first, 40 * TARGET) == 10


DOC_SCALE_DOWN = ScalingRules(
    0.0, (RatePolicy(PolicyType.pods, 4, 60.0), RatePolicy(PolicyType.percent, 10, 60.0))
)


def test_documented_scale_down_policies_remove_8_then_8() -> None:
    """The documentation's example: 80 replicas going to 10 with Pods 4/60 s and Percent
    10/60 s lose 8 in the first minute, then 8 again (10 % of 72 is 7.2, rounded up)."""
    controller = hpa(down=DOC_SCALE_DOWN)
    first = controller.sync(0, 80, 80, 10 * TARGET)
    assert first == 72
    assert controller.sync(15, first, first, 10 * TARGET) == 72  # same period: no more
    assert controller.sync(60, first, first, 10 * TARGET) == 64


def test_select_policy_min_takes_the_smallest_change() -> None:
    rules = ScalingRules(0.0, DOC_SCALE_DOWN.policies, SelectPolicy.min)
    assert hpa(down=rules).sync(0, 80, 80, 10 * TARGET) == 76


def test_disabled_direction_never_moves() -> None:
    rules = ScalingRules(0.0, DOC_SCALE_DOWN.policies, SelectPolicy.disabled)
    assert hpa(down=rules).sync(0, 80, 80, 10 * TARGET) == 80


def test_min_and_max_bound_every_decision() -> None:
    assert hpa(max_replicas=5).sync(0, 4, 4, 40 * TARGET) == 5
    no_window = ScalingRules(0.0, DOC_SCALE_DOWN.policies)
    assert hpa(min_replicas=3, down=no_window).sync(0, 4, 4, 0.0) == 3
    # a count outside the bounds is brought back first, whatever the metric says
    assert hpa(min_replicas=3).sync(0, 1, 1, 0.0) == 3


def test_a_forecast_proposal_counts_like_a_second_metric() -> None:
    controller = hpa()
    assert controller.sync(0, 4, 4, 4 * TARGET, forecast_replicas=7) == 7
    # below the metric's proposal it changes nothing
    assert hpa().sync(0, 4, 4, 8 * TARGET, forecast_replicas=2) == 8
