"""Train one run from its resolved config and return its record.

A record holds the config, per-epoch history (epoch 0 is before any training), final
test metrics, status (`ok`, `diverged` at the epoch the loss stopped being finite, or
`error` with the message), timings, library versions and the data's fingerprint.
Runs are deterministic given their seed on the same machine and library versions.
"""

import datetime
import os
import platform
import time
import traceback

import numpy as np

SCHEMA_VERSION = 1
# Thresholds on the model's raw outputs that mean "class 1" for each link.
_OUTPUT_THRESHOLD = {"identity": 0.5, "clip": 0.5, "sigmoid": 0.0, "tanh": 0.0}


def limit_threads(threads):
    """Limit TensorFlow's thread pools; effective only before TensorFlow starts them."""
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(threads)
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # TensorFlow already running: keep its pools.


def environment():
    import keras
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "backend": keras.backend.backend(),
        "platform": platform.platform(),
        "processor": platform.machine(),
    }


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


def _use_keras_builtins(model):
    """Swap every hand-written activation in `model` for its Keras built-in twin."""
    from custom_objects.activations import ACTIVATIONS, KERAS_EQUIVALENTS

    twins = {fn: KERAS_EQUIVALENTS[name] for name, fn in ACTIVATIONS.items()}
    for layer in model.layers:
        if getattr(layer, "activation", None) in twins:
            layer.activation = twins[layer.activation]


def _finite(value):
    return value is not None and np.isfinite(value)


def run(config, verbose=False):
    """Train the run described by `config` (from `experiments.config.resolve`); return its record."""
    from experiments.config import run_id

    started = time.perf_counter()
    record = {
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
    try:
        _train(config, record, verbose)
    except Exception as error:  # the sweep goes on; the record says what went wrong
        record["status"] = "error"
        record["error"] = f"{type(error).__name__}: {error}"
        record["traceback"] = traceback.format_exc(limit=8)
    record["timing"] = {
        **record.get("timing", {}),
        "wall_s": time.perf_counter() - started,
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    return record


def _train(config, record, verbose):
    import keras
    import tensorflow as tf

    import custom_objects
    from experiments import metrics
    from experiments.pairings import encode_targets, get_pairing
    from experiments.tasks import get_task

    task, pairing = get_task(config["task"]), get_pairing(config["task"], config["pairing"])
    record["pairing_spec"] = pairing.spec()
    record["environment"] = environment()

    split = task.load_data(**config["data"])
    x_train, y_train = subsample(split.x_train, split.y_train, config["train_limit"])
    x_test, y_test = subsample(split.x_test, split.y_test, config["test_limit"])
    record["data"] = {
        "source": split.source,
        "fingerprint": split.fingerprint(),
        "train_examples": int(len(x_train)),
        "test_examples": int(len(x_test)),
    }

    seed = config["seed"]
    keras.backend.clear_session()  # a worker process trains many models in turn
    tf.get_logger().setLevel("ERROR")  # per-model retracing warnings are expected here
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = task.build_model(pairing.units, pairing.activation)
    if config["objects"] == "keras":
        _use_keras_builtins(model)
        loss = custom_objects.losses.KERAS_EQUIVALENTS[pairing.loss](**pairing.loss_kwargs)
    else:
        loss = custom_objects.get_loss(pairing.loss, **pairing.loss_kwargs)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config["learning_rate"]),
        loss=loss,
        metrics=[train_accuracy(task.kind, pairing)],
    )
    targets = encode_targets(y_train, pairing.target, pairing.units)
    train_ds = input_pipeline(x_train, targets, config["batch_size"], task.input_scale, shuffle_seed=seed)
    test_ds = input_pipeline(x_test, np.zeros(len(x_test), "float32"), 256, task.input_scale)

    def test_metrics():
        outputs = model.predict(test_ds, verbose=0)
        values, table, how = metrics.evaluate(task.kind, y_test, outputs, pairing.link)
        return values, table, how, outputs

    eval_seconds = 0.0

    def history_row(epoch, train_loss, train_metric):
        nonlocal eval_seconds
        t0 = time.perf_counter()
        history_row.last = values, table, how, outputs = test_metrics()
        eval_seconds += time.perf_counter() - t0
        record["history"].append({"epoch": epoch, "train_loss": train_loss, "train_metric": train_metric, "test": values})

    metric_name = "mae" if task.kind == "regression" else "accuracy"
    initial = model.evaluate(train_ds, verbose=0, return_dict=True)
    history_row(0, float(initial["loss"]), float(initial[metric_name]))

    class Recorder(keras.callbacks.Callback):
        diverged_at = None

        def on_train_batch_end(self, batch, logs=None):
            if not _finite((logs or {}).get("loss")):
                self.diverged_at = len(record["history"])
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if self.diverged_at is None:
                history_row(epoch + 1, float(logs["loss"]), float(logs[metric_name]))

    recorder = Recorder()
    eval_before_fit, t0 = eval_seconds, time.perf_counter()
    model.fit(train_ds, epochs=config["epochs"], shuffle=False, verbose=2 if verbose else 0, callbacks=[recorder])
    train_seconds = time.perf_counter() - t0 - (eval_seconds - eval_before_fit)
    epochs_run = len(record["history"]) - 1 + (1 if recorder.diverged_at else 0)
    values, table, how, outputs = history_row.last
    record["evaluation"] = {"link": pairing.link, "probabilities": how}

    if recorder.diverged_at is not None:
        record["status"] = "diverged"
        record["diverged_at_epoch"] = recorder.diverged_at
        record["final"] = None
    else:
        record["status"] = "ok"
        record["final"] = values
        record["calibration"] = table
        if task.kind == "multiclass":
            record["output_sums"] = np.round(np.sum(outputs, axis=1), 6).tolist()
    record["timing"] = {
        "train_s": train_seconds,
        "eval_s": eval_seconds,
        "epochs_run": epochs_run,
        "images_per_s": epochs_run * len(x_train) / train_seconds if train_seconds > 0 else None,
    }
