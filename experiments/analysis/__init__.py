"""From records to what a reader sees; data flows down this list, each package reading only those above it.

- `evidence/`: the records in (`loading`), checked against their own stored outputs, per-image values,
  per-pairing summaries over seeds, statistics;
- `claims/`: the list of claims (`claim_list`, `mechanism_claims`, `condition_claims`), the metrics they
  compare (`claim_metrics`), the measured mechanisms behind them, their verdicts, and the power plan that
  sizes a confirmatory study;
- `plots/`: the trained runs' plots, the mechanisms' plots and the reference texts' figures;
- `render/`: text out: the one table writer (`tables`), REPORT.md (`report`), the claims table, the
  claim cards, report.html and the comparison of two folders (`compare`);
- `atlas/`: the atlas in one place: its cells, their reasons, heat maps, ATLAS.md and atlas.html.

`wording` holds the words all of them share: numbers as text and each task's name.
"""
