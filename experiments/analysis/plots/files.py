"""Saving figures: matplotlib without a display, PNG and PDF side by side, each with its provenance line."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from experiments.analysis.data import summaries  # noqa: E402
from experiments.records import replaced  # noqa: E402

__all__ = ["POST_COLOUR", "pairing_colour", "plt", "provenance", "save"]

# The post's (each task's documented) pairing is drawn in black, and thicker, in every figure.
POST_COLOUR = "black"
# Eighteen distinct colours (tab10, then Dark2), none of them black.
_PALETTE = [plt.get_cmap("tab10")(i) for i in range(10)] + [plt.get_cmap("Dark2")(i) for i in range(8)]
_COLOURS = {}


def _assign_colours():
    """One colour per pairing name across every task: each name, in the order the tasks list them, takes the
    first colour no other pairing of any of its tasks has taken (so no two lines of one figure share one)."""
    from experiments.pairings import PAIRINGS

    owners = {}
    for task, pairings in PAIRINGS.items():
        for name in pairings:
            owners.setdefault(name, set()).add(task)
    for name, tasks in owners.items():
        taken = {_COLOURS[n] for n, t in owners.items() if n in _COLOURS and t & tasks}
        _COLOURS[name] = next((i for i in range(len(_PALETTE)) if i not in taken), len(_COLOURS) % len(_PALETTE))


def pairing_colour(pairing, documented=False):
    """The colour of `pairing` in every figure: black for a task's documented pairing, else its own."""
    if documented:
        return POST_COLOUR
    if not _COLOURS:
        _assign_colours()
    if pairing not in _COLOURS:  # a composed pairing: a stable colour from its name
        import zlib

        return _PALETTE[zlib.crc32(pairing.encode()) % len(_PALETTE)]
    return _PALETTE[_COLOURS[pairing]]


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
