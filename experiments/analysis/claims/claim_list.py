"""Every claim the suite tests, as data: the sentence, its source, and how it is tested.

The report renders these entries with the numbers of the records; no sentence of it carries
a number or a verdict typed by hand. Margins are declared (`claim_metrics.CLAIM_METRICS`) before any result is
seen, with the reason for each. The post's own claims are here; the mechanisms' and the hidden
activations' are in `mechanism_claims`.
"""

from experiments.analysis.claims.claim import Claim
from experiments.analysis.claims.claim_metrics import MARGINS
from experiments.analysis.claims.condition_claims import CONDITION_CLAIMS
from experiments.analysis.claims.mechanism_claims import HIDDEN_CLAIMS, MECHANISM_CLAIMS

__all__ = ["CLAIMS", "MARGINS", "NOT_TESTED", "STUDIES", "STUDY_TITLES", "Claim", "shown_claims"]

CLAIMS = (
    Claim(
        "footnote_accuracy",
        "with mean squared error [the bird/plane sigmoid CNN] will attain similar accuracy",
        "the post, footnote to the bird/plane model",
        "bird_plane",
        "equivalence",
        "accuracy",
        "sigmoid+mse",
        "sigmoid+bce",
        in_words="MSE on a sigmoid reaches the same accuracy as binary cross-entropy (bird/plane)",
    ),
    Claim(
        "footnote_speed",
        "... in similar time",
        "the post, footnote to the bird/plane model",
        "bird_plane",
        "not worse",
        "aulc",
        "sigmoid+mse",
        "sigmoid+bce",
        note="Learning speed as the area under the test-accuracy curve over epochs 0 to the last, divided by the "
        "number of epochs (the trapezoid rule: mean test accuracy with the first and last epochs weighted half). "
        "Wall time separates the two only for runs trained alone, not in packs.",
        in_words="MSE on a sigmoid learns as fast as binary cross-entropy (bird/plane)",
    ),
    Claim(
        "multilabel_sigmoid",
        "say you want to detect several objects in an image. In that case, the winner-takes-all strategy is not the "
        "most useful [...] So here, we'd use sigmoid on all output units instead, to determine a probability of "
        "presence per object.",
        "the post, closing section",
        "multilabel",
        "better",
        "mean_ap",
        "sigmoid+bce",
        "softmax+cce",
        in_words="For several labels per image, a sigmoid on every unit beats a softmax",
    ),
    Claim(
        "softmax_twice",
        "do not apply softmax twice.",
        "reference 004, on softmax (tested as a softmax head whose loss is told it gets logits)",
        "cifar10",
        "better",
        "accuracy",
        "softmax+sparse_cce",
        "softmax+sparse_cce_logits",
        in_words="Applying softmax twice costs accuracy (10 classes)",
    ),
    Claim(
        "logits_as_probabilities",
        "match loss to whether logits or probabilities go into the criterion.",
        "reference 004, on activations at the output (tested as logits passed to BCE as probabilities)",
        "bird_plane",
        "better",
        "accuracy",
        "sigmoid+bce",
        "linear+bce_probs",
        in_words="Passing logits to cross-entropy as probabilities costs accuracy (bird/plane)",
    ),
    Claim(
        "output_sums",
        "softmax activation has one important advantage: it is tuned so that the sums of the values emitted by the "
        "output layer is always 1. [...] In the multiclass case, logistic regression results may sum to well more "
        "than or well less than 1!",
        "reference 000, on softmax",
        "cifar10",
        "descriptive",
        "output_sum",
        "softmax+sparse_cce",
        "sigmoid+bce",
    ),
    Claim(
        "logistic_slope",
        "logistic activation has the weakness that its slope near zero is very large",
        "reference 000, on the logistic function",
        "bird_plane",
        "descriptive",
        "sigmoid_slope",
        "sigmoid+bce",
    ),
    Claim(
        "softmax_ce_gradient",
        "cross-entropy in combination with softmax has the nice properties that the gradient is constrained to [-1, 1]",
        "reference 000, on softmax and cross-entropy",
        "cifar10",
        "descriptive",
        "ce_gradient",
        "softmax+sparse_cce",
        note="Measured on the trained models' test images: the gradient of the loss at the logits is p - y.",
    ),
    Claim(
        "winner_takes_all",
        "Do you see where the winner takes all in the title comes from? [...] they can also change relationships "
        "between values.",
        "the post, on softmax",
        "cifar10",
        "descriptive",
        "top_two_ratio",
        "linear+sparse_cce",
    ),
    Claim(
        "clipping",
        "One idea might be to just clip all values [...] outside that interval. But if we do this, the gradient in "
        "these regions will be 0: The network cannot learn.",
        "the post, on the bird/plane output",
        "bird_plane",
        "descriptive",
        "clipped_share",
        "linear+bce_probs",
        "sigmoid+bce",
    ),
    Claim(
        "mean_vs_median",
        "Most often, we're trying to predict the mean of a conditional Gaussian distribution [...] the cost "
        "function that minimizes cross entropy [...] is mean squared error. [...] Alternatively, we might wish to "
        "predict the median of that conditional distribution. In that case, we'd change the cost function to use "
        "mean absolute error",
        "the post, on regression losses",
        "sepal_width",
        "descriptive",
        "residuals",
        "linear+mse",
        "linear+mae",
        note="The post's model at its 50 epochs; whether its lines fit at all is stated first.",
    ),
    Claim(
        "mean_vs_median_fitted",
        "Most often, we're trying to predict the mean of a conditional Gaussian distribution [...] the cost "
        "function that minimizes cross entropy [...] is mean squared error. [...] Alternatively, we might wish to "
        "predict the median of that conditional distribution. In that case, we'd change the cost function to use "
        "mean absolute error",
        "the post, on regression losses",
        "sepal_width_fitted",
        "descriptive",
        "residuals",
        "linear+mse",
        "linear+mae",
        note="The same model trained until its lines reach their losses' optima (2,000 epochs).",
    ),
)
CLAIMS += MECHANISM_CLAIMS + HIDDEN_CLAIMS + CONDITION_CLAIMS
STUDIES = tuple(dict.fromkeys(c.study for c in CLAIMS))
STUDY_TITLES = {
    "post": "The reference texts' claims",
    "conditions": "The literature's claims about training conditions (label noise, imbalance, smoothing)",
}


def shown_claims(plan=None):
    """The claims a report shows: a planned study's own (`plan["study"]`, "post" for plans before studies had
    names), else every claim."""
    if not plan:
        return CLAIMS
    study = plan.get("study", "post")
    return tuple(c for c in CLAIMS if c.study == study)


# Claims of the reference texts the suite does not test (yet), each with the reason.
NOT_TESTED = (
    (
        "the derivatives of sigmoid, tanh, ReLU, softmax, BCE, CE and MSE (reference 003)",
        "checked against automatic differentiation in "
        "tests/test_activations.py and tests/test_losses.py, not in the report",
    ),
)
