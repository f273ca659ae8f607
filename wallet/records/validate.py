"""FHIR R4 validation with ``fhir.resources`` (R4B models fit R4 data) plus the rules
those models do not enforce: required value-set bindings of the elements a patient's
record relies on, and JSON types of numbers and booleans (the models coerce ``"6.3"``
to a decimal; FHIR JSON does not allow it).
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRecord
from .parse import Located, ParsedFile
from .subjects import one_person

if TYPE_CHECKING:
    from fhir_core.fhirabstractmodel import FHIRAbstractModel

__all__ = ["in_file", "validate_file", "validate_resource"]

# Required bindings (FHIR R4) of top-level codes, by resource type and element.
REQUIRED_CODES: dict[tuple[str, str], frozenset[str]] = {
    ("Patient", "gender"): frozenset({"male", "female", "other", "unknown"}),
    ("Bundle", "type"): frozenset({
        "document", "message", "transaction", "transaction-response", "batch",
        "batch-response", "history", "searchset", "collection"}),
    ("Observation", "status"): frozenset({
        "registered", "preliminary", "final", "amended", "corrected", "cancelled",
        "entered-in-error", "unknown"}),
    ("Immunization", "status"): frozenset({"completed", "entered-in-error", "not-done"}),
    ("AllergyIntolerance", "criticality"): frozenset({"low", "high", "unable-to-assess"}),
    ("Encounter", "status"): frozenset({
        "planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
        "entered-in-error", "unknown"}),
}
_REQUIRED_BY_TYPE: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    rtype: tuple((element, allowed) for (t, element), allowed in REQUIRED_CODES.items() if t == rtype)
    for rtype, _element in REQUIRED_CODES
}
_NUMBER_KEYS = frozenset({"valueDecimal", "valueInteger", "valuePositiveInt", "valueUnsignedInt",
                          "multipleBirthInteger", "rank", "sequence"})
_BOOL_KEYS = frozenset({"valueBoolean", "active", "deceasedBoolean", "multipleBirthBoolean",
                        "primarySource", "doNotPerform"})
_QUANTITY_HINTS = frozenset({"unit", "code", "comparator"})  # ContactPoint/Identifier have system+value
# a member the JSON-type check looks at, and the first character of its value
_TYPED_MEMBER = re.compile(r'"(' + "|".join(sorted(_NUMBER_KEYS | _BOOL_KEYS | {"value"})) + r')"\s*:\s*(.)')


@cache
def _model(resource_type: str) -> type[FHIRAbstractModel]:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(resource_type)
    except (ValueError, KeyError, AttributeError) as exc:
        raise InvalidRecord(f"unknown resourceType {resource_type!r}") from exc


def _check_json_types(value: Any, path: str) -> list[str]:
    """Check JSON types the models coerce; return the ``urn:uuid:`` references seen.

    One walk without paths; only a resource that fails is walked again, in the same order,
    to name where (:func:`_located_json_types`)."""
    refs: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "value" in node and _QUANTITY_HINTS.intersection(node):
                v = node["value"]
                if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
                    return _located_json_types(value, path)
            for key, child in node.items():
                if isinstance(child, (dict, list)):
                    stack.append(child)
                elif key == "reference":
                    if isinstance(child, str) and child.startswith("urn:uuid:"):
                        refs.append(child)
                elif key in _NUMBER_KEYS:
                    if isinstance(child, bool) or not isinstance(child, (int, float, Decimal)):
                        return _located_json_types(value, path)
                elif key in _BOOL_KEYS and not isinstance(child, bool):
                    return _located_json_types(value, path)
        else:
            stack.extend(child for child in node if isinstance(child, (dict, list)))
    return refs


def _json_types_plainly_right(source: str) -> bool:
    """Whether :func:`_check_json_types` surely passes the resource parsed from the JSON text
    ``source`` (its whole text) and finds no ``urn:uuid:`` reference, read from the text:
    with no backslash in it, every member name is written as it is and no string holds a
    quote, so each member the check looks at is found by its name, and its value's first
    character says its JSON type (``-`` or a digit: a number; ``t``/``f``: true/false).
    ``False`` when in any doubt (then the parsed resource is walked)."""
    if "\\" in source or "urn:uuid:" in source:
        return False
    for member in _TYPED_MEMBER.finditer(source):
        key, first = member.group(1), member.group(2)
        if key in _BOOL_KEYS:
            if first not in "tf":
                return False
        elif first not in "-0123456789":
            return False
    return True


def _located_json_types(value: Any, path: str) -> list[str]:
    """:func:`_check_json_types`, naming the path of what is wrong (raises :class:`InvalidRecord`)."""
    refs: list[str] = []
    stack = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            if "value" in node and _QUANTITY_HINTS.intersection(node):
                v = node["value"]
                if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
                    raise InvalidRecord(f"{where}.value must be a JSON number, not {type(v).__name__}")
            for key, child in node.items():
                if isinstance(child, (dict, list)):
                    stack.append((child, f"{where}.{key}"))
                elif key == "reference":
                    if isinstance(child, str) and child.startswith("urn:uuid:"):
                        refs.append(child)
                elif key in _NUMBER_KEYS:
                    if isinstance(child, bool) or not isinstance(child, (int, float, Decimal)):
                        raise InvalidRecord(f"{where}.{key} must be a JSON number")
                elif key in _BOOL_KEYS and not isinstance(child, bool):
                    raise InvalidRecord(f"{where}.{key} must be true or false")
        else:
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(node) if isinstance(child, (dict, list)))
    return refs


# fhir.resources' and pydantic's wording of the errors people meet most, in plain words
_PRIMITIVE_MISMATCH = re.compile(r"(?:Value error, )?(\w+) value string does not match spec regex\.?")
_PRIMITIVE_FORMS = {
    "Date": "a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)",
    "DateTime": "a FHIR dateTime (such as 2024-03-10 or 2024-03-10T09:30:00+01:00)",
    "Instant": "a FHIR instant (such as 2024-03-10T09:30:00Z, with seconds and a zone)",
    "Time": "a FHIR time (hh:mm:ss)",
}
_PLAIN_MESSAGES = {
    "Extra inputs are not permitted": "is not an element of this resource type",
    "Field required": "is required",
}


def _plain(message: str, value: object) -> str | None:
    """``message`` in plain words, with the ``value`` given when it is short text or a
    number; ``None`` when it has no plain form."""
    given = f" ({str(value)[:40]!r})" if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
    mismatch = _PRIMITIVE_MISMATCH.fullmatch(message.strip())
    if mismatch:
        form = _PRIMITIVE_FORMS.get(mismatch.group(1), f"a valid FHIR {mismatch.group(1)}")
        return f"{given.strip()} is not {form}".strip()
    if "day value is outside expected range" in message or "month value is outside expected range" in message:
        return f"{given.strip()} is not a date on the calendar".strip()
    plain = _PLAIN_MESSAGES.get(message.strip())
    return plain


def _first_error(exc: Exception) -> str:
    """The first of a model's validation errors as ``path: message`` (in plain words
    where :func:`_plain` has them), with how many more there are."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            items = errors()
        except Exception:  # noqa: BLE001 - fall back to the text
            items = []
        if items:
            first = items[0]
            loc = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
            more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
            message = str(first.get("msg", "invalid"))
            plain = _plain(message, first.get("input"))
            if plain is not None:
                return f"{loc + ' ' if loc else ''}{plain}{more}"
            return f"{loc + ': ' if loc else ''}{message.removeprefix('Value error, ')}{more}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def in_file(name: str, exc: InvalidRecord) -> InvalidRecord:
    """``exc`` naming the file ``name`` once: a Bundle entry's position (``entry[3]``) gets
    the name before it, a single resource's position is the name already."""
    said = exc.user_message
    return InvalidRecord(said if said.startswith(f"{name}:") else f"{name} {said}")


def validate_resource(item: Located) -> list[str]:
    """Raise :class:`InvalidRecord` or return the ``urn:uuid:`` references it makes."""
    res = item.resource
    rt = res["resourceType"]
    try:
        model = _model(rt)
    except InvalidRecord as exc:
        raise InvalidRecord(f"{item.position}: {exc.user_message}") from exc
    for element, allowed in _REQUIRED_BY_TYPE.get(rt, ()):
        if element in res and (not isinstance(res[element], str) or res[element] not in allowed):
            raise InvalidRecord(f"{item.position}: {rt}.{element} {str(res[element])[:40]!r} is not one of "
                                f"{', '.join(sorted(allowed))}")
    try:
        refs = [] if item.source is not None and _json_types_plainly_right(item.source) else \
            _check_json_types(res, rt)
    except InvalidRecord as exc:
        raise InvalidRecord(f"{item.position}: {exc.user_message}") from exc
    try:
        model.model_validate(res)
    except Exception as exc:  # fhir.resources' validators raise more than ValidationError on odd input
        raise InvalidRecord(f"{item.position}: {rt} is not valid FHIR R4: {_first_error(exc)}") from exc
    return refs


def validate_file(parsed: ParsedFile, *, name: str, single_patient: bool = True) -> list[str]:
    """Validate every resource; the first problem rejects the whole file.

    Returns warnings: references to ``urn:uuid:`` targets that are not in the file.
    ``single_patient`` refuses a file whose records belong to two people (an import),
    judged by the patient each record refers to (:func:`~wallet.records.subjects.people_in_file`);
    a wallet's own backup holds every profile, a share one person.
    """
    if parsed.kind == "bundle":
        btype = parsed.bundle_type
        if btype is None:
            raise InvalidRecord(f"{name}: Bundle.type is required.")
        if btype not in REQUIRED_CODES[("Bundle", "type")]:
            raise InvalidRecord(f"{name}: Bundle.type {btype!r} is not a FHIR bundle type.")
    known = {item.full_url for item in parsed.items if item.full_url}
    warnings: list[str] = []
    for item in parsed.items:
        try:
            refs = validate_resource(item)
        except InvalidRecord as exc:
            raise in_file(name, exc) from exc
        if parsed.kind == "bundle":
            warnings.extend(f"{item.position} refers to {ref}, which is not in the file"
                            for ref in refs if ref not in known)
    if single_patient:
        one_person(parsed, name=name)
    return warnings
