"""The committed reports are what their records say: re-rendering a folder's claims table from its records gives
the committed table, cell for cell (so a change to the rendering code cannot silently move a number)."""

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("folder", sorted(p.parent.parent.name for p in (ROOT / "results").glob("*/tables/claims.csv")))
def test_the_committed_claims_table_equals_a_re_render_from_its_records(folder):
    from experiments.analysis.claims import plan_file, verdicts
    from experiments.analysis.evidence import keras_worlds
    from experiments.analysis.evidence.loading import latest_records
    from experiments.analysis.render.claims_table import claim_rows

    results = ROOT / "results" / folder
    recs = latest_records(results)
    plan = plan_file.read_plan(results)
    keras_recs, hand_recs, _ = keras_worlds.records_for(results, recs)
    found = keras_worlds.cells(keras_recs, hand_recs) if keras_recs else {}
    recs = keras_worlds.one_world(recs)
    table = claim_rows(verdicts.comparisons_by_task(recs, plan=plan), plan, found, records=recs)
    table = table.astype(object).where(table.notna(), "").astype(str)  # as the CSV holds them: empty for none
    committed = pd.read_csv(results / "tables" / "claims.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(table.reset_index(drop=True), committed)


@pytest.mark.slow
def test_the_confirmatory_report_re_rendered_is_the_committed_one_byte_for_byte_and_every_figure_fit_to_print(
    tmp_path,
):
    """`report` on a copy of results/confirmatory rewrites every file as committed (dates and commits come from the
    records and the plan, figures carry no date), and `save` finds no print defect in any figure it draws."""
    import shutil
    import subprocess
    import sys

    source = ROOT / "results" / "confirmatory"
    copy = tmp_path / "results" / "confirmatory"  # cited as results/confirmatory, as the committed one is
    shutil.copytree(source, copy)
    shutil.copytree(ROOT / "results" / "keras_objects", copy.parent / "keras_objects")  # the mistakes x backends
    before = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    done = subprocess.run(
        [sys.executable, "-m", "experiments", "report", "--results", str(copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "FigureDefect" not in done.stderr, done.stderr[-3000:]
    after = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert sorted(after) == sorted(before)
    changed = sorted(str(path) for path in before if after[path] != before[path])
    assert changed == [], changed[:20]


@pytest.mark.slow
def test_claims_csv_loads_as_numbers_and_one_row_recomputes_from_the_records():
    """tables/claims.csv is for machines: numeric columns read as numbers, and footnote_accuracy's means,
    effect and interval are what its paired records give."""
    import numpy as np
    from scipy import stats

    from experiments.analysis.claims.comparison import paired_runs
    from experiments.analysis.evidence.loading import latest_records

    results = ROOT / "results" / "confirmatory"
    table = pd.read_csv(results / "tables" / "claims.csv")
    for column in ("mean_a", "mean_b", "effect", "t_low", "t_high", "p", "p_corrected", "seeds"):
        assert pd.api.types.is_numeric_dtype(table[column]), column
    for column in ("claim", "study", "task", "metric", "a", "b", "verdict", "data", "commit"):
        assert column in table, column
    row = table.set_index("claim").loc["footnote_accuracy"]
    runs_a, runs_b = paired_runs(latest_records(results), row.task, row.a, row.b)
    a = np.array([r["final"]["accuracy"] for r in runs_a])
    b = np.array([r["final"]["accuracy"] for r in runs_b])
    assert len(a) == row.seeds
    assert row.mean_a == pytest.approx(a.mean()) and row.mean_b == pytest.approx(b.mean())
    diff = a - b
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    assert row.effect == pytest.approx(diff.mean())
    assert (row.t_low, row.t_high) == pytest.approx((diff.mean() - half, diff.mean() + half))
    assert row.commit in {r["environment"]["git_commit"][:10] for r in runs_a}
