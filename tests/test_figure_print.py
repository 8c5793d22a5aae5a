"""What can be checked of a figure for print without drawing it: text contrast on the heat maps' colours."""

import numpy as np
import pytest

from experiments.analysis.plots.atlas import contrast, text_colour
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
