#!/usr/bin/env bash
# The main job: set up .venv, run the sweep (resuming where it stopped), then the
# report (tables, plots, REPORT.md) and the reference figures, into results/<profile>/.
# Usage: scripts/run_all.sh [--profile full|quick|smoke] [--results DIR] [other sweep options]
# Default profile: full (the post's settings). CIFAR-10 comes from --cifar10-archive or
# $CIFAR10_ARCHIVE, else the Keras cache, else the subset embedded in the package.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=full
results=
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
if [ -z "$results" ]; then  # results/<profile>, or results/<profile>_label_noise_0.4 under --data label_noise=0.4
    data=()
    for ((i = 0; i < ${#sweep_args[@]}; i++)); do
        case "${sweep_args[i]}" in
            --data) data+=("${sweep_args[i + 1]-}") ;;
            --data=*) data+=("${sweep_args[i]#*=}") ;;
        esac
    done
    results=$($py -c 'import sys; from experiments.cli.arguments import default_results as d; print(d(sys.argv[1], sys.argv[2:]))' \
        "$profile" ${data[@]+"${data[@]}"})
fi

# The grid, what is done already and an estimated wall time, before anything runs (a task never
# run on this machine is estimated from a 10-second calibration and the shipped records).
$py -m experiments sweep --profile "$profile" --results "$results" --dry-run --calibrate ${sweep_args[@]+"${sweep_args[@]}"} 2>/dev/null || true
started=$(date +%s)
# Exit 2: bad input or no data, found before anything ran: stop here, nothing was written.
# Exit 1: some runs ended in `error`: the report still shows what finished, and says
# "not measured" where a claim rests on a failed run.
sweep_status=0
sweep_log=$(mktemp)
trap 'rm -f "$sweep_log"' EXIT
$py -m experiments sweep --profile "$profile" --results "$results" ${sweep_args[@]+"${sweep_args[@]}"} \
    2> >(tee "$sweep_log" >&2) || sweep_status=$?
if [ "$sweep_status" -ne 0 ] && [ "$sweep_status" -ne 1 ]; then
    echo "run_all: the sweep stopped before training (exit $sweep_status); nothing was written." >&2
    exit "$sweep_status"
fi
$py -m experiments report --profile "$profile" --results "$results" > /dev/null
$py -m experiments figures --profile "$profile" --results "$results" > /dev/null
elapsed=$(( $(date +%s) - started ))

# What this call did: trained runs, or only re-rendered the report over records that were already there.
summary=$(tr '\r' '\n' < "$sweep_log" | grep -E '^sweep: ' | tail -1 || true)
done_before=$(sed -E 's/.*; ([0-9]+) already done.*/\1/' <<< "$summary")
run_now=$(sed -E 's/.*, ([0-9]+) run now.*/\1/' <<< "$summary")
echo
if [ -n "$summary" ] && [ "${run_now:-0}" = "0" ]; then
    echo "run_all: trained nothing; re-rendered the report from the $done_before finished records in $results/runs"
    echo "  (to retrain the study and compare its verdicts, see README, \"Reproducing the study\")."
else
    echo "run_all: trained ${run_now:-?} runs (${done_before:-?} were already done) into $results/runs."
fi
echo "Done in $((elapsed / 60)) min $((elapsed % 60)) s (profile $profile)."
echo "  tables:  $results/tables/   (CSV, Markdown, LaTeX per task)"
echo "  figures: $results/figures/  (PNG and PDF)"
echo "  report:  $results/REPORT.md"
echo "  records: $results/runs/     (one JSON per run)"
if [ "$sweep_status" -ne 0 ]; then
    echo "run_all: some runs failed (listed above); their claims say \"not measured\" in the report." >&2
fi
exit "$sweep_status"
