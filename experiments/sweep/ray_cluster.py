"""The Ray executor: packs of runs as Ray tasks; each returns its records and the driver writes them."""

import os

from experiments.sweep.claims import finish, lost_record, release
from experiments.sweep.local import MAX_ATTEMPTS, run_in_worker


def connect(ray, address, **init_args):
    """Join the Ray cluster at `address`, or raise a `RuntimeError` of one line saying what to do."""
    try:
        ray.init(address=address, **init_args)
    except Exception as error:  # Ray raises ConnectionError, RuntimeError and its own types here
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        lowered = message.lower()
        if "version" in lowered:
            hint = "the driver's Ray or Python version differs from the cluster's; install the cluster's versions here"
        elif "auth" in lowered or "token" in lowered:
            hint = "the cluster refused this driver's authentication; give the driver the cluster's token (see docs)"
        else:
            hint = "no Ray cluster answers there; start one with `ray start --head` or check the address and port"
        raise RuntimeError(
            f"cannot join the Ray cluster at {address}: {hint} ({type(error).__name__}: {message})"
        ) from None


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
        import custom_objects
        import experiments

        # The suite's code travels with the job (Ray's runtime_env), so a node needs only the dependencies.
        runtime_env = {"env_vars": env, "py_modules": [experiments, custom_objects]}
        connect(ray, address, runtime_env=runtime_env, log_to_driver=verbose)
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
