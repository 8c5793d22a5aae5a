"""From records to what a reader sees: statistics, tables, claims, plots and figures.

- `summaries`: records -> per-pairing statistics over seeds (pandas);
- `report`: tables (CSV, Markdown, LaTeX) and REPORT.md; `claims`: its sentences;
- `plots`: the trained runs' plots; `figures`: the reference texts' figures.
"""
