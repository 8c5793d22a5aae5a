#!/usr/bin/env bash
# The main job: set up .venv, run the sweep (resuming where it stopped), then the
# report (tables, plots, REPORT.md) and the reference figures.
# Usage: scripts/run_all.sh [--profile quick|full|smoke] [--results DIR] [other sweep options]
# Default profile: full (the post's settings). CIFAR-10 comes from --cifar10-archive or
# $CIFAR10_ARCHIVE (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=full
results=results
sweep_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --profile) profile="$2"; shift 2 ;;
        --profile=*) profile="${1#*=}"; shift ;;
        --results) results="$2"; shift 2 ;;
        --results=*) results="${1#*=}"; shift ;;
        *) sweep_args+=("$1"); shift ;;
    esac
done

extras=report
case " ${sweep_args[*]-} " in *" ray "*|*"--executor=ray"*) extras="report,ray" ;; esac
scripts/setup.sh "$extras"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
py=.venv/bin/python

started=$(date +%s)
# A run that ends in `error` makes the sweep exit 1; the report still shows what finished.
$py -m experiments sweep --profile "$profile" --results "$results" ${sweep_args[@]+"${sweep_args[@]}"} || sweep_status=$?
$py -m experiments report --results "$results" > /dev/null
$py -m experiments figures --results "$results" > /dev/null
elapsed=$(( $(date +%s) - started ))

echo
echo "Done in $((elapsed / 60)) min $((elapsed % 60)) s (profile $profile)."
echo "  tables:  $results/tables/   (CSV, Markdown, LaTeX per task)"
echo "  figures: $results/figures/  (PNG and PDF)"
echo "  report:  $results/REPORT.md"
echo "  records: $results/runs/     (one JSON per run)"
exit "${sweep_status:-0}"
