"""The Ray executor: packs of runs as Ray tasks; each returns its records and the driver writes them."""

import os
import signal
import socket
import sys
import threading

from experiments.config import TENSORBOARD_ENV
from experiments.sweep.local import MAX_ATTEMPTS, run_in_worker
from experiments.sweep.locks import finish, lost_record, release

# How long the driver waits for the cluster's address to answer before it gives up (Ray itself retries for minutes).
CONNECT_TIMEOUT_S = 10.0
# How long a head's GCS has to answer one call (`probe_gcs`); a GCS answers in milliseconds.
GCS_ANSWER_TIMEOUT_S = 5.0
# An RPC of Ray's GCS that takes an empty request (src/ray/protobuf/gcs_service.proto).
GCS_PROBE_METHOD = "/ray.rpc.NodeInfoGcsService/GetClusterId"
RAY_CLIENT_PORT = 10001  # a ray:// address without a port
GCS_PORT = 6379  # a bare host without a port


def check_reachable(address, timeout=CONNECT_TIMEOUT_S):
    """Raise a one-line `RuntimeError` unless something accepts a TCP connection at `address` within `timeout` s.

    `address` is Ray's: `HOST:PORT` (the head's GCS port), `ray://HOST[:PORT]` (Ray Client) or `auto`
    (a cluster started on this machine, found by Ray itself: not checked here). A plain TCP connect
    bounds the wait; SIGTERM and Ctrl-C interrupt it. A HOST:PORT must then answer as a Ray head
    (`probe_gcs`, within `GCS_ANSWER_TIMEOUT_S`).
    """
    if address in (None, "auto", "local"):
        return
    scheme, _, rest = address.rpartition("://")
    host, sep, port = rest.rpartition(":")
    if not sep:
        host, port = rest, str(RAY_CLIENT_PORT if scheme == "ray" else GCS_PORT)
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise ValueError(f"--address must be HOST:PORT, ray://HOST:PORT or auto, got {address!r}.")
    if not 0 < int(port) < 65536:
        raise ValueError(
            f"--address {address!r}: port {port} is out of range (1-65535; a Ray head listens on {GCS_PORT})."
        )
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except TimeoutError:
        raise RuntimeError(
            f"cannot join the Ray cluster at {address}: no answer within {timeout:.0f} s; "
            "check the address and that `ray start --head` runs there"
        ) from None
    except OSError as error:
        raise RuntimeError(
            f"cannot join the Ray cluster at {address}: {error.strerror or error}; "
            "check the address and port, and that `ray start --head` runs there"
        ) from None
    if not scheme:
        probe_gcs(f"{host}:{port}")  # something answers: is it a Ray head, and does it take this driver's token?


def _driver_token():
    """The token this driver would send, or None (Ray reads RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token)."""
    if os.environ.get("RAY_AUTH_MODE") != "token":
        return None
    if os.environ.get("RAY_AUTH_TOKEN"):
        return os.environ["RAY_AUTH_TOKEN"].strip()
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or os.path.expanduser("~/.ray/auth_token")
    try:
        with open(path) as file:
            return file.read().strip() or None
    except OSError:
        return None


def probe_gcs(address, timeout=None):
    """Raise a one-line `RuntimeError` unless a Ray head's GCS answers one call at `address` (HOST:PORT).

    Something that accepts connections but is not a GCS (a proxy, a dashboard, another server) would
    keep `ray.init` retrying for about 20 s and end in a ConnectionError that cannot say why; one gRPC
    call (`GCS_PROBE_METHOD`, with the driver's token if it has one) tells in milliseconds:
    OK, or UNAUTHENTICATED when the cluster wants a token this driver lacks or has wrong.
    Ray Client addresses (ray://) and TLS clusters (`RAY_USE_TLS`) are left to Ray.
    """
    if address in (None, "auto", "local") or "://" in address:
        return
    if os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true"):
        return
    try:
        import grpc  # installed with Ray
    except ImportError:  # no Ray here either: its import, next, says so
        return

    timeout = GCS_ANSWER_TIMEOUT_S if timeout is None else timeout
    token = _driver_token()
    metadata = [("authorization", f"Bearer {token}")] if token else None
    with grpc.insecure_channel(address) as channel:
        try:
            channel.unary_unary(GCS_PROBE_METHOD)(b"", timeout=timeout, metadata=metadata)
            return
        except grpc.RpcError as error:
            code, details = error.code(), (error.details() or "").splitlines()[0][:160]
    where = f"cannot join the Ray cluster at {address}"
    if code == grpc.StatusCode.UNAUTHENTICATED and token is None:
        raise RuntimeError(
            f"{where}: the cluster uses token authentication and this driver has no token; run it with "
            "RAY_AUTH_MODE=token and the cluster's token in RAY_AUTH_TOKEN or ~/.ray/auth_token"
        )
    if code == grpc.StatusCode.UNAUTHENTICATED:
        raise RuntimeError(f"{where}: the cluster refused this driver's token; give it the cluster's own token")
    if code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE):
        reason = f"nothing answered as a Ray cluster within {timeout:g} s"
    else:
        reason = f"something answers there, but not as a Ray head's GCS (gRPC {code.name}: {details})"
    raise RuntimeError(f"{where}: {reason}; check that the port is the head's GCS port (`ray start --head` prints it)")


# Joining may hang where something that is not Ray's GCS answers at the address (Ray retries for
# minutes, in code that neither Ctrl-C nor SIGTERM reaches): past this, the driver gives up with one line.
JOIN_TIMEOUT_S = 30.0


def _give_up(address, timeout, code):
    """End this process now with the suite's one line (a watchdog's or a signal's last word)."""
    hint = "check that the address is the head's GCS port (`ray start --head` prints it)"
    reason = f"no Ray cluster joined within {timeout:.0f} s" if code == 2 else "interrupted while joining"
    print(f"error: cannot join the Ray cluster at {address}: {reason}; {hint}", file=sys.stderr, flush=True)
    os._exit(code)


def connect(ray, address, timeout=JOIN_TIMEOUT_S, **init_args):
    """Join the Ray cluster at `address`, or raise a `RuntimeError` of one line saying what to do.

    A watchdog ends the process (exit 2, one line) if joining takes longer than `timeout` seconds,
    and SIGTERM or Ctrl-C while joining end it at once (143, 130).
    """
    watchdog = threading.Timer(timeout, _give_up, args=(address, timeout, 2))
    watchdog.daemon = True
    handlers = {
        sig: signal.signal(sig, lambda signum, frame: _give_up(address, timeout, 128 + signum))
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    watchdog.start()
    try:
        ray.init(address=address, **init_args)
    except Exception as error:  # Ray raises ConnectionError, RuntimeError and its own types here
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        lowered = message.lower()
        if "could not find any running ray instance" in lowered:
            hint = "no Ray cluster runs on this machine for `auto` to find; start one with `ray start --head`"
        elif address.startswith("ray://") and "auth" not in lowered and "token" not in lowered:
            hint = (
                "no Ray Client server answered there; check the address and its port (the head's "
                "--ray-client-server-port, 10001 by default)"
            )
        elif "version" in lowered:
            hint = "the driver's Ray or Python version differs from the cluster's; install the cluster's versions here"
        elif "auth" in lowered or "token" in lowered:
            hint = "the cluster refused this driver's authentication; give the driver the cluster's token (see docs)"
        elif os.environ.get("RAY_AUTH_MODE") != "token":
            # Ray logs an auth refusal on stderr and raises a plain ConnectionError: name both causes.
            hint = (
                "no Ray cluster answered this driver; check the address and port, and if the cluster uses token "
                "authentication (`ray start` turns it on by default since Ray 2.59), run the driver with "
                "RAY_AUTH_MODE=token and the cluster's token in RAY_AUTH_TOKEN or ~/.ray/auth_token"
            )
        else:
            hint = "no Ray cluster answers there; start one with `ray start --head` or check the address and port"
        raise RuntimeError(
            f"cannot join the Ray cluster at {address}: {hint} ({type(error).__name__}: {message})"
        ) from None
    finally:
        watchdog.cancel()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def start(workers, address, verbose):
    """Join the cluster at `address` (or start a private local instance): before any run is claimed."""
    check_reachable(address)  # before Ray's import and its own retries, which last minutes
    if not verbose:
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "error")  # Ray's core logs its retries as warnings
    import ray

    from experiments.data import cifar10_archive
    from experiments.training.speed.process import ONEDNN_DEFAULT, ONEDNN_VAR, import_keras_quietly

    env = {
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        ONEDNN_VAR: os.environ.get(ONEDNN_VAR, ONEDNN_DEFAULT),
    }
    if os.environ.get(TENSORBOARD_ENV):  # `sweep --tensorboard`: a path on each node (shared storage, or local)
        env[TENSORBOARD_ENV] = os.environ[TENSORBOARD_ENV]
    if address:
        import_keras_quietly(verbose)  # custom_objects imports Keras
        import custom_objects
        import experiments

        # The suite's code travels with the job (Ray's runtime_env), so a node needs only the dependencies.
        # The data travels through the object store (`run_ray`), so the embedded archive stays behind.
        runtime_env = {
            "env_vars": env,
            "py_modules": [experiments, custom_objects],
            "excludes": [f"data/{cifar10_archive.EMBEDDED_ARCHIVE}"],  # relative to each module's folder
        }
        connect(ray, address, runtime_env=runtime_env, log_to_driver=verbose)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, runtime_env={"env_vars": env}, log_to_driver=verbose)


def run_ray(claims, progress, workers, verbose):
    """Train the claimed packs as Ray tasks on the instance `start` joined; shut it down at the end."""
    import ray

    from experiments.data import cifar10
    from experiments.training.speed.process import prepare_training_process

    def ray_run(pack_configs, split=None):
        prepare_training_process(1)
        if split is not None:
            cifar10.provide(split)
        recs = run_in_worker(pack_configs, verbose)
        node = ray.get_runtime_context().get_node_id()
        for rec in recs:
            rec.setdefault("environment", {})["ray_node"] = node
        return recs

    # Ray re-runs a task whose worker died (max_retries); the driver writes each record once.
    remote = ray.remote(num_cpus=1, max_retries=MAX_ATTEMPTS - 1)(ray_run)
    capacity = max(1, int(ray.cluster_resources().get("CPU", workers)))
    in_flight = {}
    splits = {}  # fingerprint -> the CIFAR-10 split in the object store, put once per data set

    def data_of(pack):
        """The pack's CIFAR-10 arrays as an object ref, so that no node needs the files; None if it needs none."""
        data = pack.configs[0]["data"]
        fingerprint = data.get("cifar10_fingerprint")
        if fingerprint is None:
            return None
        if fingerprint not in splits:
            splits[fingerprint] = ray.put(cifar10.load(**cifar10.load_options(data)))
        return splits[fingerprint]

    try:
        while True:
            while len(in_flight) < capacity and (pack := next(claims, None)) is not None:
                in_flight[remote.remote(pack.configs, data_of(pack))] = pack
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
