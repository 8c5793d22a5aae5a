"""Saving figures: matplotlib without a display, PNG and PDF side by side, each with its provenance line."""

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "winner-takes-all"  # SVG ids from a fixed salt: the same figure, the same bytes
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402

from experiments.analysis.data import summaries  # noqa: E402
from experiments.atomic_files import replaced  # noqa: E402

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


def _layout_texts(fig):
    """The texts a figure places itself: its suptitle and footers, each axes' titles and axis labels."""
    texts = list(fig.texts) + ([fig._suptitle] if fig._suptitle is not None else [])
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def outside_canvas(fig):
    """The titles, axis labels and footers of `fig` whose drawn box leaves the canvas, as strings."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    out = []
    for text in _layout_texts(fig):
        box = text.get_window_extent(renderer)
        if box.x0 < -0.5 or box.x1 > width + 0.5 or box.y0 < -0.5 or box.y1 > height + 0.5:
            out.append(text.get_text())
    return out


def fit_to_canvas(fig):
    """Wrap every title, axis label or footer that leaves the canvas to the canvas's width, in place."""
    import textwrap
    import warnings

    for _ in range(3):  # wrapping one text can move another (tight_layout); a few passes settle it
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        width = fig.canvas.get_width_height()[0]
        changed = False
        for text in _layout_texts(fig):
            box = text.get_window_extent(renderer)
            if box.width > 0 and (box.x0 < 0 or box.x1 > width):
                content = text.get_text()
                longest = max(len(line) for line in content.split("\n"))
                centre = (box.x0 + box.x1) / 2
                room = {"center": 2 * min(centre, width - centre), "left": width - box.x0, "right": box.x1}
                room = max(room.get(text.get_horizontalalignment(), width), 0.3 * width)
                chars = max(20, int(longest * 0.95 * room / max(box.width, 1.0)))
                text.set_text("\n".join(textwrap.fill(line, chars) for line in content.split("\n")))
                changed = True
        if not changed:
            return
        with warnings.catch_warnings():  # a figure tight_layout cannot fit keeps its layout, with its texts wrapped
            warnings.simplefilter("ignore")
            fig.tight_layout(rect=(0, 0.03, 1, 1))


def save(fig, folder, name, label=None, formats=("png", "pdf")):
    """Write `fig` as `folder/name.png` and `.pdf` (and any other of `formats`, e.g. "svg"), with `label` (its
    provenance) in small print; the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    if label:
        fig.text(0.005, 0.002, label, fontsize=6, color="dimgrey", ha="left", va="bottom")
    paths = [folder / f"{name}.{ext}" for ext in formats]
    fit_to_canvas(fig)
    try:
        for path, dpi in zip(paths, [130 if p.suffix == ".png" else None for p in paths]):
            with replaced(path) as tmp:  # a render stopped mid-write leaves the earlier figure whole
                # No creation date in the file (PDF's CreationDate; PNG has none): the same figure, the same bytes.
                metadata = {".pdf": {"CreationDate": None}, ".svg": {"Date": None}}.get(path.suffix)
                fig.savefig(tmp, dpi=dpi or "figure", format=path.suffix[1:], metadata=metadata)
    finally:
        plt.close(fig)
    return paths
