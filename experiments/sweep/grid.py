"""The grid of a sweep: tasks x pairings x seeds, resolved into run configs."""

from experiments import config as cfg
from experiments.composition import Composition, all_compositions
from experiments.pairings import from_composition, get_pairing, task_pairings
from experiments.tasks import TASKS, get_task


def _task_grid(task, pairings, profile, tasks, notes):
    """The pairings of `task` in the grid: `pairings` (named or composed, each resolved to its name), else
    the profile's own list for the task ("all": every composition that Keras accepts), else the task's
    named pairings. A name that is another task's of the grid (and not this one's) is that task's only."""
    wanted = pairings or profile["tasks"].get(task, {}).get("pairings")
    if not wanted and get_task(task).task_file and any(t.get("pairings") == "all" for t in profile["tasks"].values()):
        wanted = "all"  # a user's task under the atlas profile: its whole matrix too
    if wanted == "all":
        cells = all_compositions(task, get_task(task).kind, get_task(task).classes)
        return [from_composition(task, c).name for c in cells if isinstance(c, Composition)]
    if not wanted:
        return list(task_pairings(task))
    others = {name for other in tasks if other != task for name in task_pairings(other)}
    names = []
    for expression in wanted:
        if expression in others and expression not in task_pairings(task):
            owners = ", ".join(t for t in tasks if t != task and expression in task_pairings(t))
            notes.append(f"{expression} is a named pairing of {owners}, not of {task}: not run for {task}")
            continue
        name = get_pairing(task, expression).name  # a ValueError names the task and what would work
        if name not in names:
            names.append(name)
    return names


def plan(profile="full", tasks=None, pairings=None, seeds=None, overrides=None, data_options=None, notes=None):
    """The resolved configs of the grid, in a stable order, each once (repeated tasks or seeds count once).

    `pairings`: names or compositions (`ACTIVATION[@UNITS]+LOSS[(key=value, ...)]`); each must
    make sense for every task of the grid, else a ValueError says which does not and why, except a
    name that only another task of the grid has, which is left out for this task with a line in
    `notes` (a list, if given).
    """
    notes = [] if notes is None else notes
    prof = cfg.load_profile(profile)
    tasks = list(dict.fromkeys(tasks or prof["grid_tasks"] or [t for t in TASKS if not TASKS[t].task_file]))
    seeds = seeds or (overrides or {}).get("seeds")  # --seeds, else --set seeds=[...]
    seeds = list(dict.fromkeys(seeds)) if seeds else seeds
    for task in tasks:
        get_task(task)
    configs = []
    for task in tasks:
        task_seeds = (
            seeds or prof["tasks"].get(task, {}).get("seeds") or prof["settings"].get("seeds") or cfg.DEFAULTS["seeds"]
        )
        cfg.check_settings({"seeds": list(task_seeds)}, "--seeds")
        for pairing in _task_grid(task, pairings, prof, tasks, notes):
            for seed in task_seeds:
                configs.append(cfg.resolve(task, pairing, seed, profile, overrides, data_options))
    return configs
