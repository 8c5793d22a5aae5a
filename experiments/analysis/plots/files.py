"""Saving figures: matplotlib without a display, PNG and PDF side by side, each with its provenance line."""

import warnings
from contextlib import contextmanager

import matplotlib
import numpy as np

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "winner-takes-all"  # SVG ids from a fixed salt: the same figure, the same bytes
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402

from experiments.analysis.evidence import summaries  # noqa: E402
from experiments.analysis.plots import print_check  # noqa: E402
from experiments.atomic_files import replaced  # noqa: E402

__all__ = ["POST_COLOUR", "in_panels", "legend", "pairing_colour", "plt", "provenance", "save", "saving"]

PNG_DPI = 130
FOOTER_MARGIN_PX = 5  # between the provenance footer's lowest ink and the canvas's bottom edge, at PNG_DPI
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


def in_panels(names, post=None, size=print_check.MAX_LINES):
    """`names` (pairings, arms) split into panels of at most `size` lines, `post` (the post's pairing, the reference
    every other is read against) in each panel and last, so that it is drawn on top. [[name, ...], ...]."""
    others = [n for n in names if n != post]
    room = size - 1 if post in names else size
    count = max(1, -(-len(others) // room))  # as few panels as hold them, filled evenly
    chunks = [list(chunk) for chunk in np.array_split(np.array(others, dtype=object), count)]
    return [chunk + ([post] if post in names else []) for chunk in chunks]


def _as_drawn(label):
    """A line's label without what `_say_same_lines` added to it."""
    return label.split(" (same as ")[0]


def _apart_elsewhere(ax, under, over):
    """Whether another panel of `ax`'s figure draws the lines labelled as `under` and `over` apart."""
    a, b = _as_drawn(under.get_label()), _as_drawn(over.get_label())
    for other in ax.figure.axes:
        found = {_as_drawn(line.get_label()): line for line in other.lines} if other is not ax else {}
        if a in found and b in found and not print_check.same_line(found[a], found[b]):
            return True
    return False


def _say_same_lines(ax):
    """A labelled line exactly under another: the one on top is dashed, so that the one under it shows through,
    and the one under says so in its label ("in this panel" where another panel draws the two apart)."""
    lines = sorted(
        (line for line in ax.lines if not line.get_label().startswith("_")), key=lambda line: line.get_zorder()
    )  # drawn order within a zorder: a later line is over an earlier one
    for i, under in enumerate(lines):
        for over in lines[i + 1 :]:
            if print_check.same_line(under, over) and "same as" not in under.get_label() + over.get_label():
                over.set_linestyle((0, (4, 3)))
                where = " in this panel" if _apart_elsewhere(ax, under, over) else ""
                under.set_label(f"{under.get_label()} (same as {over.get_label()}{where}, under it)")


def legend(ax, fontsize=7, **kwargs):
    """`ax`'s legend, to its right, outside the data (so it covers none); lines exactly under another, in any
    panel of the figure, say so."""
    for each in ax.figure.axes:
        _say_same_lines(each)
    kwargs = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0} | kwargs
    return ax.legend(fontsize=fontsize, **kwargs)


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
    return [t.get_text() for t in print_check.texts_outside(fig, _layout_texts(fig), fig.canvas.get_renderer())]


def _lay_out(fig, footer=None):
    """`fig`'s tight layout (matplotlib's `tight_layout`), above `footer` (a figure text at its bottom) where given.
    A figure with a layout engine of its own (constrained layout) keeps it."""
    if fig.get_constrained_layout():
        return
    rect = (0, 0, 1, 1)
    if footer is not None:  # the axes move up above the footer, however many lines it wraps to
        top = footer.get_window_extent(fig.canvas.get_renderer()).y1 / fig.bbox.height
        rect = (0, top + 0.01, 0.99, 0.99)
    with warnings.catch_warnings(), _each_axes_measured_once(fig):
        warnings.simplefilter("ignore")  # a figure tight_layout cannot fit keeps its layout, with its texts wrapped
        fig.tight_layout(rect=rect)


@contextmanager
def _each_axes_measured_once(fig):
    """While `fig` is laid out, each axes' `get_tightbbox` (its box with its tick labels, the costly part) is
    measured once and then read: matplotlib's `tight_layout` with a `rect` measures every axes in two passes,
    with nothing moved between them (the second pass only narrows the rect), so both read the same boxes."""

    def once(ax):
        measure, measured = ax.get_tightbbox, {}

        def get_tightbbox(*args, **kwargs):
            key = (repr(args), repr(sorted(kwargs.items())))
            if key not in measured:
                measured[key] = measure(*args, **kwargs)
            return measured[key]

        return get_tightbbox

    for ax in fig.axes:
        ax.get_tightbbox = once(ax)
    try:
        yield
    finally:
        for ax in fig.axes:
            ax.__dict__.pop("get_tightbbox", None)


def _balanced(line, chars):
    """`line` wrapped to at most `chars` characters a line, as few lines as that takes, each about as long as the
    others (so that no line ends with a lone word)."""
    import textwrap

    plain = textwrap.wrap(line, chars) or [line]
    for width in range(-(-len(line) // len(plain)), chars + 1):  # the narrowest width that needs no more lines
        even = textwrap.wrap(line, width)
        if len(even) == len(plain):
            return "\n".join(even)
    return "\n".join(plain)


def _wrap_outside(fig):
    """Wrap every title, axis label or footer of `fig` whose box leaves the canvas, as it is now placed, to the
    room it has (from its text as written, however often it was wrapped before); True where one was wrapped."""
    renderer = fig.canvas.get_renderer()
    width = fig.canvas.get_width_height()[0]
    changed = False
    for text in _layout_texts(fig):
        box = text.get_window_extent(renderer)
        if box.width > 0 and (box.x0 < 0 or box.x1 > width):
            written = getattr(text, "_as_written", text.get_text())
            longest = max(len(line) for line in text.get_text().split("\n"))
            centre = (box.x0 + box.x1) / 2
            room = {"center": 2 * min(centre, width - centre), "left": width - box.x0, "right": box.x1}
            room = max(room.get(text.get_horizontalalignment(), width), 0.3 * width)
            chars = max(20, int(longest * 0.95 * room / max(box.width, 1.0)))
            text.set_text("\n".join(_balanced(line, chars) for line in written.split("\n")))
            text._as_written = written
            changed = True
    return changed


def fit_to_canvas(fig, footer=None):
    """Lay `fig` out (`tight_layout`, above `footer` where given) and wrap every title, axis label or footer that
    leaves the canvas to the canvas's width, in place; True where the canvas holds the figure as it now is (the
    last draw wrapped nothing), so that its pixels are the PNG's."""
    _wrap_outside(fig)  # before any draw, from the texts' widths: most long titles, at the cost of no layout
    for _ in range(3):  # wrapping one text can move another (tight_layout); a few passes settle it
        _lay_out(fig, footer)
        fig.canvas.draw()
        if not _wrap_outside(fig):
            return True
    _lay_out(fig, footer)
    return False


def _write_png(fig, path):
    """The PNG of `fig`'s last Agg draw, as `savefig` writes it (`FigureCanvasAgg.print_png` calls
    `matplotlib.image.imsave` on the same buffer), without drawing it again."""
    matplotlib.image.imsave(path, fig.canvas.buffer_rgba(), format="png", origin="upper", dpi=fig.dpi)


def save(fig, folder, name, label=None, formats=("png", "pdf")):
    """Write `fig` as `folder/name.png` and `.pdf` (and any other of `formats`, e.g. "svg"), laid out (the figure
    writers leave that to this), fitted to its canvas and checked for print (`print_check.defects`), with
    `label` (its provenance) in small print; the paths.

    The PNG is the draw the check read; each other format is drawn by its own backend.
    """
    folder.mkdir(parents=True, exist_ok=True)
    margin = FOOTER_MARGIN_PX / (fig.get_figheight() * PNG_DPI)  # clear of the bottom edge a printer may trim
    footer = fig.text(0.005, margin, label, fontsize=6, color="dimgrey", ha="left", va="bottom") if label else None
    paths = [folder / f"{name}.{ext}" for ext in formats]
    fig.set_dpi(PNG_DPI)  # fitted and checked at the dpi the PNG is drawn at: text widths do not scale exactly
    try:
        if not fit_to_canvas(fig, footer):
            fig.canvas.draw()
        # before any file goes into place: a defect made an error leaves nothing written
        for defect in print_check.defects(fig, drawn=True):
            warnings.warn(f"{name}: {defect}", print_check.FigureDefect, stacklevel=2)
        for path in paths:
            with replaced(path) as tmp:  # a render stopped mid-write leaves the earlier figure whole
                if path.suffix == ".png":
                    _write_png(fig, tmp)
                    continue
                # No creation date in the file (PDF's CreationDate; PNG has none): the same figure, the same bytes.
                metadata = {".pdf": {"CreationDate": None}, ".svg": {"Date": None}}.get(path.suffix)
                fig.savefig(tmp, dpi="figure", format=path.suffix[1:], metadata=metadata)
    finally:
        plt.close(fig)
    return paths


def saving(build, folder, name, label=None):
    """A job that draws one figure and saves it (a function of no arguments returning the paths written, [] where
    `build()` has nothing to draw and returns None): what `render.forked` hands out, one figure at a time."""

    def job():
        fig = build()
        return [] if fig is None else save(fig, folder, name, label)

    return job
