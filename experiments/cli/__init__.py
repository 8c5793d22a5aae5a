"""`python -m experiments COMMAND`: list, summary, run, sweep, report, plan, rescore, figures, bench.

- `parser`: the arguments and `main`;
- `training`: the commands that train or list; `study`: those that read records;
- `arguments`: what they share.
"""

from experiments.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]
