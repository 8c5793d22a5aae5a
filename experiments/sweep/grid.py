"""The grid of a sweep: tasks x pairings x seeds, resolved into run configs."""

from experiments import config as cfg
from experiments.pairings import task_pairings
from experiments.tasks import TASKS, get_task


def plan(profile="full", tasks=None, pairings=None, seeds=None, overrides=None, data_options=None):
    """The resolved configs of the grid, in a stable order."""
    tasks = list(tasks or TASKS)
    for task in tasks:
        get_task(task)
    known = {name for task in tasks for name in task_pairings(task)}
    unknown = sorted(set(pairings or ()) - known)
    if unknown:
        raise ValueError(
            f"Unknown pairing(s) {', '.join(unknown)} for tasks {', '.join(tasks)}; valid: {', '.join(sorted(known))}."
        )
    prof = cfg.load_profile(profile)
    configs = []
    for task in tasks:
        task_seeds = (
            seeds or prof["tasks"].get(task, {}).get("seeds") or prof["settings"].get("seeds") or cfg.DEFAULTS["seeds"]
        )
        cfg.check_settings({"seeds": list(task_seeds)}, "--seeds")
        for pairing in task_pairings(task):
            if pairings and pairing not in pairings:
                continue
            for seed in task_seeds:
                configs.append(cfg.resolve(task, pairing, seed, profile, overrides, data_options))
    return configs
