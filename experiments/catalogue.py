"""The losses and activations as the experiments know them, read from `custom_objects/catalogue.toml`, no Keras.

The sweep's driver composes and checks pairings while it plans, before any worker loads TensorFlow, so
this reads the catalogue file itself rather than `custom_objects.losses` (which builds the Keras classes
from the same file). Each entry's fields are explained at the top of the TOML.
"""

import importlib.util
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


def _catalogue_file():
    """custom_objects/catalogue.toml, found where Python finds the package (finding it runs none of its code, so
    Keras is not imported): beside this checkout, in site-packages, or where Ray unpacked the package."""
    spec = importlib.util.find_spec("custom_objects")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the custom_objects package is not importable here; install the suite (scripts/setup.sh).")
    return Path(next(iter(spec.submodule_search_locations))) / "catalogue.toml"


CATALOGUE_FILE = _catalogue_file()


@dataclass(frozen=True)
class ArgumentRule:
    """Where a numeric loss argument is defined: above / at least / at most its bounds; `why` gives the source."""

    above: float | None = None
    at_least: float | None = None
    at_most: float | None = None
    why: str = ""

    def allows(self, value):
        return (
            (self.above is None or value > self.above)
            and (self.at_least is None or value >= self.at_least)
            and (self.at_most is None or value <= self.at_most)
        )

    @property
    def words(self):
        """The rule in words: "a number above 0", "a number from 0 to 1", ..."""
        if self.at_least is not None and self.at_most is not None:
            return f"a number from {self.at_least:g} to {self.at_most:g}"
        if self.above is not None:
            return f"a number above {self.above:g}"
        if self.at_least is not None:
            return f"a number of at least {self.at_least:g}"
        return f"a number of at most {self.at_most:g}" if self.at_most is not None else "a number"


@dataclass(frozen=True)
class LossTraits:
    """One loss, as the composition grammar, the decoding and the atlas need to know it.

    family: which target encoding it takes: "elementwise" (the targets as they are), "hinge"
        ({-1, +1}), "categorical" (a row per example, one-hot or normalised multi-hot) or "sparse"
        (class ids);
    space: what it compares the outputs as: "probabilities" (becomes "logits" with from_logits=True),
        "values" (a distance to the target codes), "margins" (the hinge family's signed scores) or
        "rates" (Poisson's positive means);
    domain: (low, high, words) where its inputs make sense when they are not logits, or None;
    kwargs: argument -> default (the arguments Keras's loss takes that a pairing may set);
    rules: argument -> `ArgumentRule`, for the numeric arguments that are not defined everywhere;
    distribution: multi-hot targets are normalised to sum to 1 (it compares distributions);
    logits: the link of its `from_logits=True` form ("sigmoid" or "softmax"), or None;
    takes_log: it takes the log of its inputs (a non-positive input is not finite there);
    positive: its inputs must be above 0, not only at least 0 (Poisson's log p);
    renormalises: it scores o_k / sum_j o_j, so a row of outputs summing to 0 or less is undefined;
    keras_differs: where the hand-written loss and its Keras twin differ on purpose: each a dict with the
        `backends` and the output `heads` on whose outputs they differ, `from_logits` (the form; default
        false) and `why` (tests/test_loss_twins_on_heads.py checks them, and that they agree elsewhere).
    """

    family: str
    formula: str
    kwargs: dict
    space: str = "values"
    domain: tuple | None = None
    rules: dict = field(default_factory=dict)
    distribution: bool = False
    logits: str | None = None
    takes_log: bool = False
    positive: bool = False
    renormalises: bool = False
    keras_differs: tuple = ()


def _traits(entry):
    arguments = entry.get("arguments", {})
    rules = {
        k: ArgumentRule(v.get("above"), v.get("at_least"), v.get("at_most"), v.get("why", ""))
        for k, v in arguments.items()
        if {"above", "at_least", "at_most"} & set(v)
    }
    domain = entry.get("domain")
    return LossTraits(
        family=entry["family"],
        formula=entry["formula"],
        kwargs={k: v["default"] for k, v in arguments.items()},
        space=entry["space"],
        domain=None if domain is None else (float(domain[0]), float(domain[1]), domain[2]),
        rules=rules,
        distribution=entry.get("distribution", False),
        logits=entry.get("logits"),
        takes_log=entry.get("takes_log", False),
        positive=entry.get("positive", False),
        renormalises=entry.get("renormalises", False),
        keras_differs=tuple(entry.get("keras_differs", ())),
    )


def read_losses(entries, path=CATALOGUE_FILE):
    """{loss name: LossTraits} of the catalogue's `entries`, in its order; ValueError naming a malformed entry."""
    try:
        return {name: _traits(entry) for name, entry in entries.items()}
    except (KeyError, TypeError, IndexError) as error:
        raise ValueError(f"{path}: a loss entry is malformed ({type(error).__name__}: {error}).") from None


def read_activations(entries):
    """{activation name: (formula, (low, high) of its outputs, whether a pairing may name it as the head)}."""
    return {
        n: (e["formula"], (float(e["range"][0]), float(e["range"][1])), e.get("output", False))
        for n, e in entries.items()
    }


_CATALOGUE = tomllib.loads(CATALOGUE_FILE.read_text())
LOSSES = read_losses(_CATALOGUE["losses"])
ACTIVATIONS = read_activations(_CATALOGUE["activations"])
# The output activations a pairing can name, with their formulas (all hand-written in custom_objects.activations).
OUTPUT_ACTIVATIONS = {name: formula for name, (formula, _, output) in ACTIVATIONS.items() if output}
# The range of each activation's outputs.
RANGES = {name: bounds for name, (_, bounds, _) in ACTIVATIONS.items()}
