"""Saving figures: matplotlib without a display, PNG and PDF side by side, each with its provenance line."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from experiments.analysis.data import summaries  # noqa: E402
from experiments.records import replaced  # noqa: E402

__all__ = ["plt", "provenance", "save"]


def provenance(recs):
    """One line naming the profile(s) and data a figure was drawn from (no drawing date: a figure re-drawn from
    the same records is the same file, byte for byte, so a re-render changes only what its numbers change)."""
    return summaries.provenance(recs)


def save(fig, folder, name, label=None, formats=("png", "pdf")):
    """Write `fig` as `folder/name.png` and `.pdf` (and any other of `formats`, e.g. "svg"), with `label` (its
    provenance) in small print; the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    if label:
        fig.text(0.005, 0.002, label, fontsize=6, color="dimgrey", ha="left", va="bottom")
    paths = [folder / f"{name}.{ext}" for ext in formats]
    try:
        for path, dpi in zip(paths, [130 if p.suffix == ".png" else None for p in paths]):
            with replaced(path) as tmp:  # a render stopped mid-write leaves the earlier figure whole
                # No creation date in the file (PDF's CreationDate; PNG has none): the same figure, the same bytes.
                metadata = {".pdf": {"CreationDate": None}, ".svg": {"Date": None}}.get(path.suffix)
                fig.savefig(tmp, dpi=dpi or "figure", format=path.suffix[1:], metadata=metadata)
    finally:
        plt.close(fig)
    return paths
