"""What can be checked of a figure for print without drawing it: text contrast on the heat maps' colours."""

import numpy as np
import pytest

from experiments.analysis.atlas.heat_map import contrast, text_colour
from experiments.analysis.plots.files import plt


@pytest.mark.parametrize("name", ["viridis", "viridis_r"])
def test_heat_map_text_meets_wcag_aa_on_every_colour_of_the_scale(name):
    cmap = plt.get_cmap(name)
    for value in np.linspace(0, 1, 101):
        background = cmap(value)
        ink = (0, 0, 0, 1) if text_colour(background) == "black" else (1, 1, 1, 1)
        assert contrast(background, ink) >= 4.5, (name, value)


def test_contrast_is_wcags():
    assert contrast((0, 0, 0, 1), (1, 1, 1, 1)) == pytest.approx(21.0)
    assert contrast((0.5, 0.5, 0.5, 1), (0.5, 0.5, 0.5, 1)) == pytest.approx(1.0)


def test_one_colour_per_pairing_across_figures_and_the_post_in_black():
    from experiments.analysis.plots.files import POST_COLOUR, pairing_colour
    from experiments.pairings import PAIRINGS

    for task, pairings in PAIRINGS.items():
        colours = [pairing_colour(name, spec.documented) for name, spec in pairings.items()]
        assert len(set(map(str, colours))) == len(colours), task  # no two lines of one figure alike
        assert [c for c, spec in zip(colours, pairings.values()) if spec.documented] == [POST_COLOUR]
    assert pairing_colour("sigmoid+mse") == pairing_colour("sigmoid+mse")  # the same in every task's figures


def test_a_figure_title_gives_a_seed_count_true_of_every_row():
    from experiments.analysis.wording import figure_title
    from tests.synthetic_records import bird_plane

    recs = bird_plane({"sigmoid+mse": 0.0}, seeds=5) + bird_plane({"linear+bce": 0.0}, seeds=3, rng_seed=1)
    assert figure_title("bird_plane", recs, "x").endswith("x, 3-5 seeds per pairing")
    assert figure_title("bird_plane", bird_plane({}, seeds=4), "x").endswith("x, 4 seeds")


def test_a_long_title_and_footer_are_wrapped_inside_the_canvas(tmp_path):
    from experiments.analysis.plots.files import fit_to_canvas, outside_canvas

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.set_title("a title far longer than the four inches of this figure's canvas can hold on one line " * 2)
    ax.set_ylabel("accuracy")
    footer = "a provenance footer that is also much too long for the canvas " * 3
    fig.text(0.005, 0.002, footer, fontsize=6, ha="left", va="bottom")  # as `save` places it
    assert len(outside_canvas(fig)) >= 2
    fit_to_canvas(fig)  # as `save` does before it writes
    assert outside_canvas(fig) == []


# Each check of `print_check.defects` catches the defect it names, on a figure drawn to have it, and passes the
# same figure drawn right.


def _defects(fig):
    from experiments.analysis.plots.print_check import defects

    try:
        return defects(fig)
    finally:
        plt.close(fig)


def _labelled(ax):
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")


def test_more_than_five_lines_in_a_panel_is_a_defect_and_a_reference_line_is_not_counted():
    from experiments.analysis.plots.print_check import REFERENCE

    fig, ax = plt.subplots()
    _labelled(ax)
    for k in range(6):
        ax.plot([0, 1], [k, k + 1], label=f"line {k}")
    assert any("6 lines" in d for d in _defects(fig))
    fig, ax = plt.subplots()
    _labelled(ax)
    for k in range(5):
        ax.plot([0, 1], [k, k + 1], label=f"line {k}")
    ax.plot([0, 1], [0.5, 0.5], label="chance", gid=REFERENCE)
    ax.scatter([0.5], [3], label="points are not lines")
    assert _defects(fig) == []


def test_an_axes_without_a_label_is_a_defect():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("epoch")
    assert any("no y axis label" in d for d in _defects(fig))


def test_a_legend_over_data_is_a_defect_and_the_suites_legend_is_outside():
    from experiments.analysis.plots.files import legend

    fig, ax = plt.subplots()
    _labelled(ax)
    ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50), label="up to the top right")
    ax.legend(loc="upper right")
    assert any("legend covers" in d for d in _defects(fig))
    fig, ax = plt.subplots(figsize=(6, 3))
    _labelled(ax)
    ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50), label="up to the top right")
    legend(ax)
    fig.tight_layout()
    assert _defects(fig) == []


def test_a_line_exactly_under_another_is_a_defect_until_its_label_says_so():
    from experiments.analysis.plots.files import legend

    fig, ax = plt.subplots(figsize=(6, 3))
    _labelled(ax)
    ax.plot([0, 1, 2], [0.1, 0.5, 0.7], label="softmax+cce")
    ax.plot([0, 1, 2], [0.1, 0.5, 0.7], label="softmax+sparse_cce")
    ax.legend(loc="lower right")
    assert any("same line" in d for d in _defects(fig))
    fig, ax = plt.subplots(figsize=(6, 3))
    _labelled(ax)
    under = ax.plot([0, 1, 2], [0.1, 0.5, 0.7], label="softmax+cce")[0]
    over = ax.plot([0, 1, 2], [0.1, 0.5, 0.7], label="softmax+sparse_cce")[0]
    legend(ax)
    fig.tight_layout()
    assert under.get_label() == "softmax+cce (same as softmax+sparse_cce, under it)"
    assert over.get_linestyle() != "-"  # dashed, so the line under it shows through
    assert _defects(fig) == []


def test_a_line_under_another_in_one_panel_only_says_so_in_that_panel():
    """Two arms the same in one panel (no dead units in either) but apart in the others (their gradients): the
    legend must not say they are the same everywhere."""
    from experiments.analysis.plots.files import legend

    fig, (gradients, dead) = plt.subplots(1, 2, figsize=(9, 3))
    for ax in (gradients, dead):
        _labelled(ax)
    gradients.plot([0, 1, 2], [0.1, 0.5, 0.7], label="tanh")
    gradients.plot([0, 1, 2], [0.2, 0.3, 0.9], label="sigmoid")
    under = dead.plot([0, 1, 2], [0.0, 0.0, 0.0], label="tanh")[0]
    dead.plot([0, 1, 2], [0.0, 0.0, 0.0], label="sigmoid")
    legend(dead)
    assert under.get_label() == "tanh (same as sigmoid in this panel, under it)"


def test_heat_map_text_that_spills_out_of_its_cell_or_is_faint_is_a_defect():
    fig, ax = plt.subplots(figsize=(3, 2))
    _labelled(ax)
    image = ax.imshow(np.array([[0.0, 1.0]]), cmap="viridis")
    ax.text(0, 0, "a label far too long for its cell", ha="center", va="center", color="white")
    ax.text(1, 0, "0.9", ha="center", va="center", color="white")  # white on yellow
    found = _defects(fig)
    assert any("spills out" in d for d in found)
    assert any("contrast" in d for d in found)
    assert image is not None


def test_a_footer_drawn_over_an_axes_is_a_defect_and_save_lifts_the_axes_above_it(tmp_path):
    from experiments.analysis.plots.files import save

    fig, ax = plt.subplots(figsize=(4, 3))
    _labelled(ax)
    ax.plot([0, 1], [0, 1])
    fig.subplots_adjust(bottom=0.0)
    fig.text(0.005, 0.002, "provenance " * 12, fontsize=6, ha="left", va="bottom")
    assert any("drawn over it" in d for d in _defects(fig))
    fig, ax = plt.subplots(figsize=(4, 3))
    _labelled(ax)
    ax.plot([0, 1], [0, 1])
    save(fig, tmp_path, "lifted", label="provenance " * 12)  # a defect would raise here (pytest's filter)
    assert (tmp_path / "lifted.png").stat().st_size > 0


def test_panels_hold_at_most_five_lines_with_the_posts_pairing_in_each():
    from experiments.analysis.plots.files import in_panels

    names = [f"p{k}" for k in range(11)] + ["post"]
    panels = in_panels(names, "post")
    assert all(len(p) <= 5 and p[-1] == "post" for p in panels)
    assert sorted(n for p in panels for n in p if n != "post") == sorted(names[:-1])
    assert [len(p) for p in panels] == [5, 5, 4]  # as few panels as hold them, filled evenly
    assert in_panels(["a", "b"]) == [["a", "b"]]
