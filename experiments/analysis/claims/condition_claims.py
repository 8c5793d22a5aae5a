"""The literature's claims about the conditions users train under: label noise, class imbalance, label smoothing.

None of them is in the reference texts: each is a published finding, stated in the suite's words with its
paper, and tested as a hypothesis on this suite's models and data (the tasks `experiments.tasks.NOISE_TASKS`
and `SHARE_TASKS`). They form their own study (`study="conditions"`), sized by its own power plan and trained at
one commit, so that adding them does not change the corrections of the post's finished study.
"""

from experiments.analysis.claims.claim import Claim

SMOOTHED = "softmax+cce_smoothed"  # softmax+cce(label_smoothing=0.1)
FOCAL_BALANCED = "sigmoid+focal_balanced"  # sigmoid+binary_focal_crossentropy(apply_class_balancing=true)
GHOSH = (
    "the literature's hypothesis (Ghosh, Kumar & Sastry 2017, AAAI, 'Robust loss functions under label noise for "
    "deep neural networks'), in the suite's words"
)
ZHANG = (
    "the literature's hypothesis (Zhang & Sabuncu 2018, NeurIPS, 'Generalized cross entropy loss for training deep "
    "neural networks with noisy labels'), in the suite's words"
)
JANOCHA = (
    "the literature's hypothesis (Janocha & Czarnecki 2017, 'On loss functions for deep neural networks in "
    "classification'), in the suite's words"
)
LIN = (
    "the literature's hypothesis (Lin, Goyal, Girshick, He & Dollar 2017, ICCV, 'Focal loss for dense object "
    "detection'), in the suite's words, as a claim about class imbalance"
)
MULLER = (
    "the literature's hypothesis (Muller, Kornblith & Hinton 2019, NeurIPS, 'When does label smoothing help?'), "
    "in the suite's words"
)
DROP = (
    "The effect is a difference in differences, paired by seed: (A - B) on cifar10 with 40% symmetric label noise "
    "minus (A - B) on clean cifar10; positive when A loses less accuracy to the noise than B. Read at the post's "
    "last epoch: a loss that fits the noisy labels late in training (memorisation) has its best test epoch early "
    "and may count as collapsed in the task's table; the learning curves (figures/learning_curves_cifar10_noise40) "
    "show when."
)

CONDITION_CLAIMS = (
    Claim(
        "noise_mae_robust",
        "under symmetric label noise, MAE loses less accuracy than cross-entropy: its risk minimiser is noise-tolerant",
        GHOSH,
        "cifar10_noise40",
        "better",
        "accuracy",
        "softmax+mae",
        "softmax+sparse_cce",
        note=DROP,
        baseline_task="cifar10",
        study="conditions",
        in_words="Under 40% label noise, MAE loses less accuracy than cross-entropy",
    ),
    Claim(
        "noise_mse_robust",
        "L2 loss on softmax outputs is more robust to label noise than cross-entropy",
        JANOCHA,
        "cifar10_noise40",
        "better",
        "accuracy",
        "softmax+mse",
        "softmax+sparse_cce",
        note=DROP,
        baseline_task="cifar10",
        study="conditions",
        in_words="Under 40% label noise, MSE on a softmax loses less accuracy than cross-entropy",
    ),
    Claim(
        "mae_underfits_clean",
        "on clean CIFAR-10, MAE underfits: cross-entropy reaches a higher test accuracy",
        ZHANG,
        "cifar10",
        "better",
        "accuracy",
        "softmax+sparse_cce",
        "softmax+mae",
        note="The other side of Ghosh et al.'s robustness: MAE's bounded gradient that ignores noisy labels also "
        "learns clean ones slowly, as Zhang & Sabuncu argue.",
        study="conditions",
        in_words="On clean labels, MAE underfits: cross-entropy is more accurate",
    ),
    Claim(
        "focal_imbalance",
        "with rare positives, focal loss with class balancing classifies both classes better than cross-entropy",
        LIN,
        "bird_plane_share10",
        "better",
        "balanced_accuracy",
        FOCAL_BALANCED,
        "sigmoid+bce",
        note="Training set subsampled to 10% planes; the test set keeps its balance. Balanced accuracy is the mean "
        "of the two classes' accuracies at the loss's decision rule (0.5). Focal loss as Keras defines it: gamma 2 "
        "and, with class balancing, alpha 0.25 on the positives (Lin et al.'s best setting, which weighs the rare "
        "class down and leaves the rebalancing to the focusing term).",
        study="conditions",
        in_words="With 10% positives, focal loss classifies both classes better than cross-entropy",
    ),
    Claim(
        "smoothing_calibration",
        "label smoothing (0.1) lowers the calibration error of a softmax trained with cross-entropy",
        MULLER,
        "cifar10",
        "better",
        "ece",
        SMOOTHED,
        "softmax+cce",
        note="ECE over 10 confidence bins on the test images; both arms are categorical cross-entropy on one-hot "
        "targets, so the smoothing is the only difference.",
        study="conditions",
        in_words="Label smoothing (0.1) makes a softmax better calibrated",
    ),
)
