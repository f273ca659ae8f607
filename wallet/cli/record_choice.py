"""What ``--type`` names on the command line: a category or a FHIR resource type.

``records``, ``export``, ``grant`` and ``shl create`` read it the same way: each value is
a category (Lab results, Medications, …) or a FHIR R4 resource type (Observation, …),
either in any case, and a value that is neither is refused by name instead of choosing
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import WalletError
from ..services import CATEGORIES, RESOURCE_TYPES

__all__ = ["types_and_categories"]

_CATEGORY = {c.lower(): c for c in CATEGORIES}
_TYPE = {t.lower(): t for t in RESOURCE_TYPES}


def types_and_categories(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(resource types, categories)`` of ``values``, each spelt as the wallet spells it,
    in the order given. Raises :class:`WalletError` naming the first value that is neither."""
    types: list[str] = []
    categories: list[str] = []
    for value in values:
        key = value.strip().lower()
        if key in _CATEGORY:
            categories.append(_CATEGORY[key])
        elif key in _TYPE:
            types.append(_TYPE[key])
        else:
            raise WalletError(f"Unknown type {value!r}; give a category ({', '.join(CATEGORIES)}) "
                              "or a FHIR resource type such as Observation.")
    return types, categories
