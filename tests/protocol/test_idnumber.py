from datetime import date

from hypothesis import given, strategies as st

from fangkong.protocol import idnumber


def test_known_examples_are_valid():
    assert idnumber.is_valid("11010519491231002X")
    assert idnumber.is_valid("440524188001010014")


def test_wrong_check_char_and_shapes_are_invalid():
    assert not idnumber.is_valid("110105194912310021")
    assert not idnumber.is_valid("11010519491331002X")  # month 13
    assert not idnumber.is_valid("1101051949123100")
    assert not idnumber.is_valid("")
    assert not idnumber.is_valid(None)


def test_mask_keeps_first_three_and_last_four():
    assert idnumber.mask("110105194912311234") == "110***********1234"
    assert idnumber.mask_phone("13812345678") == "138****5678"


@given(st.dates(date(1900, 1, 1), date(2025, 12, 31)), st.integers(0, 999))
def test_made_numbers_validate_and_carry_sex(birth, seq):
    n = idnumber.make("140105", birth, seq)
    assert idnumber.is_valid(n)
    assert idnumber.birth_date_of(n) == birth
    assert idnumber.sex_of(n) == ("M" if seq % 2 else "F")


@given(st.dates(date(1900, 1, 1), date(2025, 12, 31)), st.integers(0, 999), st.integers(0, 16),
       st.integers(1, 9))
def test_any_single_digit_change_is_caught(birth, seq, pos, delta):
    n = idnumber.make("140105", birth, seq)
    changed = n[:pos] + str((int(n[pos]) + delta) % 10) + n[pos + 1:]
    assert not idnumber.is_valid(changed)
