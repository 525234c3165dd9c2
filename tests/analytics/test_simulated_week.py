"""Ground truth (issue #15): bench/simulate.py plays a scaled-down week (three days) of
mixed traffic over REST and WhatsApp against one running stack with the simulator's
clock; the supervisors' dashboard (the desk's API) and `make report` must show exactly
the figures the simulator knows they must be."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bench.simulate import Result, differences, print_result, simulate, simulation_stack

DAYS = 3


@pytest.fixture(scope="module")
def result() -> Iterator[Result]:
    start = datetime.now(UTC).date() - timedelta(days=21)
    with simulation_stack() as (stack, clock):
        yield simulate(stack, clock, start, DAYS, per_day=1)


def test_the_dashboard_and_the_report_equal_the_ground_truth(result: Result) -> None:
    print_result(result)
    assert differences(result) == []
    assert result.dashboard == result.truth
    assert result.report == result.truth


def test_the_week_holds_every_kind_of_traffic(result: Result) -> None:
    """The comparison above covers each figure with something to count."""
    total = result.truth["total"]
    assert total["conversations"] == 5 * DAYS + 1  # and one re-contact on WhatsApp
    assert all(total[kind] for kind in ("resolved", "handed_over", "contained", "abandoned"))
    assert 0 < total["first_contact_resolution_rate"] < 1  # the re-contact
    assert total["agent_minutes"] > 0 and total["satisfaction_answers"] == 2 * DAYS + 1
    assert set(result.truth["by_channel"]) == {"rest", "twilio"}
    assert len(result.truth["days"]) == DAYS
    dropped = result.truth["funnels"]["update_payment_method"]["steps"]
    assert [s["reached"] for s in dropped] == [DAYS, 0, 0]
