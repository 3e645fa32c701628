"""The bracket count behind `key_lines` takes a fast path for lines whose strings all close; it
must count what the character scan counts, on any line."""

from hypothesis import given, settings
from hypothesis import strategies as st

from devenv.config.locate import _bracket_balance, _scanned_balance

# The characters that matter to the count, and a few that do not.
LINE = st.text(alphabet="[]{}\"'#\\ a=.\t", max_size=40)


@settings(max_examples=3000)
@given(LINE)
def test_fast_count_equals_the_scan(line: str) -> None:
    assert _bracket_balance(line) == _scanned_balance(line)


def test_known_lines() -> None:
    assert _bracket_balance('cmd = ["a [", \'b ]\', "c\\"["] # [') == 0
    assert _bracket_balance("rules = [  # the rules") == 1
    assert _bracket_balance('x = "it\'s [" ]') == -1
    assert _bracket_balance("[services.web]") == 0
    assert _bracket_balance("a = [1, # it's") == 1
