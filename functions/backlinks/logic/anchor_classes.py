"""Anchor text classes, the view SEO teams use to spot over-optimised anchor profiles.

Rules, checked in this order. The first that matches decides the class:

1. ``empty_or_image``: the text has no letter or digit. Image links and links without text reach
   DataForSEO with an empty anchor, and a lone "»" or "-" carries no more meaning than an empty one.
2. ``naked_url``: the whole text is a URL or a host name, with or without a path: "https://x.com/",
   "www.x.com", "x.com/shop". Any host counts, not only the target's.
3. ``branded``: the text contains a brand term as whole words. Brand terms are the target's
   registrable name without its public suffix ("acme-shop" for blog.acme-shop.co.uk) written with
   hyphens, spaces or neither ("acme-shop", "acme shop", "acmeshop"), plus the terms the caller
   names. A brand term with a keyword ("Acme running shoes") is branded, so the exact and partial
   match classes contain only anchors without the brand, the ones over-optimisation reviews check.
4. ``exact_match``: the text equals one of the caller's keywords.
5. ``partial_match``: the text contains every word of one of the caller's keywords, in any order
   ("shoes for running" for "running shoes").
6. ``generic``: the text is a generic call to action ("click here", "read more", "hier", ...).
7. ``other``: anything else. Without keywords, exact and partial matches cannot be distinguished
   from other text, so they count here.

Matching compares case-folded, NFKC-normalised text with whitespace collapsed and punctuation at the
ends removed. The stored anchor text is never changed by it.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from backlinks.domains import registrable_name
from backlinks.errors import InvalidParameterError

BRANDED = "branded"
EXACT_MATCH = "exact_match"
PARTIAL_MATCH = "partial_match"
NAKED_URL = "naked_url"
GENERIC = "generic"
EMPTY_OR_IMAGE = "empty_or_image"
OTHER = "other"
ANCHOR_CLASSES = (BRANDED, EXACT_MATCH, PARTIAL_MATCH, NAKED_URL, GENERIC, EMPTY_OR_IMAGE, OTHER)

MAX_KEYWORDS = 20
MAX_BRAND_TERMS = 10
MAX_TERM_CHARACTERS = 100

# Generic calls to action in the languages most of our users' sites are written in. Compared after
# normalisation, so "Click here!" and "CLICK HERE" match "click here".
GENERIC_ANCHORS = frozenset(
    {
        # English
        "click here", "click", "here", "this", "read more", "more", "learn more", "more info",
        "more information", "see more", "details", "website", "this website", "web site", "site",
        "this site", "visit site", "visit website", "visit", "go to site", "official site",
        "official website", "homepage", "home page", "home", "link", "this link", "source", "page",
        "this page", "this article", "article", "continue reading", "check it out", "view",
        # German, French, Spanish, Italian, Dutch, Portuguese
        "hier", "hier klicken", "mehr", "weiterlesen", "mehr erfahren", "webseite", "quelle",
        "ici", "cliquez ici", "en savoir plus", "lire la suite", "site web",
        "aquí", "aqui", "haga clic aquí", "haz clic aquí", "leer más", "más información", "fuente",
        "qui", "clicca qui", "leggi di più", "scopri di più", "fonte", "sito",
        "klik hier", "lees meer", "meer info", "bron",
        "clique aqui", "saiba mais", "leia mais",
    }
)  # fmt: skip

_URL = re.compile(
    r"""^(?:(?:https?:)?//)?          # optional scheme
        (?:[\w-]+\.)+[^\W\d_]{2,}     # host name with a letter-only top-level label
        (?::\d+)?                     # optional port
        (?:[/?#]\S*)?$                # optional path, query or fragment
    """,
    re.VERBOSE,
)
_EDGE_PUNCTUATION = " \t\"'`.,;:!?()[]{}<>«»“”‘’„‚-–—|/\\*~"


def collapse_whitespace(text: str | None) -> str:
    """Return the anchor text as stored and shown: runs of whitespace become one space, ends trimmed."""
    return " ".join((text or "").split())


def normalise(text: str) -> str:
    """Return the text as the rules compare it: NFKC, case-folded, collapsed, edge punctuation removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split()).strip(_EDGE_PUNCTUATION)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


@dataclass(frozen=True)
class Classifier:
    """Classifies anchor texts for one target with the caller's keywords and extra brand terms."""

    brand_terms: tuple[str, ...]
    keywords: tuple[str, ...]

    @classmethod
    def for_target(
        cls, target: str, *, keywords: Sequence[str] = (), brand_terms: Sequence[str] = ()
    ) -> "Classifier":
        """Build the classifier. Raises InvalidParameterError (400) naming a bad keyword or brand term."""
        extra_brands = _checked_terms("brand", brand_terms, MAX_BRAND_TERMS)
        checked_keywords = _checked_terms("keyword", keywords, MAX_KEYWORDS)
        name = registrable_name(target)
        derived = {name, name.replace("-", " "), name.replace("-", "")}
        brands = tuple(dict.fromkeys(normalise(term) for term in (*sorted(derived), *extra_brands)))
        return cls(brand_terms=tuple(term for term in brands if term), keywords=checked_keywords)

    def classify(self, anchor: str | None) -> str:
        text = normalise(anchor or "")
        if not any(character.isalnum() for character in text):
            return EMPTY_OR_IMAGE
        if " " not in text and _URL.match(text):
            return NAKED_URL
        if any(_contains_phrase(text, term) for term in self.brand_terms):
            return BRANDED
        if text in self.keywords:
            return EXACT_MATCH
        words = set(_words(text))
        if any(set(_words(keyword)) <= words for keyword in self.keywords):
            return PARTIAL_MATCH
        if text in GENERIC_ANCHORS:
            return GENERIC
        return OTHER


def _contains_phrase(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def _checked_terms(name: str, values: Iterable[str], maximum: int) -> tuple[str, ...]:
    values = list(values)
    if len(values) > maximum:
        raise InvalidParameterError(
            name, f"{len(values)} values", f"at most {maximum} values are allowed, one per {name} parameter"
        )
    terms = []
    for value in values:
        term = normalise(value)
        if not _words(term):
            raise InvalidParameterError(name, value, "needs at least one letter or digit")
        if len(term) > MAX_TERM_CHARACTERS:
            raise InvalidParameterError(name, value, f"is longer than {MAX_TERM_CHARACTERS} characters")
        terms.append(term)
    return tuple(dict.fromkeys(terms))
