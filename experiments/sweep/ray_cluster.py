"""The Ray executor: packs of runs as Ray tasks; each returns its records and the driver writes them."""

import os

from experiments.sweep.claims import finish, lost_record, release
from experiments.sweep.local import MAX_ATTEMPTS, run_in_worker


def run_ray(claims, progress, workers, address, verbose):
    """Train the claimed packs as Ray tasks, on a private local instance or the cluster at `address`."""
    import ray

    from experiments.training.speed.process import ONEDNN_DEFAULT, ONEDNN_VAR, prepare_training_process

    def ray_run(pack_configs):
        prepare_training_process(1)
        return run_in_worker(pack_configs, verbose)

    env = {
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        ONEDNN_VAR: os.environ.get(ONEDNN_VAR, ONEDNN_DEFAULT),
    }
    if address:
        ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=verbose)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, runtime_env={"env_vars": env}, log_to_driver=verbose)
    # Ray re-runs a task whose worker died (max_retries); the driver writes each record once.
    remote = ray.remote(num_cpus=1, max_retries=MAX_ATTEMPTS - 1)(ray_run)
    capacity = max(1, int(ray.cluster_resources().get("CPU", workers)))
    in_flight = {}
    try:
        while True:
            while len(in_flight) < capacity and (pack := next(claims, None)) is not None:
                in_flight[remote.remote(pack.configs)] = pack
            if not in_flight:
                return
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            pack = in_flight.pop(ready[0])
            try:
                recs = ray.get(ready[0])
            except Exception as error:  # the task failed every retry
                recs = [lost_record(c, f"Ray task failed: {type(error).__name__}: {error}") for c in pack.configs]
            finish(pack, recs, progress)
    finally:
        for ref, pack in in_flight.items():
            ray.cancel(ref, force=True)
            release(pack)
        ray.shutdown()
