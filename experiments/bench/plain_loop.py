"""The bench's plain loop: each run built and fitted one after another, as the post does.

`model.fit` on float32 NumPy arrays, Keras's built-in activations and losses, Keras's Adam.
Run by `python -m experiments bench` in its own process, so its TensorFlow starts under
the oneDNN setting the bench chose:

    python -m experiments.bench.plain_loop TASK PAIRING,... SEED,... EPOCHS [ARCHIVE]

It prints one line, `BENCH {json}`: the time spent in `model.fit`, the training set's size,
whether oneDNN ran, and each run's test accuracy.
"""

import json
import sys
import time


def plain_loop(task_name, pairings, seeds, epochs, archive=None):
    import keras

    from custom_objects.losses import KERAS_EQUIVALENTS
    from experiments.composition import encode_targets
    from experiments.pairings import get_pairing
    from experiments.tasks import get_task
    from experiments.training import metrics
    from experiments.training.activation_swaps import use_keras_builtins
    from experiments.training.speed.process import onednn_enabled

    task = get_task(task_name)
    split = task.load_data(cifar10_archive=archive or None)
    x = split.x_train.astype("float32") / 255
    x_test = split.x_test.astype("float32") / 255
    out = {
        "runs": [],
        "fit_s": 0.0,
        "train_examples": len(x),
        "onednn": onednn_enabled() if keras.backend.backend() == "tensorflow" else None,
    }
    for pairing_name in pairings:
        p = get_pairing(task_name, pairing_name)
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            model = task.build_model(p.units, p.activation)
            use_keras_builtins(model)
            model.compile(optimizer="adam", loss=KERAS_EQUIVALENTS[p.loss](**p.loss_kwargs))
            t0 = time.perf_counter()
            model.fit(x, encode_targets(split.y_train, p.target, p.units), epochs=epochs, batch_size=32, verbose=0)
            fit_s = time.perf_counter() - t0
            out["fit_s"] += fit_s
            values, _, _ = metrics.evaluate(task.kind, split.y_test, model.predict(x_test, verbose=0), p)
            out["runs"].append({"pairing": pairing_name, "seed": seed, "accuracy": values["accuracy"], "fit_s": fit_s})
    return out


if __name__ == "__main__":
    task_name, pairings, seeds, epochs = (
        sys.argv[1],
        sys.argv[2].split(","),
        [int(s) for s in sys.argv[3].split(",")],
        int(sys.argv[4]),
    )
    print(
        "BENCH "
        + json.dumps(plain_loop(task_name, pairings, seeds, epochs, sys.argv[5] if len(sys.argv) > 5 else None))
    )
