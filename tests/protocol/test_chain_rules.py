"""Generations and clusters of the city's transmission chains (fangkong.protocol.chains)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.chains import clusters, generations


def test_generations_and_clusters_of_two_chains():
    #        0 → 1 → 3, 0 → 2;  4 → 5;  6 alone
    sources = [-1, 0, 0, 1, -1, 4, -1]
    assert generations(sources) == [1, 2, 2, 3, 1, 2, 1]
    assert clusters(sources) == [0, 0, 0, 0, 1, 1, 2]
    assert generations([]) == [] and clusters([]) == []
    assert generations([1, 0]) == [2, 1] or generations([1, 0]) == [1, 2]  # a cycle is cut, never loops


@st.composite
def forests(draw):
    n = draw(st.integers(0, 40))
    return [draw(st.integers(-1, i - 1)) for i in range(n)]  # each source earlier in the list, or none


@given(forests())
def test_a_case_is_one_generation_after_its_source_and_in_its_cluster(sources):
    gen, label = generations(sources), clusters(sources)
    for i, s in enumerate(sources):
        assert gen[i] == (1 if s < 0 else gen[s] + 1)
        assert s < 0 or label[i] == label[s]
    sizes = [label.count(c) for c in sorted(set(label))]
    assert sizes == sorted(sizes, reverse=True)
    assert len(set(label)) == sum(1 for s in sources if s < 0)  # one cluster per root
    # the order of the list does not matter
    order = list(reversed(range(len(sources))))
    where = {old: new for new, old in enumerate(order)}
    moved = [where[sources[old]] if sources[old] >= 0 else -1 for old in order]
    assert [generations(moved)[where[i]] for i in range(len(sources))] == gen
