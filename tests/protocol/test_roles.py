"""Roles and the jurisdiction subtree rule: examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.roles import (
    DEVICE_PERMISSIONS,
    LEVELS,
    PERMISSIONS,
    ROLE_PERMISSIONS,
    SELF_AND_DEVICE,
    in_subtree,
    normalise_code,
    permissions_of,
    scope_prefix,
)


def test_every_role_is_known_and_only_admin_manages_users():
    assert set(ROLE_PERMISSIONS) == {"commander", "epidemiologist", "analyst", "verifier", "lab", "isolation",
                                     "admin", "citizen"}
    for role, perms in ROLE_PERMISSIONS.items():
        assert perms <= set(PERMISSIONS), role
        assert ("users:admin" in perms) == (role == "admin")
    assert permissions_of("citizen") == {"self:code"} and permissions_of("nobody") == frozenset()
    # only a citizen acts as themselves and only a device scans: no staff role, not even the admin
    assert all(not (perms & set(SELF_AND_DEVICE)) for role, perms in ROLE_PERMISSIONS.items() if role != "citizen")
    assert all(perms <= set(PERMISSIONS) for perms in DEVICE_PERMISSIONS.values())
    assert "zones:approve" in permissions_of("commander") and "pii:unmask" not in permissions_of("commander")
    assert "testing:write" in permissions_of("lab") and "cases:write" not in permissions_of("lab")


@pytest.mark.parametrize("code,prefix", [("", ""), ("14", "14"), ("1401", "1401"), ("140100000000", "1401"),
                                         ("140105", "140105"), ("140105000000", "140105"),
                                         ("140105001", "140105001"), ("140105001000", "140105001"),
                                         ("140105001007", "140105001007"), ("140000", "14")])
def test_normalise_code(code, prefix):
    assert normalise_code(code) == prefix


@pytest.mark.parametrize("bad", ["14a", "1401050010071"])
def test_bad_codes_are_refused(bad):
    with pytest.raises(ValueError):
        normalise_code(bad)


def test_subtree_examples():
    assert in_subtree("1401", "140105001001") and in_subtree("140105", "140105001001")
    assert not in_subtree("140106", "140105001001") and not in_subtree("1402", "140105001001")
    assert in_subtree("", "140105001001") and in_subtree(None, None)
    assert not in_subtree("140105", None)
    assert scope_prefix("admin", "140105") is None and scope_prefix("commander", "") is None
    assert scope_prefix("verifier", "140105001001") == "140105001001"


codes = st.builds(lambda p, c, d, s, m: f"{p:02d}{c:02d}{d:02d}{s:03d}{m:03d}",
                  st.integers(11, 65), st.integers(1, 99), st.integers(1, 99), st.integers(1, 999),
                  st.integers(1, 999))


@given(codes, st.sampled_from(LEVELS))
def test_a_record_is_in_the_subtree_of_each_of_its_ancestors(community, level):
    ancestor = community[:level]
    assert in_subtree(ancestor, community)
    assert in_subtree(ancestor.ljust(12, "0"), community)  # zero-padded form: the same subtree


@given(codes, codes, st.sampled_from(LEVELS))
def test_siblings_do_not_see_each_other(a, b, level):
    if a[:level] != b[:level]:
        assert not in_subtree(a[:level], b) and not in_subtree(b[:level], a)


@given(codes, st.sampled_from(LEVELS))
def test_normalise_is_idempotent(community, level):
    once = normalise_code(community[:level])
    assert normalise_code(once) == once and len(once) in LEVELS
