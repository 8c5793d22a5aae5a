"""Train runs from their resolved configs and return their records.

A record holds the config, per-epoch history (epoch 0 is before any training), final
test metrics, status (`ok`, `diverged` at the epoch the loss stopped being finite, or
`error` with the message), timings, library versions and the data's fingerprint.
Runs are deterministic given their seed on the same machine and library versions.

Packing: runs of one task and seed that differ only in their pairing train together
as branches of one Keras graph on the same input batches. The total loss is the sum
of the branch losses, so each branch gets exactly the gradients it gets alone, and
Adam's state is per weight; each branch is initialised from the seed as it is alone,
and the batch order is the seed's. A packed run's record therefore holds the same
numbers as the run trained alone (the tests check this); it names its pack mates.
"""

import datetime
import json
import time
import traceback

import numpy as np

SCHEMA_VERSION = 1
# The training loss as a metric: the mean over examples of the per-example loss. Keras's
# own per-output loss logs average batch means, which weighs a short last batch wrongly.
OBJECTIVE = "objective"
# Thresholds on the model's raw outputs that mean "class 1" for each link.
_OUTPUT_THRESHOLD = {"identity": 0.5, "clip": 0.5, "sigmoid": 0.0, "tanh": 0.0}


def subsample(x, y, limit):
    """At most `limit` examples, the same ones for every seed and pairing."""
    if limit is None or limit >= len(x):
        return x, y
    keep = np.sort(np.random.default_rng(0).permutation(len(x))[:limit])
    return x[keep], y[keep]


def input_pipeline(x, y, batch_size, scale, shuffle_seed=None):
    """Batches of (float32 inputs * scale, targets); uint8 images are cast per batch."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if scale != 1.0 or x.dtype != np.float32:
        ds = ds.map(lambda a, b: (tf.cast(a, tf.float32) * scale, b))
    return ds.prefetch(tf.data.AUTOTUNE)


def train_accuracy(kind, pairing):
    """A Keras metric for the training history: accuracy in the pairing's own output format."""
    import keras
    from keras import ops

    if kind == "regression":
        return keras.metrics.MeanAbsoluteError(name="mae")

    def decide(y_pred):
        return y_pred >= _OUTPUT_THRESHOLD[pairing.link]

    def truth_binary(y_true):
        return y_true > (0.0 if pairing.target == "plus_minus_one" else 0.5)

    def accuracy(y_true, y_pred):
        if kind == "binary" and pairing.units == 2:
            hit = ops.argmax(y_pred, axis=-1) == ops.cast(ops.reshape(y_true, (-1,)), "int32")
        elif kind == "binary":
            hit = decide(ops.reshape(y_pred, (-1,))) == truth_binary(ops.reshape(y_true, (-1,)))
        elif kind == "multiclass":
            ids = ops.argmax(y_true, axis=-1) if pairing.target == "one_hot" else ops.reshape(y_true, (-1,))
            hit = ops.argmax(y_pred, axis=-1) == ops.cast(ids, "int32")
        else:
            hit = ops.all(decide(y_pred) == (y_true > 0), axis=-1)
        return ops.cast(hit, "float32")

    return keras.metrics.MeanMetricWrapper(accuracy, name="accuracy")


def use_keras_builtins(model):
    """Swap every hand-written activation in `model` for its Keras built-in twin."""
    from custom_objects.activations import ACTIVATIONS, KERAS_EQUIVALENTS

    twins = {fn: KERAS_EQUIVALENTS[name] for name, fn in ACTIVATIONS.items()}
    for layer in model.layers:
        if getattr(layer, "activation", None) in twins:
            layer.activation = twins[layer.activation]


def _finite(value):
    return value is not None and np.isfinite(value)


def pack_key(config):
    """Runs with equal keys can share one graph: everything but the pairing is equal."""
    return json.dumps({k: v for k, v in config.items() if k != "pairing"}, sort_keys=True)


def new_record(config):
    """A record with no results yet: status `error` until training says otherwise."""
    from experiments.config import run_id

    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id(config),
        "task": config["task"],
        "pairing": config["pairing"],
        "seed": config["seed"],
        "profile": config["profile"],
        "config": config,
        "history": [],
        "final": None,
        "status": "error",
    }


def run(config, verbose=False):
    """Train the run described by `config` (from `experiments.config.resolve`); return its record."""
    return run_pack([config], verbose)[0]


def run_pack(configs, verbose=False):
    """Train runs that differ only in their pairing in one graph; return their records in order."""
    keys = {pack_key(c) for c in configs}
    if len(keys) != 1:
        raise ValueError("A pack holds runs of one task and seed that differ only in their pairing.")
    started = time.perf_counter()
    recs = [new_record(c) for c in configs]
    try:
        _train_pack(configs, recs, verbose)
    except Exception as error:  # the sweep goes on; the records say what went wrong
        for record in recs:
            record["status"] = "error"
            record["error"] = f"{type(error).__name__}: {error}"
            record["traceback"] = traceback.format_exc(limit=8)
    finished = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    for record in recs:
        record["timing"] = {**record.get("timing", {}), "wall_s": time.perf_counter() - started, "finished_at": finished}
    return recs


def scaled_inputs(x, scale):
    """`x` as the model sees it in training: float32 times the task's input scale."""
    return np.asarray(x, dtype=np.float32) * np.float32(scale)


def predict_outputs(model, x, scale, chunk=256):
    """The model's outputs on `x` (scaled as in training), one array per output.

    Chunks are converted to float32 one at a time, so a uint8 image set is never held
    as float32 in full, and each goes through the compiled predict function directly,
    without `predict`'s per-call set-up (it runs once per epoch).
    """
    parts = []
    for start in range(0, len(x), chunk):
        out = model.predict_on_batch(scaled_inputs(x[start : start + chunk], scale))
        parts.append(out if isinstance(out, list) else [out])
    return [np.concatenate(per_output) for per_output in zip(*parts)]


def build_compiled_state(model, x, y):
    """Create the variables of the optimizer and of the compiled loss and metrics now, eagerly.

    Keras (TensorFlow backend, no distribution strategy) creates them inside the first
    traced training step, and a `tf.function` that creates variables is traced twice:
    once to create them, once more without. Built here from a few examples, the training
    step is traced once (seconds per pack). Their values are the same as Keras would make:
    the optimizer's slots start at zero and the loss and metric trackers are reset.
    """
    model.optimizer.build(model.trainable_variables)
    y_pred = model(x, training=False)
    model.compute_loss(x=x, y=y, y_pred=y_pred)
    model.compute_metrics(x, y, y_pred, sample_weight=None)
    model.reset_metrics()


def _metric_maker(kind, pairing, make_loss):
    """A function that makes a branch's training metrics anew: its accuracy (or MAE) and objective."""
    import keras

    def make():
        per_example = make_loss(reduction="none", **pairing.loss_kwargs)
        return [train_accuracy(kind, pairing), keras.metrics.MeanMetricWrapper(per_example, name=OBJECTIVE)]

    return make


def _untrained_logs(branches, metric_makers, targets, outputs):
    """Epoch 0's training loss and metric, from the untrained model's outputs on the training set."""
    logs = {}
    for b, make, y, out in zip(branches, metric_makers, targets, outputs):
        for metric, key in zip(make(), (b.metric_key, b.loss_key)):
            metric.update_state(y, out)
            logs[key] = float(metric.result())
    return logs


class _Branch:
    """One pairing's head, loss, targets and history inside a pack."""

    def __init__(self, index, pairing, record, pack_size, metric_name):
        self.pairing, self.record = pairing, record
        self.name = f"b{index}"
        # Keras logs a single output's values unprefixed, several outputs' by output name.
        prefix = "" if pack_size == 1 else f"{self.name}_"
        self.loss_key, self.metric_key = f"{prefix}{OBJECTIVE}", f"{prefix}{metric_name}"
        self.diverged_at = None
        self.last = None


def _train_pack(configs, recs, verbose):
    import keras
    import tensorflow as tf

    import custom_objects
    from experiments import metrics
    from experiments.lean_adam import LeanAdam
    from experiments.packing import packed_model
    from experiments.pairings import encode_targets, get_pairing
    from experiments.tasks import get_task
    from experiments.tf_setup import environment

    config = configs[0]
    task = get_task(config["task"])
    metric_name = "mae" if task.kind == "regression" else "accuracy"
    branches = [_Branch(k, get_pairing(c["task"], c["pairing"]), r, len(configs), metric_name) for k, (c, r) in enumerate(zip(configs, recs))]
    env = environment()
    split = task.load_data(**config["data"])
    x_train, y_train = subsample(split.x_train, split.y_train, config["train_limit"])
    x_test, y_test = subsample(split.x_test, split.y_test, config["test_limit"])
    data = {"source": split.source, "fingerprint": split.fingerprint(), "train_examples": int(len(x_train)), "test_examples": int(len(x_test))}
    for b in branches:
        b.record.update(pairing_spec=b.pairing.spec(), environment=env, data=data)
        if len(branches) > 1:
            b.record["packed_with"] = [r["run_id"] for r in recs if r is not b.record]

    seed = config["seed"]
    keras.backend.clear_session()  # a worker process trains many models in turn
    tf.get_logger().setLevel("ERROR")  # per-model retracing warnings are expected here
    tf.config.experimental.enable_op_determinism()
    heads, losses, metric_makers = [], [], []
    for b in branches:
        keras.utils.set_random_seed(seed)  # every branch starts from the weights it has alone
        head = task.build_model(b.pairing.units, b.pairing.activation, name=b.name)
        if config["objects"] == "keras":
            use_keras_builtins(head)
            make_loss = custom_objects.losses.KERAS_EQUIVALENTS[b.pairing.loss]
        else:
            make_loss = custom_objects.losses.LOSSES[b.pairing.loss]
        losses.append(make_loss(**b.pairing.loss_kwargs))
        heads.append(head)
        metric_makers.append(_metric_maker(task.kind, b.pairing, make_loss))
    keras.utils.set_random_seed(seed)
    model = packed_model(heads)
    model.compile(optimizer=LeanAdam(learning_rate=config["learning_rate"]), loss=losses, metrics=[make() for make in metric_makers])

    targets = tuple(encode_targets(y_train, b.pairing.target, b.pairing.units) for b in branches)
    train_ds = input_pipeline(x_train, targets, config["batch_size"], task.input_scale, shuffle_seed=seed)
    eval_seconds = 0.0

    def history_rows(epoch, logs):
        nonlocal eval_seconds
        t0 = time.perf_counter()
        outputs = predict_outputs(model, x_test, task.input_scale)
        for b, out in zip(branches, outputs):
            if b.diverged_at is not None:
                continue
            values, table, how = metrics.evaluate(task.kind, y_test, out, b.pairing.link)
            b.last = values, table, how, out
            row = {"epoch": epoch, "train_loss": float(logs[b.loss_key]), "train_metric": float(logs[b.metric_key]), "test": values}
            b.record["history"].append(row)
        eval_seconds += time.perf_counter() - t0

    history_rows(0, _untrained_logs(branches, metric_makers, targets, predict_outputs(model, x_train, task.input_scale)))
    build_compiled_state(model, scaled_inputs(x_train[:2], task.input_scale), tuple(t[:2] for t in targets))

    class Recorder(keras.callbacks.Callback):
        # Checked once per epoch: the epoch's mean loss is finite unless one of its batches'
        # was not, and no per-batch hook means no per-batch synchronisation with Python.
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            self.epochs = epoch + 1
            for b in branches:
                if b.diverged_at is None and not _finite(logs.get(b.loss_key)):
                    b.diverged_at = epoch + 1
            history_rows(epoch + 1, logs)
            if all(b.diverged_at is not None for b in branches):
                self.model.stop_training = True

    eval_before_fit, t0 = eval_seconds, time.perf_counter()
    recorder = Recorder()
    model.fit(train_ds, epochs=config["epochs"], shuffle=False, verbose=2 if verbose else 0, callbacks=[recorder])
    train_seconds = time.perf_counter() - t0 - (eval_seconds - eval_before_fit)
    epochs_trained = recorder.epochs
    pack_rate = len(branches) * epochs_trained * len(x_train) / train_seconds if train_seconds > 0 else None

    for b in branches:
        values, table, how, outputs = b.last
        record = b.record
        record["evaluation"] = {"link": b.pairing.link, "probabilities": how}
        if b.diverged_at is not None:
            record.update(status="diverged", diverged_at_epoch=b.diverged_at, final=None)
        else:
            record.update(status="ok", final=values, calibration=table)
            if task.kind == "multiclass":
                record["output_sums"] = np.round(np.sum(outputs, axis=1), 6).tolist()
        epochs_run = len(record["history"]) - 1 + (b.diverged_at is not None)
        record["timing"] = {
            "train_s": train_seconds,
            "eval_s": eval_seconds,
            "epochs_run": epochs_run,
            "pack_size": len(branches),
            # The pack's training images per second, shared out evenly among its runs.
            "images_per_s": pack_rate / len(branches) if pack_rate else None,
            "pack_images_per_s": pack_rate,
        }
