"""`python -m experiments COMMAND`: the argument parser and `main`, which turns every refusal into one line."""

import argparse
import os
import sys

from experiments.cli.arguments import (
    RESULTS_ROOT,
    add_profile_and_results,
    add_settings,
    check_backend_importable,
)
from experiments.cli.study import cmd_figures, cmd_plan, cmd_report, cmd_rescore
from experiments.cli.training import (
    cmd_bench,
    cmd_check,
    cmd_explain,
    cmd_list,
    cmd_loss,
    cmd_run,
    cmd_summary,
    cmd_sweep,
)
from experiments.interrupts import begin_cleanup, exit_code, interrupt_once, sigterm_as_interrupt

DESCRIPTION = "Train, sweep and report how output activations and losses go together."


class OneLineErrors(argparse.ArgumentParser):
    """An argument parser whose errors are one line (and the --help to read), not the whole usage."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _list(sub):
    p = sub.add_parser("list", help="the tasks, their pairings and the profiles")
    p.add_argument(
        "--objects", action="store_true", help="the output activations and losses a pairing composes, with formulas"
    )
    p.set_defaults(fn=cmd_list)


def _explain(sub):
    p = sub.add_parser(
        "explain", help="what the suite knows about one pairing: formulas, Keras's reading, atlas, claims, the fix"
    )
    p.add_argument("pairing", help="a pairing, named or composed, e.g. 'sigmoid+bce(from_logits=true)'")
    p.add_argument("--task", default=None, help="the task (default: every task that names the pairing)")
    p.add_argument("--json", action="store_true", help="one JSON list of pages (one per task), for machines")
    p.set_defaults(fn=cmd_explain)


def _check(sub):
    p = sub.add_parser(
        "check", help="a saved compiled model's head and loss as a pairing, and what the evidence says (exit 0/1)"
    )
    p.add_argument("model", help="a model saved with model.save('model.keras'), compiled with its loss")
    p.add_argument("--targets", default=None, help="its labels (.npy or .csv): decides the task kind")
    p.add_argument(
        "--kind", default=None, choices=("binary", "multiclass", "multilabel", "regression"), help="the task kind"
    )
    p.add_argument("--json", action="store_true", help="one JSON object, for machines")
    p.set_defaults(fn=cmd_check)


def _loss(sub):
    p = sub.add_parser(
        "loss", help="one loss on given targets and outputs: hand-written, Keras's on each backend, and gradients"
    )
    p.add_argument("loss", help="a loss of the catalogue, with arguments, e.g. bce or 'cce(from_logits=true)'")
    p.add_argument("--targets", required=True, help="the targets y (.npy or .csv)")
    p.add_argument("--outputs", required=True, help="the model's outputs (.npy or .csv), one row per target")
    p.add_argument("--from-logits", action="store_true", help="the outputs are logits (sets from_logits=true)")
    p.add_argument("--json", action="store_true", help="one JSON object, for machines")
    p.set_defaults(fn=cmd_loss)


def _summary(sub):
    p = sub.add_parser("summary", help="Keras summary of a task's documented model")
    p.add_argument("task")
    p.set_defaults(fn=cmd_summary)


def _run(sub):
    p = sub.add_parser("run", help="train one run and write its record")
    p.add_argument("task")
    p.add_argument("--pairing", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--force",
        action="store_true",
        help="train again even if the run has a finished record, and replace it (in results/full: the committed study)",
    )
    add_settings(p)
    p.set_defaults(fn=cmd_run)


def _sweep(sub):
    from experiments.config import DEFAULT_PACK_SIZE

    p = sub.add_parser("sweep", help="run the grid of tasks x pairings x seeds (resumable)")
    p.add_argument("--tasks", nargs="+", help="task names, or task files (NAME.toml) declaring your own data")
    p.add_argument("--pairings", nargs="+")
    p.add_argument("--seeds", nargs="+", type=int)
    p.add_argument("--workers", type=int, default=None, help="parallel runs (default: number of cores)")
    p.add_argument("--executor", choices=("local", "ray"), default="local")
    p.add_argument(
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="print the grid, what is done and an estimated wall time; run nothing",
    )
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="with --dry-run: for tasks never run on this machine, estimate from a 10-second calibration run "
        "(in a child process; nothing written)",
    )
    p.add_argument("--address", default=None, help="Ray cluster address ('auto' joins a running one)")
    p.add_argument(
        "--pack-size",
        dest="pack_size",
        type=int,
        default=DEFAULT_PACK_SIZE,
        help=f"runs of one task and seed trained in one graph (default {DEFAULT_PACK_SIZE}; 1: each run alone)",
    )
    p.add_argument(
        "--tensorboard",
        metavar="DIR",
        default=None,
        help="write each run's per-epoch scalars under DIR/<task>/<run_id> as it trains, for "
        "`tensorboard --logdir DIR` (off by default; changes no number and no run id)",
    )
    add_settings(p)
    p.set_defaults(fn=cmd_sweep)


def _report(sub):
    p = sub.add_parser("report", help="tables and REPORT.md from the records")
    add_profile_and_results(p)
    p.set_defaults(fn=cmd_report)
    p.add_argument(
        "--compare",
        nargs=2,
        metavar=("DIR_A", "DIR_B"),
        help="list the verdicts that differ between two result folders (other seeds, another machine)",
    )
    p.add_argument(
        "--allow-missing",
        dest="allow_missing",
        action="store_true",
        help="render even if some records are invalid: their pairings' claims are marked not measured",
    )


def _figures(sub):
    p = sub.add_parser("figures", help="the reference texts' figures and the trained models' plots")
    add_profile_and_results(p)
    p.set_defaults(fn=cmd_figures)


def _plan(sub):
    p = sub.add_parser("plan", help="seeds each confirmatory claim needs, from a pilot's records (power analysis)")
    p.add_argument(
        "--pilot", default=os.path.join(RESULTS_ROOT, "full"), help="the pilot's results (default results/full)"
    )
    p.add_argument(
        "--results", default=None, help="where the study goes (default results/confirmatory, or results/conditions)"
    )
    p.add_argument(
        "--study",
        choices=("post", "conditions"),
        default="post",
        help="whose claims: the post's and the reference texts' (default), or the literature's on label noise, "
        "imbalance and smoothing; each study is one confirmatory family",
    )
    p.add_argument("--power", type=float, default=0.9, help="power per claim (default 0.9)")
    p.add_argument("--cap", type=int, default=40, help="the most seeds a claim is planned with (default 40)")
    p.add_argument("--first-seed", dest="first_seed", type=int, default=None, help="default: after the pilot's")
    p.add_argument("--write", action="store_true", help="write the plan to RESULTS/plan.json before the study runs")
    p.add_argument(
        "--force",
        action="store_true",
        help="with --write: write a plan that decides nothing (every claim undecidable, or a pilot under 3 seeds)",
    )
    p.set_defaults(fn=cmd_plan)


def _rescore(sub):
    p = sub.add_parser("rescore", help="recompute finished records' test metrics from their stored outputs")
    add_profile_and_results(p)
    p.add_argument(
        "--untrained",
        action="store_true",
        help="also add what the loss was first fed (shares of the epoch-0 test outputs, which the atlas explains a "
        "divergence by) to diverged records written before runs stored it; builds each one's untrained model",
    )
    p.set_defaults(fn=cmd_rescore)


def _bench(sub):
    p = sub.add_parser("bench", help="sweep throughput against the plain model.fit loop")
    p.add_argument("--results", default=RESULTS_ROOT)
    p.add_argument("--epochs", type=int, default=30, help="epochs per run (default 30)")
    p.add_argument("--seeds", type=int, default=2, help="seeds per pairing (default 2)")
    p.add_argument("--cifar10-archive", dest="cifar10_archive", default=None)
    p.add_argument(
        "--backend",
        choices=("tensorflow", "jax"),
        default=os.environ.get("KERAS_BACKEND", "tensorflow"),
        help="Keras backend of both sides (default: $KERAS_BACKEND, else tensorflow)",
    )
    p.set_defaults(fn=cmd_bench)


COMMANDS = (_list, _explain, _check, _loss, _summary, _run, _sweep, _report, _figures, _plan, _rescore, _bench)


def build_parser():
    """The command line: one parser, a subcommand each, added by the functions of `COMMANDS` in order."""
    parser = OneLineErrors(prog="python -m experiments", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrors)
    for add in COMMANDS:
        add(sub)
    return parser


def declare_task_files(args):
    """Where a task is named by a task file (`NAME.toml`, `experiments.tasks.task_file`), read and register it and
    name it by its task's name from here on."""
    named = [getattr(args, "task", None), *(getattr(args, "tasks", None) or [])]
    if not any(isinstance(t, str) and t.endswith(".toml") for t in named):
        return
    from experiments.tasks import task_file

    if isinstance(getattr(args, "task", None), str) and args.task.endswith(".toml"):
        args.task = task_file.register_file(args.task)
    if getattr(args, "tasks", None):
        args.tasks = [task_file.register_file(t) if t.endswith(".toml") else t for t in args.tasks]


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        # A second Ctrl-C during the clean-up of the first is ignored; SIGTERM is answered like Ctrl-C.
        with interrupt_once(), sigterm_as_interrupt():
            if args.fn not in (cmd_list, cmd_run, cmd_sweep, cmd_bench, cmd_explain, cmd_check, cmd_loss):
                check_backend_importable()  # the commands that read records; those that train check more
            declare_task_files(args)
            return args.fn(args) or 0
    except (ValueError, RuntimeError) as error:  # bad input, missing data (CifarDataError), a busy run
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a folder that cannot be written (read-only, full, a file where a folder goes): it
        # cannot do what was asked, so, like bad input, one line and exit 2
        where = f"{error.filename}: " if error.filename else ""
        print(
            f"error: {where}{error.strerror or error}; no earlier file was replaced or left half-written.",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt as interrupt:  # Ctrl-C or SIGTERM outside a sweep (which answers for itself)
        begin_cleanup()
        print(
            "interrupted; nothing half-written is left: an unfinished render replaced none of the previous one's "
            "files, and records are written whole or not at all",
            file=sys.stderr,
        )
        return exit_code(interrupt)
