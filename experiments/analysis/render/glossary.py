"""The report's glossary: every metric, measure and word of its tables, and every pairing name it uses.

Metric words are defined here once; a test checks that each metric the records hold (`training.metrics.METRICS`)
and each run-level measure of the claims (`claims.claim_metrics.CLAIM_METRICS`) has its entry. Pairing names are
explained from `experiments.pairings` (each pairing's own note), so they cannot drift from what trained.
"""

from experiments.analysis.claims.claim_metrics import CLAIM_METRICS
from experiments.pairings import task_pairings

METRIC_WORDS = {
    "accuracy": "share of test images whose decoded prediction is right (one unit: the midpoint of its two target "
    "codes; several: the argmax)",
    "roc_auc": "area under the ROC curve of the output score: the chance a random plane outscores a random bird; "
    "0.5 is chance, and it needs no threshold",
    "macro_auc": "one-vs-rest ROC AUC per class, averaged over the 10 classes",
    "log_loss": "mean negative log-likelihood of the true class under the predicted probabilities (lower is better)",
    "brier": "mean squared difference between the predicted probabilities and the one-hot truth (lower is better)",
    "ece": "expected calibration error: over 10 confidence bins, the mean gap between confidence and accuracy, "
    "weighted by the bin's share of images (lower is better)",
    "mean_output_sum": "mean over test images of the sum of the 10 outputs (1 for a softmax head)",
    "mse": "mean squared error of the test predictions (cm² for iris; lower is better)",
    "mae": "mean absolute error of the test predictions (cm for iris; lower is better)",
    "r2": "coefficient of determination of the test predictions: 1 − MSE / the test targets' variance",
    "mean_residual": "mean of (target − prediction) over the test rows (cm)",
    "median_residual": "median of (target − prediction) over the test rows (cm)",
    "mean_ap": "mean over classes of the average precision of the output scores (multi-label)",
    "micro_f1": "F1 over all (image, label) decisions pooled",
    "macro_f1": "F1 per label at the decision rule, averaged over the 10 labels",
    "hamming_loss": "share of (image, label) decisions that are wrong at the decision rule (lower is better)",
    "subset_accuracy": "share of test images whose whole label set is predicted exactly",
    # The claims' run-level measures and balanced accuracy: their words are the claim-metric table's.
    **{m.name: m.definition for m in CLAIM_METRICS.values() if m.definition},
}

WORDS = {
    "pairing": "an output activation with a loss (and the units and targets they imply), trained on a task's model",
    "head, body": "the output layer (its units and activation), and the layers below it",
    "arm": "one pairing of a claim's or study's comparison",
    "mismatch": "a pairing other than the task's post pairing, compared with it (exploratory)",
    "margin": "the largest difference still called *similar*, declared per metric before the runs",
    "family": "the questions corrected together: all tested claims, or one task's mismatches",
    "pilot, power plan": "the first seeds, from whose effects and spreads the plan sizes each claim's fresh seeds",
    "undecidable": "a claim the power plan found, before any run, that its most seeds could not decide",
    "probe": "512 fixed training images on which the output gradient (and per-layer norms) are recorded per epoch",
    "saturated": "an output so close to a bound of its activation that the activation's slope is near 0",
    "bce, cce, sparse_cce": "binary, categorical and sparse (integer-label) categorical cross-entropy",
    "mse, mae, huber": "squared, absolute, and Huber (squared near 0, absolute beyond delta) error",
    "multinoulli": "the categorical distribution over the classes, the likelihood softmax + cross-entropy fits",
    "seed": "one training run's random start (weights, batch order); the unit of replication",
    "Δ, effect": "A − B, the mean over seeds of the paired difference, in the metric's own units",
    "95% t interval": "Student's t interval of the mean paired difference over seeds",
    "two-level bootstrap": "an interval from resampling seeds, then test images within each seed",
    "Holm-corrected p": "a p value adjusted for the other questions of its family (Holm's step-down method)",
    "TOST": "two one-sided tests: *similar* holds when the difference is shown above −margin and below +margin",
    "difference in differences": "a noise claim's effect: per seed, (A − B) on the noisy task minus (A − B) on the "
    "clean one; positive when A loses less to the noise",
    "collapsed": "a run that ends near chance or far below its own best epoch; counted, not dropped",
    "pack": "runs of one task and seed that differ only in their pairing, trained together as branches of one "
    "graph; each branch gets exactly the gradients it gets alone",
    "LeanAdam": "Adam with Keras's defaults, updating all of a pack's variables at once; used only where a "
    "run-time check finds it equal to keras.optimizers.Adam",
    "post pairing": "the output activation and loss the post uses for the task (its documented pairing)",
    "pairing name": "ACTIVATION[@UNITS]+LOSS[(key=value, ...)]: the output head and the loss, e.g. "
    "softmax@1+bce is a one-unit softmax head trained with binary cross-entropy",
    "*_body": "a hidden-activation arm: the post's head and loss, the body's activation swapped",
}


def _pairings(records):
    """{pairing name: its note} of every pairing the records hold, each task's pairings resolved once."""
    seen = {}
    for task in sorted({r["task"] for r in records}):
        known = task_pairings(task, records)
        for name in sorted({r["pairing"] for r in records if r["task"] == task}):
            if name in known:
                seen.setdefault(name, known[name].note)
    return seen


def glossary(records=(), metrics=None):
    """The glossary as Markdown: the metrics (all, or those in `metrics`), the words, the pairings `records` hold."""
    shown = {k: v for k, v in METRIC_WORDS.items() if metrics is None or k in metrics}
    lines = ["\n## Glossary\n", "**Metrics and measures**\n"]
    lines += [f"- `{k}`: {v}." for k, v in shown.items()]
    lines += ["", "**Words**\n"]
    lines += [f"- {k}: {v}." for k, v in WORDS.items()]
    pairings = _pairings(records)
    if pairings:
        lines += ["", "**Pairings** (as each task's table names them; the note is the pairing's own)\n"]
        lines += [f"- `{name}`: {note}." for name, note in sorted(pairings.items())]
    return "\n".join(lines) + "\n"
