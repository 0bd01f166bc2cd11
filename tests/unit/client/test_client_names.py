"""matching_names: the one rule tap settings and target records use to find a definition."""

from __future__ import annotations

from constantcontact_client.names import matching_names

NAMES = ["VIP", "vip", "Newsletter", " Board Members ", "Prospects"]


def test_the_exact_spelling_wins_over_case_variants() -> None:
    assert matching_names("vip", NAMES) == ["vip"]
    assert matching_names("VIP", NAMES) == ["VIP"]


def test_otherwise_case_and_surrounding_blanks_are_ignored() -> None:
    assert matching_names("newsletter", NAMES) == ["Newsletter"]
    assert matching_names("board members", NAMES) == [" Board Members "]


def test_several_case_variants_are_an_ambiguity() -> None:
    assert matching_names("Vip", NAMES) == ["VIP", "vip"]


def test_an_unknown_name_matches_nothing() -> None:
    assert matching_names("Customers", NAMES) == []
    assert matching_names("Customers", []) == []
