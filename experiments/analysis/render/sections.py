"""The report's sections after the claims: multi-label metrics beside chance, and what is not tested here."""

import numpy as np

from experiments.analysis.evidence import per_image
from experiments.analysis.wording import fmt


def multilabel_section(records):
    """Threshold-free metrics first, each beside its chance baselines; thresholded metrics after."""
    runs = [r for r in records if r["task"] == "multilabel" and r["status"] == "ok"]
    with_outputs = [r for r in runs if per_image.probabilities(r) is not None]
    if not with_outputs:
        return ""
    _, targets = per_image.probabilities(with_outputs[0])
    y = np.asarray(targets).astype(bool)
    prevalence = y.mean(axis=0)
    lines = [
        "## Multi-label: threshold-free metrics and chance\n\n",
        f"Chance baselines on the {len(y)} test mosaics: random scores give mean average precision about "
        f"{fmt(prevalence.mean())} (the mean class prevalence) and "
        f"top-k recall {fmt(np.mean(y.sum(axis=1) / y.shape[1]))} "
        f"(k = the image's number of objects); predicting no object at all gives Hamming loss {fmt(prevalence.mean())} "
        "and micro F1 0.\n\n",
        "| pairing | seeds | mean AP | top-k recall | micro F1 at 0.5 | "
        "Hamming loss at 0.5 |\n| --- | --- | --- | --- | --- | --- |\n",
    ]
    for pairing in sorted({r["pairing"] for r in with_outputs}):
        rs = [r for r in with_outputs if r["pairing"] == pairing]
        recall = np.mean([np.nanmean(per_image.top_k_recall(*per_image.probabilities(r))) for r in rs])
        final = {k: np.mean([r["final"][k] for r in rs]) for k in ("mean_ap", "micro_f1", "hamming_loss")}
        lines.append(
            f"| `{pairing}` | {len(rs)} | {fmt(final['mean_ap'])} | {fmt(recall)} "
            f"| {fmt(final['micro_f1'])} | {fmt(final['hamming_loss'])} |\n"
        )
    return "".join(lines)


def not_tested_section():
    from experiments.analysis.claims.claim_list import NOT_TESTED

    return "## Not tested here\n\n" + "".join(f"- {claim}: {reason}.\n" for claim, reason in NOT_TESTED)


def extra_sections(records, not_tested=True):
    parts = (multilabel_section(records), not_tested_section() if not_tested else "")
    return "\n".join(part for part in parts if part)
