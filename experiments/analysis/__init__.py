"""From records to what a reader sees; data flows down this list, each package reading only those above it.

- `data/`: the records in (`loading`), per-image values, per-pairing summaries over seeds, statistics,
  and the atlas's cells;
- `claims/`: the catalogue of claims (`catalogue`), the measured mechanisms behind them, their verdicts,
  and the power plan that sizes a confirmatory study;
- `plots/`: the trained runs' plots, the mechanisms' plots and the reference texts' figures;
- `render/`: text out: the one table writer (`tables`), REPORT.md (`report`), the claims table,
  ATLAS.md and the comparison of two folders (`compare`).

`wording` holds the words all of them share: numbers as text and each task's name.
"""
