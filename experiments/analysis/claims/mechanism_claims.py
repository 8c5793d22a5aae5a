"""The mechanisms behind the pairings and the hidden-activation claims, as data (see `claims.claim_list`)."""

from experiments.analysis.claims.claim import Claim

# The saturated-start claims: a textbook's argument the reference texts do not make, so the suite's own hypothesis.
SATURATION_HYPOTHESIS = (
    "with sigmoid + MSE, learning slows down when the output starts saturated and wrong; with cross-entropy it does not"
)
NIELSEN_OWN = (
    "Nielsen, Neural Networks and Deep Learning, ch. 3, on the learning slowdown of the quadratic cost: "
    "the suite's own hypothesis from that textbook, not a sentence of the reference texts"
)

# The mechanisms behind the pairings (the post's saturation argument, reference 004's regression
# losses, the post's sparse cross-entropy), each measured in training.
MECHANISM_CLAIMS = (
    Claim(
        "gradient_vanishes",
        "In the end, what we care about is if the cost function saturates. Were we to choose mean squared error "
        "here, as in the regression task above, that's indeed what could happen.",
        "the post, on the bird/plane output",
        "bird_plane_saturated",
        "better",
        "grad_wrong",
        "sigmoid+bce",
        "sigmoid+mse",
        note="Measured in training: the mean |dL/dz| at the output pre-activation on the wrongly classified images "
        "of a fixed 512-image probe set, averaged over epochs 0 to the last, from a start where every image has "
        "sigma(z) ~ 0.98 (wrong for every bird). 'Better' here: cross-entropy keeps the larger gradient.",
        in_words="From a saturated, wrong output, MSE's gradient vanishes and cross-entropy's does not",
    ),
    Claim(
        "gradient_probe",
        "a log in the cost function undoes the exp that's responsible for saturation",
        "the post, on sigmoid and softmax",
        "bird_plane_saturated",
        "descriptive",
        "gradient_probe",
        "sigmoid+bce",
        "sigmoid+mse",
    ),
    Claim(
        "saturated_start",
        SATURATION_HYPOTHESIS,
        NIELSEN_OWN,
        "bird_plane_saturated",
        "better",
        "aulc",
        "sigmoid+bce",
        "sigmoid+mse",
        note="From the saturated start (output bias logit(0.98)); learning speed as the area under the "
        "test-accuracy curve over all epochs.",
        in_words="From a saturated, wrong output, cross-entropy learns faster than MSE (Adam)",
    ),
    Claim(
        "saturated_start_detail",
        SATURATION_HYPOTHESIS,
        NIELSEN_OWN,
        "bird_plane_saturated",
        "descriptive",
        "saturated_start",
        "sigmoid+bce",
    ),
    Claim(
        "saturated_start_sgd",
        SATURATION_HYPOTHESIS + " (trained by plain gradient descent, as in the textbook)",
        NIELSEN_OWN,
        "bird_plane_saturated_sgd",
        "better",
        "aulc",
        "sigmoid+bce",
        "sigmoid+mse",
        note="The same saturated start, trained by plain SGD (learning rate 0.01, Keras's default, no momentum) "
        "instead of the post's Adam: Adam divides each step by a running root mean square of the gradients, "
        "which can undo a gradient that is small everywhere; plain SGD cannot.",
        in_words="From a saturated, wrong output, cross-entropy learns faster than MSE (plain SGD)",
    ),
    Claim(
        "saturated_start_sgd_detail",
        SATURATION_HYPOTHESIS,
        NIELSEN_OWN,
        "bird_plane_saturated_sgd",
        "descriptive",
        "saturated_start",
        "sigmoid+bce",
    ),
    Claim(
        "outliers_mae",
        "Mean absolute error (MAE) [...] is more robust to outliers",
        "reference 004, regression losses",
        "sepal_width_outliers",
        "better",
        "mse",
        "linear+mae",
        "linear+mse",
        note="10% of the iris training targets moved up by 3 cm (seeded); test MSE on the clean test rows.",
        in_words="With outliers in the targets, MAE fits the clean rows better than MSE",
    ),
    Claim(
        "outliers_huber",
        "Huber loss blends the two: quadratic near zero [...] and linear far away (robust tails)",
        "reference 004, regression losses",
        "sepal_width_outliers",
        "better",
        "mse",
        "linear+huber",
        "linear+mse",
        note="As above; Huber's delta is 1 cm, so the +3 cm outliers fall in its linear tails.",
        in_words="With outliers in the targets, Huber fits the clean rows better than MSE",
    ),
    Claim(
        "outlier_fits",
        "a few bad outliers can dominate the gradient",
        "reference 004, on MSE",
        "sepal_width_outliers",
        "descriptive",
        "outlier_fits",
        "linear+mse",
    ),
    Claim(
        "sparse_cce_same",
        "We use sparse_categorical_crossentropy in the code which is the same as categorical_crossentropy but "
        "does not need conversion of integer labels to one-hot vectors.",
        "the post, on the 10-class model's loss",
        "cifar10",
        "equivalence",
        "accuracy",
        "softmax+cce",
        "softmax+sparse_cce",
        in_words="Sparse categorical cross-entropy is the same as categorical cross-entropy",
    ),
    Claim(
        "sparse_cce_same_detail",
        "We use sparse_categorical_crossentropy in the code which is the same as categorical_crossentropy but "
        "does not need conversion of integer labels to one-hot vectors.",
        "the post, on the 10-class model's loss",
        "cifar10",
        "descriptive",
        "sparse_same",
        "softmax+cce",
        "softmax+sparse_cce",
    ),
)

# Hidden activations (reference 004), measured by the layer probe on the post's body, a deeper one
# (9 hidden layers) and the 10-class model; every arm keeps the post's output pairing.
VANISHING_QUOTE = (
    "Both [sigmoid and tanh] saturate for large |z|: derivatives ≈ 0, which can contribute to vanishing gradients "
    "in very deep sigmoid/tanh networks."
)
VANISHING_NOTE = (
    "Measured at epoch 0 on 512 fixed training images: log10 of the first convolution's kernel-gradient norm over "
    "the output layer's. 'Better': ReLU's first layer keeps the larger share of the gradient."
)
DEAD_QUOTE = "Leaky ReLU uses a small slope α for z < 0: max(αz, z), reducing “dead neurons” that never activate."
DEAD_NOTE = (
    "The share of hidden units (a convolution's channels, the dense layer's units) whose pre-activation is never "
    "positive on 512 fixed training images at the end of training, averaged over the hidden layers; lower is "
    "better. A ReLU unit there is dead (no gradient for any image); a leaky unit still passes 0.2 of its gradient "
    "(Keras's slope; the text's example uses 0.01), so the test asks whether fewer of its units stay off."
)
HIDDEN_CLAIMS = (
    Claim(
        "vanishing_sigmoid",
        VANISHING_QUOTE,
        "reference 004, on sigmoid and tanh",
        "bird_plane_deep",
        "better",
        "grad_ratio",
        "relu_body",
        "sigmoid_body",
        note=VANISHING_NOTE,
        in_words="Sigmoid hidden layers make the gradient vanish towards the input; ReLU does not",
    ),
    Claim(
        "vanishing_tanh",
        VANISHING_QUOTE,
        "reference 004, on sigmoid and tanh",
        "bird_plane_deep",
        "better",
        "grad_ratio",
        "relu_body",
        "tanh_body",
        note=VANISHING_NOTE,
        in_words="Tanh hidden layers make the gradient vanish towards the input; ReLU does not",
    ),
    Claim(
        "relu_standard",
        "That is one reason ReLU became standard for hidden layers.",
        "reference 004, on sigmoid and tanh",
        "bird_plane_deep",
        "better",
        "accuracy",
        "relu_body",
        "sigmoid_body",
        note="Final test accuracy of the deeper body (9 hidden layers), where the vanishing should cost most.",
        in_words="ReLU hidden layers train a deep network better than sigmoid ones",
    ),
    Claim(
        "leaky_relu_dead",
        DEAD_QUOTE,
        "reference 004, on ReLU and variants",
        "cifar10_hidden",
        "better",
        "never_active",
        "leaky_relu_body",
        "relu_body",
        note=DEAD_NOTE,
        in_words="Leaky ReLU leaves fewer dead units than ReLU (the 10-class CNN)",
    ),
    Claim(
        "leaky_relu_dead_deep",
        DEAD_QUOTE,
        "reference 004, on ReLU and variants",
        "bird_plane_deep",
        "better",
        "never_active",
        "leaky_relu_body",
        "relu_body",
        note=DEAD_NOTE + " Here on the deeper body.",
        in_words="Leaky ReLU leaves fewer dead units than ReLU (the 9-layer CNN)",
    ),
    Claim(
        "gelu_alternative",
        "GELU and Swish are smooth alternatives popular in Transformers and some modern CNNs.",
        "reference 004, on ReLU and variants",
        "cifar10_hidden",
        "equivalence",
        "accuracy",
        "gelu_body",
        "relu_body",
        note="Read as: in the post's CNN they do as well as ReLU. Final test accuracy of the 10-class model.",
        in_words="GELU hidden layers do as well as ReLU",
    ),
    Claim(
        "swish_alternative",
        "GELU and Swish are smooth alternatives popular in Transformers and some modern CNNs.",
        "reference 004, on ReLU and variants",
        "cifar10_hidden",
        "equivalence",
        "accuracy",
        "swish_body",
        "relu_body",
        note="As above, for Swish.",
        in_words="Swish hidden layers do as well as ReLU",
    ),
)
HIDDEN_CLAIMS += tuple(
    Claim(
        f"hidden_layers_{task}",
        "Leaky ReLU uses a small slope α for z < 0: max(αz, z), reducing \u201cdead neurons\u201d that never activate. "
        "GELU and Swish are smooth alternatives [...] Both saturate for large |z|: derivatives ≈ 0, which can "
        "contribute to vanishing gradients in very deep sigmoid/tanh networks.",
        "reference 004, on hidden layers",
        task,
        "descriptive",
        "hidden_layers",
        "relu_body",
    )
    for task in ("bird_plane_hidden", "bird_plane_deep", "cifar10_hidden")
)
