"""Output-activation / loss pairings, defined once, as data, per task.

A pairing names the output head (activation and units), the loss (a name from
`custom_objects.LOSSES` and its arguments), the target encoding the loss needs, and
the link that turns the model's outputs into probabilities for evaluation. The
task's documented pairing (the post's) is the reference every other one is
compared against.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from experiments.tasks import lookup

# Target encodings: how a task's raw targets become what the loss expects.
TARGETS = ("value", "binary", "plus_minus_one", "integer", "one_hot", "multi_hot", "normalized_multi_hot")


@dataclass(frozen=True)
class Pairing:
    name: str
    activation: str
    units: int
    loss: str
    target: str
    link: str
    note: str
    loss_kwargs: dict = field(default_factory=dict)
    documented: bool = False
    # The body's hidden activation, for the tasks that sweep it (None: the task's own, the post's ReLU).
    hidden_activation: str | None = None

    def spec(self):
        """The pairing as a plain dict, for the record."""
        hidden = {} if self.hidden_activation is None else {"hidden_activation": self.hidden_activation}
        return {
            "name": self.name,
            "activation": self.activation,
            "units": self.units,
            "loss": self.loss,
            "loss_kwargs": dict(self.loss_kwargs),
            "target": self.target,
            "link": self.link,
            "documented": self.documented,
            "note": self.note,
            **hidden,
        }


def _pairings(*items):
    return {p.name: p for p in items}


P = Pairing
LOGITS = {"from_logits": True}

PAIRINGS = {
    "sepal_width": _pairings(
        P(
            "linear+mse",
            "linear",
            1,
            "mse",
            "value",
            "identity",
            "the post: Gaussian likelihood, predicts the conditional mean",
            documented=True,
        ),
        P(
            "linear+mae",
            "linear",
            1,
            "mae",
            "value",
            "identity",
            "the post: Laplace likelihood, predicts the conditional median",
        ),
        P("linear+huber", "linear", 1, "huber", "value", "identity", "quadratic near zero, linear in the tails"),
        P(
            "sigmoid+mse",
            "sigmoid",
            1,
            "mse",
            "value",
            "identity",
            "mismatch: outputs bounded in (0, 1) cannot reach widths of 2-4.4 cm",
        ),
    ),
    "bird_plane": _pairings(
        P("sigmoid+bce", "sigmoid", 1, "bce", "binary", "identity", "the post: Bernoulli likelihood", documented=True),
        P(
            "sigmoid+mse",
            "sigmoid",
            1,
            "mse",
            "binary",
            "identity",
            "the post's footnote: similar accuracy in similar time?",
        ),
        P(
            "softmax+sparse_cce",
            "softmax",
            2,
            "sparse_cce",
            "integer",
            "identity",
            "two-unit softmax: the same model as sigmoid+bce, parameterised twice",
        ),
        P(
            "linear+bce",
            "linear",
            1,
            "bce",
            "binary",
            "sigmoid",
            "logits with from_logits=True: the stable form of sigmoid+bce",
            loss_kwargs=LOGITS,
        ),
        P(
            "linear+mse",
            "linear",
            1,
            "mse",
            "binary",
            "clip",
            "regression on {0, 1} labels: a linear probability model",
        ),
        P(
            "tanh+squared_hinge",
            "tanh",
            1,
            "squared_hinge",
            "plus_minus_one",
            "tanh",
            "margin loss on {-1, +1}: no probabilistic model",
        ),
        P(
            "linear+bce_probs",
            "linear",
            1,
            "bce",
            "binary",
            "clip",
            "mistake: raw logits passed to BCE as if they were probabilities",
        ),
    ),
    "cifar10": _pairings(
        P(
            "softmax+sparse_cce",
            "softmax",
            10,
            "sparse_cce",
            "integer",
            "identity",
            "the post: multinoulli likelihood",
            documented=True,
        ),
        P(
            "softmax+mse",
            "softmax",
            10,
            "mse",
            "one_hot",
            "identity",
            "square loss on softmax probabilities (one-hot targets)",
        ),
        P(
            "sigmoid+bce",
            "sigmoid",
            10,
            "bce",
            "one_hot",
            "identity",
            "one-vs-rest sigmoids: outputs need not sum to 1",
        ),
        P(
            "linear+sparse_cce",
            "linear",
            10,
            "sparse_cce",
            "integer",
            "softmax",
            "logits with from_logits=True: the stable form of the post's model",
            loss_kwargs=LOGITS,
        ),
        P(
            "softmax+sparse_cce_logits",
            "softmax",
            10,
            "sparse_cce",
            "integer",
            "identity",
            "mistake: softmax applied twice (softmax head, loss told it gets logits)",
            loss_kwargs=LOGITS,
        ),
        P("linear+mse", "linear", 10, "mse", "one_hot", "clip", "square loss on logits against one-hot targets"),
        P("softmax+mae", "softmax", 10, "mae", "one_hot", "identity", "absolute error on softmax probabilities"),
        P(
            "softmax+cce",
            "softmax",
            10,
            "cce",
            "one_hot",
            "identity",
            "the post: categorical cross-entropy on one-hot targets, the same loss as sparse_cce on class ids",
        ),
    ),
    "multilabel": _pairings(
        P(
            "sigmoid+bce",
            "sigmoid",
            10,
            "bce",
            "multi_hot",
            "identity",
            "the post's advice: an independent Bernoulli per class",
            documented=True,
        ),
        P(
            "softmax+cce",
            "softmax",
            10,
            "cce",
            "normalized_multi_hot",
            "identity",
            "winner takes all: one distribution over classes, targets normalised to sum 1",
        ),
        P(
            "linear+bce",
            "linear",
            10,
            "bce",
            "multi_hot",
            "sigmoid",
            "logits with from_logits=True",
            loss_kwargs=LOGITS,
        ),
        P("sigmoid+mse", "sigmoid", 10, "mse", "multi_hot", "identity", "square loss on per-class sigmoids"),
    ),
}


# The mechanism variants reuse their base task's pairings (the same objects, the same notes).
PAIRINGS["bird_plane_saturated"] = {
    name: PAIRINGS["bird_plane"][name] for name in ("sigmoid+bce", "sigmoid+mse", "linear+bce")
}
PAIRINGS["bird_plane_saturated_sgd"] = PAIRINGS["bird_plane_saturated"]
PAIRINGS["sepal_width_outliers"] = {
    name: PAIRINGS["sepal_width"][name] for name in ("linear+mse", "linear+mae", "linear+huber")
}

# Hidden activations (reference 004): the post's output pairing on every task, the body's activation
# swept. The arms are named "<activation>_body"; the post's ReLU body is the documented one.
HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "gelu", "swish")
HIDDEN_NOTES = {
    "relu": "the post's body: max(0, z)",
    "leaky_relu": "max(0.2 z, z) (Keras's slope): negative inputs keep a gradient",
    "tanh": "zero-centred, saturates for large |z|",
    "sigmoid": "saturates for large |z|, slope at most 0.25, not zero-centred",
    "gelu": "z Phi(z): smooth, the Transformers' choice",
    "swish": "z sigma(z): smooth",
}


def hidden_pairings(output):
    """One arm per hidden activation, each with the `output` pairing's head and loss."""
    return {
        f"{h}_body": replace(
            output,
            name=f"{h}_body",
            note=f"hidden layers {HIDDEN_NOTES[h]}; the post's {output.name} head",
            documented=h == "relu",
            hidden_activation=h,
        )
        for h in HIDDEN_ACTIVATIONS
    }


for _base in ("bird_plane", "cifar10"):
    PAIRINGS[f"{_base}_hidden"] = hidden_pairings(next(p for p in PAIRINGS[_base].values() if p.documented))
PAIRINGS["bird_plane_deep"] = PAIRINGS["bird_plane_hidden"]


def task_pairings(task):
    return lookup(PAIRINGS, "task", task)


def get_pairing(task, name):
    return lookup(task_pairings(task), f"pairing for {task}", name)


def documented_pairing(task):
    return next(p for p in task_pairings(task).values() if p.documented)


def encode_targets(y, target, units):
    """Raw task targets (values, class ids or multi-hot rows) in the encoding a loss needs."""
    y = np.asarray(y)
    if target == "value":
        return y.astype("float32").reshape(len(y), -1)
    if target == "binary":
        return y.astype("float32").reshape(-1, 1)
    if target == "plus_minus_one":
        return (2.0 * y.astype("float32") - 1.0).reshape(-1, 1)
    if target == "integer":
        return y.astype("int32").reshape(-1)
    if target == "one_hot":
        return np.eye(units, dtype="float32")[y.astype(int).reshape(-1)]
    if target == "multi_hot":
        return y.astype("float32")
    if target == "normalized_multi_hot":
        y = y.astype("float32")
        return y / np.maximum(y.sum(axis=1, keepdims=True), 1.0)
    raise ValueError(f"Unknown target encoding {target!r}; valid: {', '.join(TARGETS)}.")
