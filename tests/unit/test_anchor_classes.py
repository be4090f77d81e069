"""The anchor class rules of logic/anchor_classes.py, one case per rule and per tie between rules."""

import pytest

from backlinks.errors import InvalidParameterError
from backlinks.logic.anchor_classes import (
    MAX_BRAND_TERMS,
    MAX_KEYWORDS,
    Classifier,
    collapse_whitespace,
)

ACME = Classifier.for_target("blog.acme-shop.co.uk", keywords=["running shoes", "Trail Runners"])


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        # 1. no letter or digit
        (None, "empty_or_image"),
        ("", "empty_or_image"),
        ("  \u00a0 ", "empty_or_image"),
        ("»", "empty_or_image"),
        # 2. the whole text is a URL or a host, of any site
        ("https://acme-shop.co.uk/", "naked_url"),
        ("http://other.com/page?x=1", "naked_url"),
        ("//cdn.other.com/a.png", "naked_url"),
        ("www.other.com", "naked_url"),
        ("other.com/shop", "naked_url"),
        ("münchen.de", "naked_url"),
        # 3. a brand term as whole words, spelled with hyphen, space or neither
        ("Acme-Shop", "branded"),
        ("acme shop reviews", "branded"),
        ("AcmeShop", "branded"),
        ("Visit acme-shop.co.uk today", "branded"),
        ("Acme Shop running shoes", "branded"),
        ("acmeshopping", "other"),
        # 4. equal to a keyword after case folding, collapsing and edge punctuation
        ("Running  Shoes!", "exact_match"),
        ("“trail runners”", "exact_match"),
        # 5. every word of a keyword, in any order
        ("best running shoes 2026", "partial_match"),
        ("shoes for running", "partial_match"),
        ("running gear", "other"),
        # 6. generic calls to action, several languages
        ("Click here", "generic"),
        ("READ MORE…", "generic"),
        ("hier klicken", "generic"),
        ("en savoir plus", "generic"),
        # 7. everything else
        ("great article about shoes", "other"),
        ("v1.2 release", "other"),
        ("3.14", "other"),
    ],
)
def test_rules(anchor, expected):
    assert ACME.classify(anchor) == expected


def test_without_keywords_matches_are_other():
    plain = Classifier.for_target("acme-shop.co.uk")

    assert plain.classify("running shoes") == "other"
    assert plain.classify("Acme Shop") == "branded"


def test_caller_brands_extend_domain():
    classifier = Classifier.for_target("acme-shop.co.uk", brand_terms=["Acme Corporation"])

    assert classifier.classify("ACME corporation careers") == "branded"
    assert classifier.brand_terms[-1] == "acme corporation"


def test_brand_of_an_idn_target_is_unicode():
    classifier = Classifier.for_target("xn--mnchen-3ya.de")

    assert classifier.brand_terms == ("münchen",)
    assert classifier.classify("Hotels in München") == "branded"


def test_brand_under_a_private_suffix():
    assert Classifier.for_target("myblog.blogspot.com").classify("MyBlog posts") == "branded"


def test_keywords_ignore_width_and_case():
    classifier = Classifier.for_target("example.com", keywords=["ＳＥＯ tools"])

    assert classifier.keywords == ("seo tools",)
    assert classifier.classify("SEO TOOLS") == "exact_match"


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"keywords": ["  "]}, "keyword"),
        ({"keywords": ["!!!"]}, "keyword"),
        ({"keywords": ["k"] * (MAX_KEYWORDS + 1)}, "keyword"),
        ({"brand_terms": ["b"] * (MAX_BRAND_TERMS + 1)}, "brand"),
        ({"brand_terms": ["x" * 101]}, "brand"),
    ],
)
def test_bad_terms_name_the_parameter(arguments, named):
    with pytest.raises(InvalidParameterError) as raised:
        Classifier.for_target("example.com", **arguments)

    assert raised.value.details["parameter"] == named


def test_collapse_keeps_text_but_whitespace():
    assert collapse_whitespace(" Straße  für\u00a0Läufer \t") == "Straße für Läufer"
    assert collapse_whitespace('=HYPERLINK("x")') == '=HYPERLINK("x")'
    assert collapse_whitespace(None) == ""
