"""A sweep's progress: counts of what it found and did, and a tqdm bar with a line per run."""

from dataclasses import dataclass, field

from tqdm import tqdm

from experiments.tasks import get_task
from experiments.training.metrics import HEADLINE


@dataclass
class Tally:
    total: int
    done_before: int = 0
    busy_elsewhere: int = 0
    invalid: int = 0  # records that failed the schema, moved to runs/.invalid and run again
    statuses: dict = field(default_factory=lambda: {"ok": 0, "diverged": 0, "error": 0})
    failures: list = field(default_factory=list)
    kept_elsewhere: list = field(default_factory=list)  # records that could not be written where they belong

    @property
    def finished(self):
        return sum(self.statuses.values())

    @property
    def todo(self):
        return self.total - self.done_before - self.busy_elsewhere


def describe(record):
    """One line for a finished run: status, run, headline metric (or what went wrong), wall time."""
    final = record.get("final") or {}
    headline = HEADLINE.get(get_task(record["task"]).kind)
    detail = f"{headline}={final[headline]:.4f}" if final.get(headline) is not None else record.get("error", "")
    if record["status"] == "diverged":
        detail = f"loss not finite at epoch {record.get('diverged_at_epoch')}"
    return (
        f"{record['status']:<8} {record['task']}/{record['pairing']}/s{record['seed']} "
        f"{detail} ({record['timing']['wall_s']:.1f}s)"
    )


class Progress:
    """The bar (runs done of those to do, ok and failed counts, elapsed time and ETA) and a line per run."""

    def __init__(self, total, out):
        self.tally = Tally(total=total)
        self.out = out
        self.bar = tqdm(
            total=total,
            file=out,
            unit="run",
            dynamic_ncols=True,
            bar_format="{l_bar}{bar:24}| {n}/{total} runs{postfix} [{elapsed}<{remaining}]",
        )
        self._postfix()

    def _postfix(self):
        s = self.tally.statuses
        self.bar.set_postfix_str(f"{s['ok']} ok, {s['diverged'] + s['error']} failed", refresh=False)

    def finished(self, record):
        s = self.tally
        s.statuses[record["status"]] += 1
        if record["status"] == "error":
            s.failures.append(
                f"{record['task']}/{record['pairing']}/s{record['seed']}: {record.get('error', 'unknown error')}"
            )
        self.bar.total = max(s.todo, s.finished)  # runs found done or busy elsewhere are not to do
        self.bar.write(describe(record), file=self.out)
        self._postfix()
        self.bar.update(1)

    def note(self, line):
        """A line above the bar (an invalid record moved aside, say)."""
        self.bar.write(line, file=self.out)

    def close(self):
        self.bar.total = max(self.tally.todo, self.tally.finished)
        self.bar.refresh()
        self.bar.close()
