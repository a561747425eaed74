"""Transmission chains over the whole outbreak (issue 26): each case's generation and cluster from its likely
source (pure; the sources come from fangkong.contacts.chains).

`sources[i]` is the index of case i's likely source, or -1 when it has none (an index case, or a source the reader
may not see). A source always comes earlier, but the functions do not rely on the order of the list.
"""

from __future__ import annotations

__all__ = ["clusters", "generations"]


def generations(sources: list[int]) -> list[int]:
    """1 for a case without a known source, its source's generation + 1 otherwise. A cycle (which earlier-first
    sources cannot make) is cut where it closes: that case counts as generation 1."""
    gen = [0] * len(sources)
    for start in range(len(sources)):
        path, i = [], start
        while i >= 0 and gen[i] == 0 and i not in path:
            path.append(i)
            i = sources[i]
        base = gen[i] if i >= 0 and gen[i] else 0  # reached a known generation, the root, or a cycle
        for j in reversed(path):
            base += 1
            gen[j] = base
    return gen


def clusters(sources: list[int]) -> list[int]:
    """The cluster of each case: the cases linked by source edges, numbered 0, 1, … from the largest (ties: the
    cluster holding the earlier-listed case first)."""
    parent = list(range(len(sources)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, s in enumerate(sources):
        if s >= 0:
            parent[find(i)] = find(s)
    roots = [find(i) for i in range(len(sources))]
    size: dict[int, int] = {}
    first: dict[int, int] = {}
    for i, r in enumerate(roots):
        size[r] = size.get(r, 0) + 1
        first.setdefault(r, i)
    order = sorted(size, key=lambda r: (-size[r], first[r]))
    label = {r: n for n, r in enumerate(order)}
    return [label[r] for r in roots]
