"""Output-activation / loss pairings, defined once, as data, per task.

A pairing names the output head (activation and units), the loss (a name from
`custom_objects.LOSSES` and its arguments), the target encoding the loss needs, and
the link that turns the model's outputs into probabilities for evaluation. The
task's documented pairing (the post's) is the reference every other one is
compared against.
"""

import json
from dataclasses import dataclass, field

from experiments.composition import GRAMMAR, compose
from experiments.hidden_arms import hidden_pairings
from experiments.tasks import NOISE_TASKS, SHARE_TASKS, get_task, lookup


@dataclass(frozen=True, kw_only=True)
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

    @classmethod
    def composed(cls, name, c, note, documented=False):
        """The pairing named `name` that trains the `Composition` `c`."""
        return cls(
            name=name,
            activation=c.activation,
            units=c.units,
            loss=c.loss,
            target=c.target,
            link=c.link,
            note=note,
            loss_kwargs=dict(c.loss_kwargs),
            documented=documented,
        )

    @classmethod
    def from_spec(cls, spec):
        """The pairing a `spec()` dict (a config's or a record's `pairing_spec`) describes."""
        return cls(**{k: (dict(v) if k == "loss_kwargs" else v) for k, v in spec.items()})

    def spec(self):
        """The pairing as a plain dict, for the config and the record."""
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


def _named(task, entries):
    """The named pairings of `task`: (name, expression or None for the name itself, note).

    The one named as the task's `post_pairing` is the documented one."""
    kind, post, classes = get_task(task).kind, get_task(task).post_pairing, get_task(task).classes
    out = {}
    for name, expression, note in entries:
        c = compose(task, kind, expression or name, classes)
        out[name] = Pairing.composed(name, c, note, documented=name == post)
    if sum(p.documented for p in out.values()) != 1:
        raise ValueError(f"{task}: its post_pairing {post!r} must be one of its named pairings ({', '.join(out)}).")
    return out


PAIRINGS = {
    "sepal_width": _named(
        "sepal_width",
        [
            ("linear+mse", None, "the post: Gaussian likelihood, predicts the conditional mean"),
            ("linear+mae", None, "the post: Laplace likelihood, predicts the conditional median"),
            ("linear+huber", None, "quadratic near zero, linear in the tails"),
            ("sigmoid+mse", None, "mismatch: outputs bounded in (0, 1) cannot reach widths of 2-4.4 cm"),
        ],
    ),
    "bird_plane": _named(
        "bird_plane",
        [
            ("sigmoid+bce", None, "the post: Bernoulli likelihood"),
            ("sigmoid+mse", None, "the post's footnote: similar accuracy in similar time?"),
            ("softmax+sparse_cce", None, "two-unit softmax: the same model as sigmoid+bce, parameterised twice"),
            (
                "linear+bce",
                "linear+bce(from_logits=true)",
                "logits with from_logits=True: the stable form of sigmoid+bce",
            ),
            ("linear+mse", None, "regression on {0, 1} labels: a linear probability model"),
            ("tanh+squared_hinge", None, "margin loss on {-1, +1}: no probabilistic model"),
            ("linear+bce_probs", "linear+bce", "mistake: raw logits passed to BCE as if they were probabilities"),
            (
                "softmax@1+bce",
                None,
                'mistake: a one-unit softmax is 1 for every image ("my binary CNN always predicts 1"); no gradient',
            ),
            (
                "sigmoid+bce(from_logits=true)",
                None,
                "mistake: sigmoid applied twice (sigmoid head, loss told it gets logits): "
                "sigma(sigma(z)) in (0.5, 0.73)",
            ),
            (
                "relu+bce",
                None,
                "mistake: a ReLU head into BCE: outputs above 1 are clipped, a dead unit stops learning",
            ),
            (
                "tanh+hinge",
                None,
                "mistake as people make it: hinge on {0, 1} labels (Keras converts them to {-1, +1})",
            ),
            (
                "sigmoid+focal_balanced",
                "sigmoid+binary_focal_crossentropy(apply_class_balancing=true)",
                "focal loss (gamma 2) with class balancing (alpha 0.25) for rare positives (Lin et al. 2017)",
            ),
        ],
    ),
    "cifar10": _named(
        "cifar10",
        [
            ("softmax+sparse_cce", None, "the post: multinoulli likelihood"),
            ("softmax+mse", None, "square loss on softmax probabilities (one-hot targets)"),
            ("sigmoid+bce", None, "one-vs-rest sigmoids: outputs need not sum to 1"),
            (
                "linear+sparse_cce",
                "linear+sparse_cce(from_logits=true)",
                "logits with from_logits=True: the stable form of the post's model",
            ),
            (
                "softmax+sparse_cce_logits",
                "softmax+sparse_cce(from_logits=true)",
                "mistake: softmax applied twice (softmax head, loss told it gets logits)",
            ),
            ("linear+mse", None, "square loss on logits against one-hot targets"),
            ("softmax+mae", None, "absolute error on softmax probabilities"),
            (
                "softmax+cce",
                None,
                "the post: categorical cross-entropy on one-hot targets, the same loss as sparse_cce on class ids",
            ),
            ("softmax+bce", None, "mistake: BCE on a 10-class softmax (each unit scored as its own yes/no)"),
            (
                "softmax+cce_smoothed",
                "softmax+cce(label_smoothing=0.1)",
                "label smoothing 0.1 on one-hot targets (Szegedy et al. 2016; Muller, Kornblith & Hinton 2019)",
            ),
            ("sigmoid+cce", None, "mistake: CCE on sigmoid outputs (Keras renormalises them to sum to 1)"),
        ],
    ),
    "multilabel": _named(
        "multilabel",
        [
            ("sigmoid+bce", None, "the post's advice: an independent Bernoulli per class"),
            (
                "softmax+cce",
                None,
                "winner takes all: one distribution over classes, targets normalised to sum 1",
            ),
            ("linear+bce", "linear+bce(from_logits=true)", "logits with from_logits=True"),
            ("sigmoid+mse", None, "square loss on per-class sigmoids"),
        ],
    ),
}


# The mechanism variants reuse their base task's pairings (the same objects, the same notes).
PAIRINGS["bird_plane_saturated"] = {
    name: PAIRINGS["bird_plane"][name] for name in ("sigmoid+bce", "sigmoid+mse", "linear+bce")
}
PAIRINGS["bird_plane_saturated_sgd"] = PAIRINGS["bird_plane_saturated"]
PAIRINGS["sepal_width_fitted"] = {name: PAIRINGS["sepal_width"][name] for name in ("linear+mse", "linear+mae")}
PAIRINGS["sepal_width_outliers"] = {
    name: PAIRINGS["sepal_width"][name] for name in ("linear+mse", "linear+mae", "linear+huber")
}

# Hidden activations (reference 004): the post's output pairing on every task, the body's activation
# swept. The arms are named "<activation>_body"; the post's ReLU body is the documented one.
for _base in ("bird_plane", "cifar10"):
    PAIRINGS[f"{_base}_hidden"] = hidden_pairings(next(p for p in PAIRINGS[_base].values() if p.documented))
PAIRINGS["bird_plane_deep"] = PAIRINGS["bird_plane_hidden"]

# The conditions' tasks (`experiments.tasks.NOISE_TASKS`, `SHARE_TASKS`): the losses the literature compares there.
for _name in (
    n for n in NOISE_TASKS.values() if get_task(n).base
):  # Ghosh et al. 2017 (MAE), Janocha & Czarnecki 2017 (MSE) against CE
    PAIRINGS[_name] = {n: PAIRINGS["cifar10"][n] for n in ("softmax+sparse_cce", "softmax+mae", "softmax+mse")}
for _name in (
    n for n in SHARE_TASKS.values() if get_task(n).base
):  # Lin et al. 2017: focal loss with class balancing against BCE
    PAIRINGS[_name] = {n: PAIRINGS["bird_plane"][n] for n in ("sigmoid+bce", "sigmoid+focal_balanced")}


def named_like(task, base):
    """The named pairings of `base` (a built-in task of the same kind), composed anew for `task`: its matched
    pairing and the classic mistakes of that kind, sized to `task`'s own classes (a user's task)."""
    base_kind = get_task(base).kind
    entries = []
    for name, p in PAIRINGS[base].items():
        default = compose(base, base_kind, f"{p.activation}+{p.loss}").units
        at = f"@{p.units}" if p.units != default else ""
        args = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(p.loss_kwargs.items()))
        entries.append((name, f"{p.activation}{at}+{p.loss}" + (f"({args})" if args else ""), p.note))
    return _named(task, entries)


def task_pairings(task, records=()):
    """The named pairings of `task` (its default grid), then any composed ones that `records` of it hold."""
    named = lookup(PAIRINGS, "task", task)
    extra = {r["pairing"] for r in records if r["task"] == task and r["pairing"] not in named}
    return {**named, **{name: get_pairing(task, name) for name in sorted(extra)}}


DEFAULT_HIDDEN = "relu"  # the post's body: a pairing without a hidden activation trains this one


def _same_training(a, b):
    """Two pairings train the same model on the same targets and evaluate it the same way."""
    keys = ("activation", "units", "loss", "loss_kwargs", "target", "link")
    hidden = (a.hidden_activation or DEFAULT_HIDDEN) == (b.hidden_activation or DEFAULT_HIDDEN)
    return hidden and all(getattr(a, k) == getattr(b, k) for k in keys)


def get_pairing(task, name):
    """The pairing `name` of `task`: a named one, or one composed from its parts (`experiments.composition`).

    A composed pairing that trains the same head, loss and targets as a named one is that named
    pairing (the same run id), so `softmax+bce` on bird_plane is `softmax@1+bce`.

    Raises:
        ValueError: an unknown task, a name that does not parse, or a combination Keras refuses.
    """
    named = lookup(PAIRINGS, "task", task)
    if name in named:
        return named[name]
    try:
        c = compose(task, get_task(task).kind, name, get_task(task).classes)
    except ValueError as error:
        owners = [t for t, pairings in PAIRINGS.items() if name in pairings]
        if owners and str(error).startswith("Unknown"):  # a name, not a composition: sigmoid+focal_balanced
            raise ValueError(
                f"{name!r} is a named pairing of {', '.join(owners)}, not of {task}; {task}'s: {', '.join(named)}."
            ) from None
        if "+" not in name:
            raise ValueError(
                f"Unknown pairing for {task} {name!r}; name one of {', '.join(named)}, or compose one: {GRAMMAR}."
            ) from None
        raise error from None
    allowed = get_task(task).head_units
    if allowed is not None and c.units not in allowed:
        raise ValueError(
            f"{name!r} on {task}: its head has {c.units} units, but {task}'s model is built with "
            f"{' or '.join(map(str, allowed))} (it starts a one-unit output saturated); use a one-unit pairing."
        )
    return from_composition(task, c)


def from_composition(task, c):
    """The pairing of the `Composition` `c`: the named pairing of `task` that trains the same, else a new one.

    By what it trains, not by its name: the composition `linear+bce` (probabilities) is the named
    `linear+bce_probs`, not the named `linear+bce` (logits), whose name it shares.
    """
    named = lookup(PAIRINGS, "task", task)
    name = c.name
    if name in named and not c.loss_kwargs.get("from_logits"):
        # A named pairing holds this name for its logits form (linear+bce): say the default outright.
        name = f"{name.partition('(')[0]}(from_logits=false)"
    note = f"composed: Dense({c.units}, {c.activation}) + {name.partition('+')[2]} on {c.target} targets" + "".join(
        f"; {k} left out: Keras ignores it without apply_class_balancing=true" for k in c.inert
    )
    composed = Pairing.composed(name, c, note)
    return next((p for p in named.values() if _same_training(p, composed)), composed)


def documented_pairing(task):
    return next(p for p in task_pairings(task).values() if p.documented)
