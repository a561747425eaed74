"""The hospital escalation plan: steps in force above their threshold, the next step and how far it is."""

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.hospitals import DEFAULT_PLAN, Step, plan_state


def test_seed_003_plan():
    assert [s.threshold for s in DEFAULT_PLAN] == [100, 200, 500]
    s = plan_state(0, DEFAULT_PLAN)
    assert s.in_force == () and s.next_step.threshold == 100 and s.cases_to_next == 101
    s = plan_state(100, DEFAULT_PLAN)
    assert s.in_force == () and s.cases_to_next == 1  # "> 100": 100 cases is not yet the step
    s = plan_state(201, DEFAULT_PLAN)
    assert [x.threshold for x in s.in_force] == [100, 200] and s.next_step.threshold == 500 and s.cases_to_next == 300
    s = plan_state(501, DEFAULT_PLAN)
    assert len(s.in_force) == 3 and s.next_step is None and s.cases_to_next is None


@given(st.integers(0, 2000), st.lists(st.integers(0, 1000), unique=True, max_size=6))
def test_steps_in_force_and_next_partition_the_plan(active, thresholds):
    steps = [Step(t, f"step {t}") for t in thresholds]
    s = plan_state(active, steps)
    assert all(active > x.threshold for x in s.in_force)
    if s.next_step is not None:
        assert active <= s.next_step.threshold and active + s.cases_to_next > s.next_step.threshold
        assert all(x.threshold >= s.next_step.threshold for x in steps if x not in s.in_force)
    else:
        assert len(s.in_force) == len(steps)
