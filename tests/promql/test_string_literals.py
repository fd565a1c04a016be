from __future__ import annotations

from ember.promql.string_literals import invalid_utf8_strings


def test_byte_escapes_that_are_not_utf8_are_reported_as_parsed() -> None:
    assert invalid_utf8_strings(r'label_replace(m, "\xff", "", "src", "(.*)")') == frozenset({"\xff"})


def test_valid_utf8_byte_sequences_and_other_escapes_are_not() -> None:
    assert invalid_utf8_strings(r'label_replace(m, "\xc3\xa9", "\n", "s\u00e9", `\xff`)') == frozenset()
    assert invalid_utf8_strings(r"""m{a='\377'}""") == frozenset({"\xff"})
