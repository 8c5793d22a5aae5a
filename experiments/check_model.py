"""`python -m experiments check MODEL.keras`: a saved, compiled Keras model's output head and loss, named as a
pairing in the suite's grammar, and what the committed evidence says of that pairing.

It reads (`experiments.saved_model`: never trains, never changes the file):
- the head: the last layer, a `Dense(units, activation)`, or a linear `Dense` followed by an `Activation`;
- the loss the model was compiled with, and its arguments (`from_logits`, ...); the metrics;
- with `--targets FILE` (`.npy`, or `.csv` of numbers), how the labels are encoded, which decides the task
  kind (binary, class ids, one-hot, multi-hot, real values); without it, the kind follows from the head and loss.

The pairing is then judged on the suite's task of that kind (`judge`): exit 0 where it is the matched pairing
or the evidence says it learns as the matched one does, 1 where the evidence says it misleads or fails (so a
user's CI can run it), 2 on bad input. The evidence comes from the committed records (`experiments.explain`):
Keras's own objects on this process's backend first (`results/keras_objects`), then the claims, then the atlas.
"""

from pathlib import Path

from experiments.catalogue import LOSSES
from experiments.composition import TARGET_UNITS
from experiments.explain import explain_pages, page_text
from experiments.loss_on_tensors import read_numbers
from experiments.saved_model import load, read_head, read_loss, read_metrics
from experiments.tasks import TASK_OF_KIND
from experiments.tasks.yours import kind_of

KINDS_IN_WORDS = {
    "binary": "one label 0 or 1 per example",
    "multiclass": "one class id per example (or one-hot rows)",
    "multilabel": "several 0/1 labels per example (multi-hot rows)",
    "regression": "real values",
}


def kind_of_head(activation, units, loss):
    """The task kind a head and loss most likely serve, where no targets are given: a categorical or sparse loss
    serves classes; one unit, a binary label (a probability, logit or margin loss, or a squashing head) or a value;
    several units, labels per unit (multi-label) or values."""
    traits = LOSSES[loss]
    if traits.family in ("sparse", "categorical"):
        return "multiclass"
    labels = traits.space in ("probabilities", "margins") or activation in ("sigmoid", "softmax", "tanh")
    if units == 1:
        return "binary" if labels else "regression"
    return "multilabel" if labels else "regression"


def pairing_name(activation, units, loss, kwargs, kind):
    """The pairing in the suite's grammar (`experiments.composition`): `ACTIVATION[@UNITS]+LOSS[(k=v, ...)]`.

    A head of several units on classes or labels is named at the suite's task's own count (its evidence was
    measured on CIFAR-10's 10 classes); only a count that changes what the head can do is kept (one unit)."""
    sparse_units, other_units = TARGET_UNITS[kind]
    default = sparse_units if LOSSES[loss].family == "sparse" else other_units
    if kind in ("multiclass", "multilabel") and units >= 2:
        units = default
    at = f"@{units}" if units != default else ""
    if "from_logits" in LOSSES[loss].kwargs:  # said even at its default: `linear+bce` names the logits form
        kwargs = {"from_logits": False, **kwargs}
    args = ",".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in sorted(kwargs.items()))
    return f"{activation}{at}+{loss}{f'({args})' if args else ''}"


NO_EVIDENCE = "no evidence in the committed records on this pairing"


def judge(page):
    """(exit code, why) for a page of `explain_pages`: 0 where the pairing is the matched one or learns as it does,
    1 where the evidence says it misleads or fails. Keras's own objects on this backend come first (they are
    what a user's compiled model runs), then the claims, then the atlas; with none, 0 and "no evidence". The
    other backends' words are said too: a saved model moves between backends, and a mistake Keras undoes on
    one bites on another."""
    code, why = _judge(page)
    backend = page["keras_now"]["backend"]
    elsewhere = [f"on {c['backend']}: {c['word']}" for c in page["keras_objects"] if c["backend"] != backend]
    if page["keras_objects"] and not page["matched"]:
        why += f"; with Keras's own objects {'; '.join(elsewhere)}" if elsewhere else ""
        if code == 0:
            why += f". It passes here, but it is not the matched pairing: use {page['use_instead']} anyway"
    return code, why


def _judge(page):
    from experiments.analysis.claims.claim_metrics import MARGINS

    if page["matched"]:
        return 0, "it is the task's matched pairing"
    backend = page["keras_now"]["backend"]
    unsettled = ""
    for c in page["keras_objects"]:
        if c["backend"] != backend:
            continue
        measured = (
            f"with Keras's own objects on {backend} it costs {c['cost']:.3f} accuracy [{c['low']:.3f}, "
            f"{c['high']:.3f}] against {page['use_instead']} ({c['seeds']} seeds, {c['source']})"
        )
        if c["word"] == "bites":
            return 1, f"{measured}: it bites"
        if c["word"] == "undone":
            return 0, f"{measured}: undone, because Keras's loss on {backend} reads the logits behind the head"
        if c["word"] == "harmless":
            return 0, f"{measured}: harmless"
        unsettled = f"{measured}: inconclusive; so judged by the suite's own objects: "
    for c in page["claims"]:
        if c["verdict"] != "supported":
            continue
        test = c["test"]
        if c["b"] == page["pairing"] and " better vs " in test:
            return 1, f"{unsettled}claim {c['claim']} ({c['study']}): {test}: supported, {c['effect_text']}"
        if c["a"] == page["pairing"] and (" similar vs " in test or " not worse vs " in test):
            return 0, f"{unsettled}claim {c['claim']} ({c['study']}): {test}: supported, {c['effect_text']}"
    atlas = page["atlas"]
    if atlas is None:
        return 0, f"{unsettled}{NO_EVIDENCE}; train it beside the matched one to know"
    where = f"{unsettled}the atlas ({page['task']}, {atlas['seeds']} seeds, {atlas['source']})"
    if atlas["class"] != "learns":
        return 1, f"{where}: {atlas['class']}" + (f"; {atlas['reasons']}" if atlas["reasons"] else "")
    head, matched = atlas["headline"], atlas["matched_headline"]
    if page["task"] != "sepal_width" and head is not None and matched is not None:
        if head < matched - MARGINS["accuracy"][0]:
            return 1, f"{where}: it learns, but its accuracy {head:.3f} is below the matched {matched:.3f}"
        return 0, f"{where}: it learns; accuracy {head:.3f} against the matched {matched:.3f}"
    return 0, f"{where}: it learns"


def check(path, targets=None, kind=None):
    """What `check` says of the model saved at `path`: a dict with the head, loss, metrics, kind, pairing, the
    `explain` page, the exit code and why.

    Raises:
        ValueError: bad input (`load`, `read_head`, `read_loss`, `read_numbers`, `yours.kind_of`); one line.
    """
    from experiments.pairings import get_pairing

    model = load(path)
    activation, units = read_head(model)
    loss, kwargs = read_loss(model)
    if kind is None and targets is not None:
        kind, _ = kind_of(read_numbers(targets, "--targets"), None, units)
    kind = kind or kind_of_head(activation, units, loss)
    task = TASK_OF_KIND[kind]
    name = pairing_name(activation, units, loss, kwargs, kind)
    try:
        name = get_pairing(task, name).name  # a named pairing's name where it is one (`linear+bce_probs`)
    except ValueError as error:
        raise ValueError(f"{Path(path).name}: {name} on {kind} targets: {error}") from None
    (page,) = explain_pages(name, task)
    code, why = judge(page)
    if kwargs.get("label_smoothing", 0) >= 1:  # y (1 - s) + s / k: at s = 1 every target is the same
        code, why = (
            1,
            (
                f"label_smoothing={kwargs['label_smoothing']} makes every target the same (1/2 for bce, uniform for "
                "cce): the loss no longer depends on the label, and nothing can be learned"
            ),
        )
    others = {k: v for k, v in kwargs.items() if k != "from_logits"}
    if why.startswith(NO_EVIDENCE) and others:  # judged by the same head and loss at Keras's other defaults
        base = get_pairing(
            task, pairing_name(activation, units, loss, {k: v for k, v in kwargs.items() if k not in others}, kind)
        ).name
        code, base_why = judge(explain_pages(base, task)[0])
        if not base_why.startswith(NO_EVIDENCE):
            args = ", ".join(f"{k}={v}" for k, v in others.items())
            why = f"judged by {base}, the same head and loss without {args} (no evidence on {name} itself): {base_why}"
    return {
        "model": str(path),
        "head": {"activation": activation, "units": units},
        "loss": {"name": loss, "arguments": kwargs},
        "metrics": read_metrics(model),
        "kind": kind,
        "task": task,
        "pairing": name,
        "explain": page,
        "exit_code": code,
        "why": why,
    }


def check_text(found):
    """The `check` result as lines of text: what was read, the verdict, then what `explain` says."""
    args = ", ".join(f"{k}={v}" for k, v in found["loss"]["arguments"].items())
    args = f"({args})" if args else ""
    verdict = "learns as the matched pairing does, here" if found["exit_code"] == 0 else "misleads or fails"
    lines = [
        f"{found['model']}: head Dense({found['head']['units']}, {found['head']['activation']}), loss "
        f"{found['loss']['name']}{args}, metrics {', '.join(map(str, found['metrics'])) or 'none'}",
        f"targets: {KINDS_IN_WORDS[found['kind']]} ({found['kind']}); the suite's task of that kind: {found['task']}",
        f"pairing: {found['pairing']}",
        f"verdict: {verdict} ({found['why']})",
        "",
        "\n  ".join(page_text(found["explain"])),
    ]
    return "\n".join(lines)
