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
    from experiments.analysis.data import keras_worlds
    from experiments.analysis.data.loading import latest_records
    from experiments.analysis.render.claims_table import claim_rows

    results = ROOT / "results" / folder
    recs = latest_records(results)
    plan = plan_file.read_plan(results)
    keras_recs, hand_recs, _ = keras_worlds.records_for(results, recs, ROOT)
    found = keras_worlds.cells(keras_recs, hand_recs) if keras_recs else {}
    recs = keras_worlds.one_world(recs)
    table = claim_rows(verdicts.comparisons_by_task(recs, plan=plan), plan, found)
    table = table.astype(object).where(table.notna(), "").astype(str)  # as the CSV holds them: empty for none
    committed = pd.read_csv(results / "tables" / "claims.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(table.reset_index(drop=True), committed)
