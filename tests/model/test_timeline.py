"""Periods, lead times and available hours against cases computed by hand.

Each expected number is written as the arithmetic a planner would do on paper, from the
formula in SCENARIO.md, so a change to the code cannot silently change the answer.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from dronefab.model import timeline
from dronefab.model.schema import Horizon, Site, WorkCenter

# 2026-01-05 is a Monday; period p covers [start + 7(p-1), start + 7p).
WEEKLY = Horizon(start=date(2026, 1, 5), periods=8, period_days=7)


def site(**overrides: object) -> Site:
    fields: dict[str, object] = {
        "id": "s",
        "name": "S",
        "operator": "o",
        "distance_to_front_km": 100,
        "days_per_week": 7,
    }
    fields.update(overrides)
    return Site.model_validate(fields)


def center(**overrides: object) -> WorkCenter:
    fields: dict[str, object] = {"id": "wc", "stations": 1, "hours_per_day": 8}
    fields.update(overrides)
    return WorkCenter.model_validate(fields)


@pytest.mark.parametrize(
    ("day", "period"),
    [
        (date(2026, 1, 5), 1),  # the first day
        (date(2026, 1, 11), 1),  # the last day of week 1
        (date(2026, 1, 12), 2),
        (date(2026, 3, 1), 8),  # the last day of the horizon
        (date(2026, 3, 2), 9),  # the day after: outside
        (date(2026, 1, 4), 0),  # the day before: outside
        (date(2025, 12, 29), 0),  # period 0 is Dec 29 .. Jan 4
        (date(2025, 12, 28), -1),
    ],
)
def test_period_of_a_date(day: date, period: int) -> None:
    assert timeline.period_of(WEEKLY, day) == period
    assert timeline.in_horizon(WEEKLY, day) == (1 <= period <= 8)


def test_horizon_end_and_period_start() -> None:
    assert timeline.horizon_end(WEEKLY) == date(2026, 3, 2)
    assert timeline.period_start(WEEKLY, 1) == date(2026, 1, 5)
    assert timeline.period_start(WEEKLY, 3) == date(2026, 1, 19)


@pytest.mark.parametrize(
    ("days", "period_days", "periods"),
    [
        (0, 7, 0),  # no lead time: same period
        (0.5, 7, 1),
        (1, 7, 1),
        (7, 7, 1),
        (7.5, 7, 2),
        (8, 7, 2),
        (14, 7, 2),
        (15, 7, 3),
        (90, 7, 13),  # 90 / 7 = 12.86
        (91, 7, 13),
        (3, 1, 3),  # daily periods
        (30, 30, 1),
        (31, 30, 2),
    ],
)
def test_lead_time_in_periods(days: float, period_days: int, periods: int) -> None:
    assert timeline.lead_time_periods(days, period_days) == periods


def test_lead_time_ignores_float_noise() -> None:
    assert timeline.lead_time_periods(0.1 * 3 * 70 / 3 * 2, 7) == 2  # 14.000000000000002 days


def test_full_weeks_running_before_the_horizon() -> None:
    # 3 stations x 8 h x 7 open days x 6/7 days_per_week x 1.0 efficiency = 144 h each week.
    s = site(days_per_week=6)
    hours = timeline.available_hours(s, center(stations=3), WEEKLY)
    np.testing.assert_allclose(hours, [3 * 8 * 7 * 6 / 7] * 8)
    assert hours[0] == pytest.approx(144.0)


def test_partial_opening_period_ramp_downtime_and_closing() -> None:
    # Opens Wednesday 2026-01-14 (period 2 = Jan 12..18: open Jan 14..18 = 5 days),
    # p0 = floor(9 / 7) + 1 = 2. Closes Wednesday 2026-02-18 (period 7 = Feb 16..22: open on
    # Feb 16 and 17 = 2 days). Ramp 4 periods from r0 = 0.4: 0.4, 0.55, 0.7, 0.85, then 1.
    s = site(
        opens=date(2026, 1, 14),
        closes=date(2026, 2, 18),
        days_per_week=6,
        downtime_hours_per_day=1.5,
        ramp_periods=4,
        ramp_start_efficiency=0.4,
    )
    wc = center(stations=3, hours_per_day=8, efficiency=0.9)
    per_day = 3 * (8 - 1.5) * 6 / 7 * 0.9  # 15.0428... h per open day at full ramp
    expected = [
        0.0,  # period 1: not open yet
        5 * per_day * 0.4,
        7 * per_day * 0.55,
        7 * per_day * 0.7,
        7 * per_day * 0.85,
        7 * per_day * 1.0,
        2 * per_day * 1.0,
        0.0,  # period 8: closed
    ]
    np.testing.assert_allclose(timeline.available_hours(s, wc, WEEKLY), expected)
    np.testing.assert_array_equal(timeline.open_days(s, WEEKLY), [0, 5, 7, 7, 7, 7, 2, 0])
    assert timeline.opening_period(s, WEEKLY) == 2


def test_opened_before_the_horizon_is_part_way_up_its_ramp() -> None:
    # Opened 2025-12-24, 12 days before the start: p0 = floor(-12 / 7) + 1 = -2 + 1 = -1,
    # so in period t, k = t + 1. Ramp 4 periods from 0.5: t=1 -> k=2 -> 0.5 + 0.5 * 2/4 = 0.75;
    # t=2 -> 0.875; t=3 onwards -> 1.
    s = site(opens=date(2025, 12, 24), ramp_periods=4, ramp_start_efficiency=0.5)
    assert timeline.opening_period(s, WEEKLY) == -1
    np.testing.assert_allclose(timeline.ramp_factor(s, WEEKLY), [0.75, 0.875, 1, 1, 1, 1, 1, 1])
    hours = timeline.available_hours(s, center(), WEEKLY)
    np.testing.assert_allclose(hours[:3], [8 * 7 * 0.75, 8 * 7 * 0.875, 8 * 7])


def test_opening_on_the_first_day_ramps_from_period_one() -> None:
    s = site(opens=date(2026, 1, 5), ramp_periods=2, ramp_start_efficiency=0.2)
    # p0 = 1: t=1 -> 0.2, t=2 -> 0.2 + 0.8 * 1/2 = 0.6, t=3 -> 1.
    np.testing.assert_allclose(timeline.ramp_factor(s, WEEKLY)[:4], [0.2, 0.6, 1.0, 1.0])


def test_no_opens_date_means_no_ramp() -> None:
    s = site(ramp_periods=6, ramp_start_efficiency=0.1)
    np.testing.assert_array_equal(timeline.ramp_factor(s, WEEKLY), np.ones(8))


def test_opening_after_the_horizon_gives_no_hours() -> None:
    s = site(opens=date(2026, 6, 1), ramp_periods=3, ramp_start_efficiency=0.5)
    assert timeline.available_hours(s, center(), WEEKLY).sum() == 0.0


def test_downtime_longer_than_the_shift_gives_zero_not_negative() -> None:
    s = site(downtime_hours_per_day=10)
    np.testing.assert_array_equal(timeline.available_hours(s, center(hours_per_day=8), WEEKLY), 0)


def test_closed_before_the_horizon_gives_no_hours() -> None:
    s = site(closes=date(2025, 12, 1))
    assert timeline.available_hours(s, center(), WEEKLY).sum() == 0.0


def test_monthly_periods_with_a_mid_period_opening() -> None:
    # 30-day periods from 2026-01-01; opens 2026-01-21: period 1 holds Jan 21..30 = 10 days.
    horizon = Horizon(start=date(2026, 1, 1), periods=3, period_days=30)
    s = site(opens=date(2026, 1, 21), days_per_week=5)
    hours = timeline.available_hours(s, center(stations=2, hours_per_day=7.5), horizon)
    np.testing.assert_allclose(
        hours, [2 * 7.5 * 10 * 5 / 7, 2 * 7.5 * 30 * 5 / 7, 2 * 7.5 * 30 * 5 / 7]
    )


def test_scenario_exposes_the_same_calendar(minimal_path: object) -> None:
    from dronefab import load_scenario

    scenario = load_scenario(str(minimal_path))
    # minimal.yaml: 4 stations x 8 h x 7 days x 6/7 (default days_per_week) = 192 h a week.
    np.testing.assert_allclose(scenario.available_hours("west-1", "assembly"), [4 * 8 * 6] * 8)
    assert scenario.lead_time_periods(14) == 2
    assert scenario.period_of(date(2026, 2, 2)) == 5
    demand = scenario.demand_by_period()[("army", "quad")]
    assert demand[4] == 50 and demand[7] == 60 and demand.sum() == 110
    with pytest.raises(KeyError):
        scenario.available_hours("west-1", "painting")


def test_open_day_mask_sums_to_the_open_days_of_each_period() -> None:
    s = site(opens=date(2026, 1, 14), closes=date(2026, 2, 18))
    mask = timeline.open_day_mask(s, WEEKLY.start, 8 * 7)
    assert mask[:9].sum() == 0 and mask[9] and mask[43] and not mask[44]  # Jan 14 .. Feb 17
    np.testing.assert_array_equal(mask.reshape(8, 7).sum(axis=1), timeline.open_days(s, WEEKLY))
