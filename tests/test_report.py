"""Report, plots and figures from a real smoke sweep; table values recomputed from the records."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.metrics import HEADLINE, METRICS
from experiments.pairings import PAIRINGS, documented_pairing
from experiments.tasks import TASKS
from tests.fake_cifar import write_archive


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    archive = root / "cifar-10-python.tar.gz"
    write_archive(archive, per_class_train=8, per_class_test=4)
    env = {**os.environ, "CIFAR10_ARCHIVE": str(archive)}
    out = root / "results"
    cmd = [sys.executable, "-m", "experiments"]
    subprocess.run([*cmd, "sweep", "--profile", "smoke", "--seeds", "0", "1", "--train-limit", "64", "--results", str(out)], env=env, check=True, capture_output=True)
    for command in ("report", "figures"):
        subprocess.run([*cmd, command, "--results", str(out)], env=env, check=True, capture_output=True)
    return out


def _records(results):
    return [json.loads(p.read_text()) for p in sorted(Path(results).glob("runs/*/*.json"))]


def test_every_table_figure_and_the_report_exist_and_are_not_empty(results):
    expected = [f"tables/{t}.{ext}" for t in TASKS for ext in ("csv", "md", "tex")]
    for task in TASKS:
        for stem in ("learning_curves", "final", "grid"):
            expected += [f"figures/{stem}_{task}.png", f"figures/{stem}_{task}.pdf"]
    expected += [f"figures/reliability_{t}.{ext}" for t in ("bird_plane", "cifar10") for ext in ("png", "pdf")]
    expected += [f"figures/{n}.{ext}" for n in ("sigmoid_saturation", "activations", "winner_takes_all", "saturation_argument", "output_sums_cifar10") for ext in ("png", "pdf")]
    expected.append("REPORT.md")
    for name in expected:
        path = results / name
        assert path.is_file() and path.stat().st_size > 0, name


@pytest.mark.parametrize("task", TASKS)
def test_table_values_equal_a_recomputation_from_the_records(results, task):
    table = pd.read_csv(results / "tables" / f"{task}.csv").set_index("pairing")
    recs = [r for r in _records(results) if r["task"] == task and r["status"] == "ok"]
    kind = TASKS[task].kind
    headline = HEADLINE[kind]
    post = documented_pairing(task).name
    post_by_seed = {r["seed"]: r["final"][headline] for r in recs if r["pairing"] == post}
    assert set(table.index) == set(PAIRINGS[task])
    for pairing in PAIRINGS[task]:
        finals = [r for r in recs if r["pairing"] == pairing]
        assert table.loc[pairing, "n_seeds"] == len(finals)
        for metric in METRICS[kind]:
            values = [r["final"][metric] for r in finals if r["final"][metric] is not None]
            np.testing.assert_allclose(table.loc[pairing, f"{metric}_mean"], np.mean(values), rtol=1e-9, err_msg=f"{pairing} {metric}")
            if len(values) > 1:
                np.testing.assert_allclose(table.loc[pairing, f"{metric}_sd"], np.std(values, ddof=1), rtol=1e-9)
        diffs = [r["final"][headline] - post_by_seed[r["seed"]] for r in finals]
        np.testing.assert_allclose(table.loc[pairing, "diff_mean"], np.mean(diffs), rtol=1e-9, atol=1e-12)
    assert "±" in (results / "tables" / f"{task}.md").read_text()
    assert "\\begin{table}" in (results / "tables" / f"{task}.tex").read_text()


def test_report_answers_each_claim_and_cites_its_rows(results):
    text = (results / "REPORT.md").read_text()
    assert text.count("**Claim**") == 4
    assert "[`tables/bird_plane.md`, row `sigmoid+mse`]" in text
    assert "cifar-10-python.tar.gz" in text and "iris" in text
    for task in TASKS:
        for pairing in PAIRINGS[task]:
            if pairing != documented_pairing(task).name:
                assert f"{task} `{pairing}`" in text


def test_report_without_records_fails_clearly(tmp_path):
    result = subprocess.run([sys.executable, "-m", "experiments", "report", "--results", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2 and "No run records" in result.stderr
