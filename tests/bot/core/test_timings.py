"""Histogram buckets as Prometheus reads them: cumulative, with +Inf, sum and count."""

from bot.core.timings import Histogram


def test_buckets_are_cumulative_and_bounds_inclusive() -> None:
    h = Histogram(bounds=(0.01, 0.05))
    for seconds in (0.002, 0.01, 0.03, 0.2):
        h.observe(seconds)
    assert h.lines("x") == [
        'x_bucket{le="0.01"} 2',
        'x_bucket{le="0.05"} 3',
        'x_bucket{le="+Inf"} 4',
        "x_sum 0.242",
        "x_count 4",
    ]


def test_empty_histogram_renders_zeros() -> None:
    assert Histogram(bounds=(1.0,)).lines("y") == [
        'y_bucket{le="1.0"} 0',
        'y_bucket{le="+Inf"} 0',
        "y_sum 0.0",
        "y_count 0",
    ]
