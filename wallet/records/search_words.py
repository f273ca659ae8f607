"""Other ways a typed search word is written in health records.

A patient types "seizures" where the record says "Seizure disorder", "anaemia" where it
says "Anemia", "flu" where it says "Influenza", "BMI" where it says "Body mass index". The
search index keeps each record's words as written (:mod:`.search_text`), so it is the
query that also asks for the word's other forms, each an alternative the record may hold:

- the singular and the plural (English inflection: ``-s``, ``-es``, ``-ies``);
- British and American spellings of medical word parts (``haem``/``hem``,
  ``oedema``/``edema``, ``tumour``/``tumor``…);
- a few words people use for what records name otherwise (``flu`` → influenza,
  ``BMI`` → body mass index, ``shot``/``vaccine`` → immunization).

A form that no record holds costs one lookup in the index and finds nothing, so the rules
may propose forms that are not words.
"""

from __future__ import annotations

__all__ = ["other_forms"]

MOST_FORMS = 8
"""At most this many other forms per word, so a query stays a handful of index lookups."""

# (British, American) parts of medical words; either typed finds the other
_SPELLINGS = (
    ("aemia", "emia"), ("haem", "hem"), ("oedema", "edema"), ("oesoph", "esoph"), ("oestr", "estr"),
    ("rrhoea", "rrhea"), ("paed", "ped"), ("foet", "fet"), ("anaesth", "anesth"), ("gynaec", "gynec"),
    ("ischaem", "ischem"), ("leukaem", "leukem"), ("tumour", "tumor"), ("isation", "ization"),
    ("ise", "ize"), ("yse", "yze"),
)
# what people say → what records write (one word typed, a word or phrase written)
_SAID_AS_WRITTEN = {
    "flu": ("influenza",),
    "bmi": ("body mass index",),
    "bp": ("blood pressure",),
    "sugar": ("glucose",),
    "pulse": ("heart rate",),
    "shot": ("immunization", "vaccine"),
    "shots": ("immunization", "vaccine"),
    "jab": ("immunization", "vaccine"),
    "vaccine": ("immunization",),
    "vaccines": ("immunization",),
    "vaccination": ("immunization",),
    "vaccinations": ("immunization",),
    "meds": ("medication",),
}


def _number_forms(word: str) -> list[str]:
    """The singular of a plural and the plural of a singular (English rules, no dictionary)."""
    if len(word) < 4 or not word.isalpha():
        return []
    if word.endswith("ies"):
        return [word[:-3] + "y"]
    if word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return [word[:-2], word[:-1]]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return [word[:-1]]
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return [word[:-1] + "ies"]
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return [word + "es"]
    return [word + "s"]


def _spelling_forms(word: str) -> list[str]:
    out = []
    for british, american in _SPELLINGS:
        if british in word:
            out.append(word.replace(british, american))
        elif american in word:
            out.append(word.replace(american, british))
    return out


def other_forms(word: str) -> tuple[str, ...]:
    """Other forms of ``word`` (lower case; the word itself not among them), at most
    :data:`MOST_FORMS`: its singular or plural, its other spelling, and what records call
    it. ``()`` for a word with no other form (a number, a code, a short word)."""
    key = word.casefold()
    if not key.isalpha():
        return ()
    number = [] if any(c.isupper() for c in word[1:]) else _number_forms(key)  # "mmHg", "HbA": not words
    found = list(number)
    for stem in (key, *number):
        found += _spelling_forms(stem)
        found += _SAID_AS_WRITTEN.get(stem, ())
    unique = [f for f in dict.fromkeys(found) if f != key and f]
    return tuple(unique[:MOST_FORMS])
