"""Find lists, tags and custom fields by the name a user wrote.

The API keeps names as typed and does not document whether they are unique regardless of
case, so a name given in a setting or a record matches its exact spelling first, then every
name equal to it ignoring case and surrounding blanks. Callers treat more than one match as an
ambiguity to report, never as a guess.
"""

from __future__ import annotations

from collections.abc import Iterable


def matching_names(name: str, names: Iterable[str]) -> list[str]:
    """`[name]` when it is one of `names`; else the names equal to it ignoring case and
    surrounding blanks, sorted (none, one, or several: an ambiguity)."""
    candidates = list(names)
    if name in candidates:
        return [name]
    folded = name.strip().casefold()
    return sorted(key for key in candidates if key.strip().casefold() == folded)
