"""What a figure must be before it is printed, checked on the drawn figure itself (matplotlib's renderer boxes, at the
PNG's dpi): no text leaves the canvas, every axes is labelled, at most five lines a panel, no legend over data, no line
exactly under another unless its label says so, heat-map text inside its cell and at WCAG AA contrast (4.5:1).

`save` runs `defects` on every figure it writes and warns (`FigureDefect`) for each; the tests draw every figure the
suite draws and fail on any warning.
"""

import matplotlib.collections
import matplotlib.colors
import matplotlib.lines
import numpy as np

__all__ = ["MAX_LINES", "REFERENCE", "FigureDefect", "contrast", "defects", "text_colour"]

MAX_LINES = 5  # lines (legend entries) one panel may hold and still be read in print
REFERENCE = "reference"  # the gid of a line every panel shares (chance, perfect calibration): not counted as a line


class FigureDefect(UserWarning):
    """A figure that would show a defect in print (the message says which and where)."""


def relative_luminance(rgba):
    """WCAG 2's relative luminance of an sRGB colour (0 black .. 1 white)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    """WCAG 2's contrast ratio of two colours (1 to 21; text needs 4.5 for level AA)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def same_line(a, b):
    """Whether the Line2Ds `a` and `b` draw the same points (within float tolerance): one hides the other."""
    xa, ya = (np.asarray(v, dtype=float) for v in a.get_data())
    xb, yb = (np.asarray(v, dtype=float) for v in b.get_data())
    return xa.shape == xb.shape and ya.size > 1 and np.allclose(xa, xb) and np.allclose(ya, yb, equal_nan=True)


def colour_range(grid):
    """(low, high) of a heat map's colour scale over the finite cells of `grid`; where every cell holds one value,
    a range around it, so that its colour (and so its ink, `text_colour`) is fixed; (0, 1) where none is finite."""
    finite = grid[np.isfinite(grid)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if high <= low:
        low, high = low - max(abs(low), 1.0) * 0.05, high + max(abs(high), 1.0) * 0.05
    return low, high


def text_colour(background):
    """Black or white, whichever contrasts more with `background` (an RGBA tuple)."""
    return "black" if contrast(background, (0, 0, 0, 1)) >= contrast(background, (1, 1, 1, 1)) else "white"


def texts_outside(fig, texts, renderer):
    """Those of `texts` (or legends) whose drawn box leaves the canvas."""
    width, height = fig.canvas.get_width_height()
    return [t for t in texts if _leaves(t.get_window_extent(renderer), width, height)]


def _leaves(box, width, height):
    return box.width > 0 and (box.x0 < -0.5 or box.x1 > width + 0.5 or box.y0 < -0.5 or box.y1 > height + 0.5)


def _outside(fig, renderer, tight):
    """What is drawn outside the canvas: a figure's own texts and legends, and each axes with everything it draws
    (titles, labels, the tick labels actually drawn, its legend: `tight`, each axes' `get_tightbbox`)."""
    width, height = fig.canvas.get_width_height()
    out = []
    own = list(fig.texts) + ([fig._suptitle] if fig._suptitle is not None else []) + list(fig.legends)
    for artist in texts_outside(fig, [a for a in own if a.get_visible()], renderer):
        text = artist.get_text() if hasattr(artist, "get_text") else "a legend"
        out.append(f"drawn outside the canvas: {text[:60]!r}")
    for i, (ax, box) in enumerate(zip(fig.axes, tight)):
        if ax.get_visible() and box is not None and _leaves(box, width, height):
            out.append(f"axes {i} ({ax.get_title()[:40]!r}): its labels or legend drawn outside the canvas")
    return out


def _footer_overlaps(fig, renderer, tight):
    """A figure's own small print (its provenance footer) drawn over an axes, its tick labels or its legend
    (`tight`: each axes' `get_tightbbox`)."""
    out = []
    titles = {id(t) for t in (fig._suptitle, fig._supxlabel, fig._supylabel) if t is not None}
    for text in fig.texts:
        if id(text) in titles or not (text.get_visible() and text.get_text().strip()):
            continue
        box = text.get_window_extent(renderer)
        for i, (ax, around) in enumerate(zip(fig.axes, tight)):
            if ax.get_visible() and around is not None and box.overlaps(around):
                out.append(f"axes {i}: the text {text.get_text()[:40]!r} is drawn over it")
    return out


def _is_colorbar(ax):
    return ax.get_label() == "<colorbar>"


def _unlabelled(fig):
    out = []
    for i, ax in enumerate(fig.axes):
        if not ax.axison or not ax.get_visible():
            continue
        if _is_colorbar(ax):
            if not (ax.get_ylabel().strip() or ax.get_xlabel().strip()):
                out.append(f"axes {i}: a colour bar without a label")
            continue
        missing = [a for a, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if not label.strip()]
        if missing:
            out.append(f"axes {i} ({ax.get_title()[:40]!r}): no {' or '.join(missing)} axis label")
    return out


def _counted(handles):
    """The legend entries that are lines (a curve, or a series of points with bars): not scatter points, bars or
    shaded spans, and not a shared reference line."""
    import matplotlib.container

    lines = [h for h in handles if isinstance(h, (matplotlib.lines.Line2D, matplotlib.container.ErrorbarContainer))]
    return [h for h in lines if not (isinstance(h, matplotlib.lines.Line2D) and h.get_linestyle() == "None")]


def _crowded(fig):
    out = []
    for i, ax in enumerate(fig.axes):
        handles, labels = ax.get_legend_handles_labels()
        lines = [h for h in _counted(handles) if getattr(h, "get_gid", lambda: None)() != REFERENCE]
        if len(lines) > MAX_LINES:
            out.append(f"axes {i} ({ax.get_title()[:40]!r}): {len(lines)} lines, at most {MAX_LINES} a panel")
    return out


def _data_points(ax):
    """Every drawn data vertex of `ax`'s lines and scatter points, in display pixels."""
    points = []
    for line in ax.lines:
        xy = np.asarray(line.get_xydata(), dtype=float)
        if xy.size:
            points.append(line.get_transform().transform(xy))
    for coll in ax.collections:
        if isinstance(coll, matplotlib.collections.PathCollection):  # scatter points, not bands
            offsets = np.asarray(coll.get_offsets(), dtype=float)
            if offsets.size:
                points.append(coll.get_offset_transform().transform(offsets))
    points = [p[np.all(np.isfinite(p), axis=1)] for p in points]
    return np.concatenate(points) if points else np.empty((0, 2))


def _legend_over_data(fig, renderer):
    out = []
    for i, ax in enumerate(fig.axes):
        legend = ax.get_legend()
        if legend is None or not legend.get_visible():
            continue
        box = legend.get_window_extent(renderer)
        points = _data_points(ax)
        inside = (points[:, 0] > box.x0) & (points[:, 0] < box.x1) & (points[:, 1] > box.y0) & (points[:, 1] < box.y1)
        if inside.any():
            out.append(f"axes {i} ({ax.get_title()[:40]!r}): the legend covers {int(inside.sum())} data points")
        texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]
        for text in texts:
            if text.get_visible() and text.get_text().strip() and box.overlaps(text.get_window_extent(renderer)):
                out.append(f"axes {i}: the legend covers the text {text.get_text()[:40]!r}")
    return out


def _hidden_lines(fig):
    out = []
    for i, ax in enumerate(fig.axes):
        lines = [
            line
            for line in ax.lines
            if isinstance(line, matplotlib.lines.Line2D) and not line.get_label().startswith("_") and line.get_visible()
        ]
        for a in range(len(lines)):
            for b in range(a + 1, len(lines)):
                if same_line(lines[a], lines[b]):
                    said = any("same as" in line.get_label() for line in (lines[a], lines[b]))
                    if not said:
                        out.append(
                            f"axes {i}: {lines[a].get_label()!r} and {lines[b].get_label()!r} are the same line, "
                            "and neither label says so"
                        )
    return out


def _cell_texts(fig, renderer):
    """Heat maps: every cell's text inside its cell, at WCAG AA contrast with the cell's colour."""
    out = []
    for i, ax in enumerate(fig.axes):
        if not ax.images:
            continue
        image = ax.images[0]
        values = np.ma.masked_invalid(np.asarray(image.get_array(), dtype=float))
        cmap = image.get_cmap()
        for text in ax.texts:
            if text.get_transform() != ax.transData or not text.get_text().strip():
                continue
            x, y = text.get_position()
            col, row = int(round(x)), int(round(y))
            if not (0 <= row < values.shape[0] and 0 <= col < values.shape[1]):
                continue
            cell = ax.transData.transform([[col - 0.5, row - 0.5], [col + 0.5, row + 0.5]])
            (cx0, cy0), (cx1, cy1) = cell.min(axis=0), cell.max(axis=0)
            box = text.get_window_extent(renderer)
            label = text.get_text().replace("\n", " ")[:30]
            if box.x0 < cx0 - 0.5 or box.x1 > cx1 + 0.5 or box.y0 < cy0 - 0.5 or box.y1 > cy1 + 0.5:
                out.append(f"axes {i}: cell ({row}, {col}) text {label!r} spills out of its cell")
            value = values[row, col]
            background = cmap.get_bad() if np.ma.is_masked(value) else image.to_rgba(value)
            ink = matplotlib.colors.to_rgba(text.get_color())
            if contrast(background, ink) < 4.5:
                out.append(f"axes {i}: cell ({row}, {col}) text {label!r} at contrast {contrast(background, ink):.1f}")
    return out


def defects(fig, drawn=False):
    """Every defect `fig` would show in print, as one line each (an empty list: none). Draws the figure, unless
    `drawn` says its canvas holds it as it now is (`files.save` checks the draw its PNG was written from)."""
    if not drawn:
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    tight = [ax.get_tightbbox(renderer) for ax in fig.axes]  # the costly part of the checks: once per axes
    return (
        _outside(fig, renderer, tight)
        + _footer_overlaps(fig, renderer, tight)
        + _unlabelled(fig)
        + _crowded(fig)
        + _legend_over_data(fig, renderer)
        + _hidden_lines(fig)
        + _cell_texts(fig, renderer)
    )
