"""Each claim's quote is found in the reference text it cites (gaps marked [...] or ..., editorial insertions in
[brackets]); a claim the reference texts do not make says it is the suite's own hypothesis and names its textbook."""

import re
from pathlib import Path

import pytest

from experiments.analysis.claims.claim_list import CLAIMS

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
FILES = {"the post": "001", "reference 000": "000", "reference 003": "003", "reference 004": "004"}
OWN = "the suite's own hypothesis"
LITERATURE = re.compile(
    r"^the literature's hypothesis \((?P<authors>[A-Z][^()]+) (?P<year>(19|20)\d\d)\b.*'[^']+'\), in the suite's words"
)


def _letters(text):
    """Only letters and digits, lower case: the texts' quotation marks and markup differ in encoding."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _cited_text(source):
    key = next((k for k in FILES if source.startswith(k)), None)
    if key is None:
        return None
    (path,) = REFERENCE.glob(f"{FILES[key]}_*.txt")
    return _letters(path.read_text(errors="replace"))


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="the reference texts lie in ../shared/reference")
@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_each_claims_quote_is_in_the_text_it_cites(claim):
    """Tested and descriptive claims alike: what the report prints in quotation marks is the text's own words."""
    if OWN in claim.source:
        assert "Nielsen" in claim.source  # the textbook it comes from
        return
    if claim.source.startswith("the literature's"):  # a paper's finding in the suite's words: authors, year, title
        assert LITERATURE.match(claim.source), claim.source
        assert claim.study == "conditions"
        return
    text = _cited_text(claim.source)
    assert text is not None, f"{claim.id} cites {claim.source!r}, which is none of the reference texts"
    pieces = [p for p in re.split(r"\[\.\.\.\]|\.\.\.|\[[^\]]*\]", claim.quote) if _letters(p)]
    for piece in pieces:
        assert _letters(piece) in text, f"{claim.id}: {piece!r} is not in {claim.source}"
