from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

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


_ID_CHARS = st.sampled_from("0123456789X x١٢")


@given(st.lists(st.one_of(st.none(), st.text(_ID_CHARS, min_size=16, max_size=19),
                          st.builds(lambda b, q, at, ch: (lambda n: n[:at] + ch + n[at + 1:])(
                                        idnumber.make("140105", b, q)),
                                    st.dates(date(1000, 1, 1), date(9999, 12, 31)), st.integers(0, 999),
                                    st.integers(0, 40), _ID_CHARS)),
                max_size=40))
@settings(deadline=None)
def test_valid_mask_equals_is_valid_on_a_column(numbers):
    """The vectorised check (a register's millions of rows) says True exactly where is_valid does for an ASCII
    value given as stored (stripped, upper-cased); anything else is left to is_valid by the importer."""
    import pyarrow as pa

    mask = idnumber.valid_mask(pa.array(numbers, pa.string()))
    for n, m in zip(numbers, mask, strict=True):
        expected = n is not None and n.isascii() and n == n.strip().upper() and idnumber.is_valid(n)
        assert bool(m) == expected, n


def test_valid_mask_on_a_sliced_column_and_leap_days():
    import pyarrow as pa

    col = pa.array(["x", "11010519491231002X", idnumber.make("110105", date(2000, 2, 29), 1),
                    "110105190002290011", None, "440524188001010014"]).slice(1)
    assert idnumber.valid_mask(col).tolist() == [True, True, False, False, True]
    assert idnumber.valid_mask(pa.chunked_array([col, col])).tolist() == [True, True, False, False, True] * 2
