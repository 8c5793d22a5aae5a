"""One pack: runs of one task and seed, one branch each, trained in one Keras graph."""

import time
from dataclasses import replace

import keras
import numpy as np
import tensorflow as tf

import custom_objects
from experiments.composition import encode_targets
from experiments.data import class_weights
from experiments.pairings import Pairing, get_pairing
from experiments.tasks import get_task
from experiments.training import keras_view, layer_probe, metrics, probe
from experiments.training.activation_swaps import use_keras_builtins
from experiments.training.branches import packed_model
from experiments.training.callbacks import EpochRecorder
from experiments.training.fit_logs import OBJECTIVE, metric_maker, untrained_logs
from experiments.training.live_view import LiveView
from experiments.training.pipeline import input_pipeline, predict_outputs, scaled_inputs, subsample
from experiments.training.record import finish_record, untrained_output_shares
from experiments.training.speed import relu_kernel
from experiments.training.speed.compiled_state import build_compiled_state
from experiments.training.speed.epoch_call import steps_per_execution
from experiments.training.speed.lean_adam import adam, lean_adam_matches_keras
from experiments.training.speed.process import environment
from experiments.training.speed.relu_kernel import use_keras_relu


class Branch:
    """One pairing's head, loss, metrics and record inside a pack."""

    def __init__(self, index, config, record, pack_size, kind, objects):
        spec = config.get("pairing_spec")
        pairing = Pairing.from_spec(spec) if spec else get_pairing(config["task"], config["pairing"])
        self.pairing, self.record = pairing, record
        self.name = f"b{index}"
        # Keras logs a single output's values unprefixed, several outputs' by output name.
        prefix = "" if pack_size == 1 else f"{self.name}_"
        self.loss_key = f"{prefix}{OBJECTIVE}"
        self.metric_key = f"{prefix}{'mae' if kind == 'regression' else 'accuracy'}"
        if objects == "keras":
            self.make_loss = custom_objects.losses.KERAS_EQUIVALENTS[self.pairing.loss]
        else:
            self.make_loss = custom_objects.losses.LOSSES[self.pairing.loss]
        self.make_metrics = metric_maker(kind, self.pairing, self.make_loss)
        # Where Keras's built-in loss reads the logits behind the head (`keras_view`): the pairing its outputs
        # are decoded as (the logits z, `keras_view.read_as_logits_spec`); None: the pairing as written.
        self.read_spec = None
        self.keras_view = None  # `keras_view.builtin_loss_at_start` on the untrained branch
        self.diverged_at = None
        self.model = None  # the branch's own model (its layers and weights are the pack's), set when it is built
        self.output_layer = None  # its last Dense layer
        self.probe_points = {}
        self.relu_swapped = 0  # hidden layers given TensorFlow's Relu (speed/relu_kernel.py)
        self.last = None  # the latest epoch's (test metrics, calibration table, how, the outputs decoded)
        self.head_outputs = None  # the latest epoch's test outputs of the head (what model.predict gives)


class Pack:
    """Build, train and record the runs of `configs` (one task and seed) into `recs`."""

    def __init__(self, configs, recs):
        self.config = config = configs[0]
        self.task = get_task(config["task"])
        self.branches = [
            Branch(k, c, r, len(configs), self.task.kind, config["objects"])
            for k, (c, r) in enumerate(zip(configs, recs))
        ]
        self.eval_seconds = 0.0
        self.probe = None  # output gradients on fixed training images (binary and multi-class tasks)
        self.layer_probe = None  # per-layer gradients and never-active units (the hidden-activation tasks)
        self.hidden_relu = "as built"  # which relu the hidden layers ran (speed/relu_kernel.py)
        self.logits_of = {}  # branch index -> its test images' logits, where a branch is read behind its head

    def _load_data(self):
        split = self.task.load_data(**self.config["data"])
        self.target_transform = split.target_transform  # scaled training targets: predictions mapped back
        self.x_train, self.y_train = subsample(split.x_train, split.y_train, self.config["train_limit"])
        self.x_test, self.y_test = subsample(split.x_test, split.y_test, self.config["test_limit"])
        if self.config.get("probe", True) and self.task.kind in probe.KINDS:
            self.probe = probe.Probe(self.x_train, self.y_train, self.task.kind, self.task.input_scale)
        if self.config.get("probe", True) and self.task.layer_probe:
            self.layer_probe = layer_probe.LayerProbe(self.x_train, self.y_train, self.task.input_scale)
        return {
            "source": split.source,
            "fingerprint": split.fingerprint(),
            "train_examples": int(len(self.x_train)),
            "test_examples": int(len(self.x_test)),
        }

    def _build(self):
        seed = self.config["seed"]
        heads = []
        for b in self.branches:
            keras.utils.set_random_seed(seed)  # every branch starts from the weights it has alone
            head = self.task.build_model(
                b.pairing.units,
                b.pairing.activation,
                name=b.name,
                options=self.config["data"],
                hidden_activation=b.pairing.hidden_activation,
            )
            if self.config["objects"] == "keras":
                use_keras_builtins(head)
            elif swapped := use_keras_relu(head):
                b.relu_swapped = swapped
                self.hidden_relu = "keras.activations.relu (bit-identical to the hand-written relu here)"
            elif relu_kernel.disabled_reason():
                self.hidden_relu = f"as built: {relu_kernel.disabled_reason()}"
            heads.append(head)
        keras.utils.set_random_seed(seed)
        self.model, self.features = packed_model(heads, with_features=True)
        for b, head in zip(self.branches, heads):
            b.model, b.output_layer = head, head.layers[-1]
        if self.config["objects"] == "keras":
            self._read_as_keras_computes()
        if self.config["optimizer"] == "sgd":
            optimizer, self.optimizer_name = keras.optimizers.SGD(self.config["learning_rate"]), "keras.optimizers.SGD"
        else:
            optimizer, self.optimizer_name = adam(self.config["learning_rate"])
        losses = [b.make_loss(**b.pairing.loss_kwargs) for b in self.branches]
        self.steps_per_execution = steps_per_execution(len(self.x_train), self.config["batch_size"])
        self.model.compile(
            optimizer=optimizer,
            loss=losses,
            metrics=[b.make_metrics() for b in self.branches],
            steps_per_execution=self.steps_per_execution,
        )

    def _keras_view_inputs(self):
        n = keras_view.LOSS_IMAGES
        x = scaled_inputs(self.x_train[:n], self.task.input_scale)
        ys = [encode_targets(self.y_train[:n], b.pairing.target, b.pairing.units) for b in self.branches]
        return x, ys

    def _read_as_keras_computes(self):
        """Keras's built-in loss against the hand-written readings, before compiling: a branch whose built-in
        loss reads the logits behind its head is decoded from those logits, and its training accuracy reads
        the head's outputs as the matched pairing's (a sigmoid's at 0.5, a softmax's argmax)."""
        x, ys = self._keras_view_inputs()
        for b, y in zip(self.branches, ys):
            b.keras_view = keras_view.builtin_loss_at_start(b.model, b.output_layer, b.pairing, x, y)
            if b.keras_view["read"] == "logits_behind_head":
                b.read_spec = keras_view.read_as_logits_spec(b.pairing)
                matched = replace(b.pairing, loss_kwargs={**b.pairing.loss_kwargs, "from_logits": False})
                b.make_metrics = metric_maker(self.task.kind, matched, b.make_loss, loss_kwargs=b.pairing.loss_kwargs)

    def untrained_test_outputs(self):
        """Each branch's raw outputs on the test images at epoch 0, before any training (as `train` starts).

        For a record written before records held `untrained_outputs`: `rescore --untrained` measures it again.

        Raises:
            ValueError: the run was planned on another Keras backend than this process runs.
        """
        self._check_backend()
        self._load_data()
        keras.backend.clear_session()
        self._build()
        return self._test_outputs()

    def _check_backend(self):
        backend = keras.backend.backend()
        if self.config.get("backend", backend) != backend:
            raise ValueError(
                f"{self.config['task']}: this run was planned on Keras's {self.config['backend']} backend but Keras "
                f"runs on {backend}; run it with KERAS_BACKEND={self.config['backend']}."
            )

    def train(self, verbose=False):
        env = environment()
        self._check_backend()
        data = self._load_data()
        lean_adam_matches_keras()  # its one-off check runs before this pack's session starts
        for b in self.branches:
            b.record.update(pairing_spec=b.pairing.spec(), environment=env, data=data)
            if len(self.branches) > 1:
                b.record["packed_with"] = [o.record["run_id"] for o in self.branches if o is not b]
        keras.backend.clear_session()  # a worker process trains many models in turn
        tf.get_logger().setLevel("ERROR")  # per-model retracing warnings are expected here
        tf.config.experimental.enable_op_determinism()
        self._build()
        for b in self.branches:
            b.record["environment"] = {
                **env,
                "adam": self.optimizer_name,
                "hidden_relu": self.hidden_relu,
                "steps_per_execution": self.steps_per_execution,
            }

        self.live = LiveView(self.config["task"], self.branches)  # TensorBoard, where `sweep --tensorboard` asks
        scale = self.task.input_scale
        targets = tuple(encode_targets(self.y_train, b.pairing.target, b.pairing.units) for b in self.branches)
        weights = self._class_weights()
        train_ds = input_pipeline(self.x_train, targets, self.config["batch_size"], scale, self.config["seed"], weights)
        self._record_keras_view()
        if self.config["objects"] == "keras":  # as Keras's compiled loss computes it (it may read the logits)
            untrained_ds = input_pipeline(self.x_train, targets, self.config["batch_size"], scale, None, weights)
            logs = self.model.evaluate(untrained_ds, return_dict=True, verbose=0)
        else:
            outputs = predict_outputs(self.model, self.x_train, scale)
            logs = untrained_logs(self.branches, targets, outputs, weights)
        self._record_epoch(0, logs)
        build_compiled_state(self.model, scaled_inputs(self.x_train[:2], scale), tuple(t[:2] for t in targets))

        eval_before_fit, t0 = self.eval_seconds, time.perf_counter()
        recorder = EpochRecorder(self)
        self.model.fit(
            train_ds, epochs=self.config["epochs"], shuffle=False, verbose=2 if verbose else 0, callbacks=[recorder]
        )
        train_seconds = time.perf_counter() - t0 - (self.eval_seconds - eval_before_fit)
        self.live.close()
        relu_kernel.check_hidden_relu(self)
        self._finish(train_seconds, recorder.epochs)

    def _class_weights(self):
        """Each training example's weight under the config's `class_weight` (None where it sets none); every record
        holds the weights it resolved to."""
        if self.config.get("class_weight") is None:
            return None
        weights, per_example = class_weights.for_task(self.config["class_weight"], self.task, self.y_train)
        for b in self.branches:
            b.record["data"]["class_weight"] = {str(c): w for c, w in sorted(weights.items())}
        return per_example

    def _record_keras_view(self):
        """Keras's built-in loss against the hand-written one on the untrained branches (`keras_view`), and,
        for a branch decoded from the logits behind its head, the record's `read_as`."""
        x, ys = self._keras_view_inputs()
        for b, y in zip(self.branches, ys):
            view = b.keras_view or keras_view.builtin_loss_at_start(b.model, b.output_layer, b.pairing, x, y)
            b.record["keras"] = {**view, "loss_images": int(len(x))}
            if b.read_spec is not None:
                b.record["read_as"] = keras_view.read_as_record(b.read_spec, b.pairing, view, len(x))

    def end_epoch(self, epoch, logs):
        """Record `epoch`; True when every branch has diverged and training should stop."""
        for b in self.branches:
            if b.diverged_at is None and not _finite(logs.get(b.loss_key)):
                b.diverged_at = epoch
        self._record_epoch(epoch, logs)
        return all(b.diverged_at is not None for b in self.branches)

    def _test_outputs(self, model=None):
        """Each output's values on the test images of `model` (default: the pack), in the targets' own units
        (`Split.target_transform`)."""
        outputs = predict_outputs(model or self.model, self.x_test, self.task.input_scale)
        if self.target_transform is None:
            return outputs
        scale, shift = self.target_transform
        return [np.asarray(o, dtype="float64") * scale + shift for o in outputs]

    def _record_epoch(self, epoch, logs):
        t0 = time.perf_counter()
        outputs = self._test_outputs()
        logits = keras_view.logits_behind_heads(self.branches, self.features, self.x_test, self.task.input_scale)
        probed = self.probe.measure(self.features, self.branches) if self.probe else [None] * len(self.branches)
        for b, out, z, measured in zip(self.branches, outputs, logits, probed):
            if b.diverged_at is not None:
                continue
            decoded, spec = (out, b.pairing) if z is None else (z, b.read_spec)
            values, table, how = metrics.evaluate(self.task.kind, self.y_test, decoded, spec)
            b.last = values, table, how, decoded
            b.head_outputs = out
            if epoch == 0:  # what the loss was first fed, for the atlas's account of a run that diverges
                b.record["untrained_outputs"] = untrained_output_shares(out)
            row = {"epoch": epoch, "train_loss": float(logs[b.loss_key]), "train_metric": float(logs[b.metric_key])}
            row["test"] = values
            if measured is not None:
                row["probe"], points = measured
                b.probe_points["epoch_0" if epoch == 0 else "final"] = points
            if self.layer_probe and epoch in layer_probe.measured_epochs(self.config["epochs"]):
                inside = self.layer_probe.measure(b)
                entry = b.record.setdefault("layer_probe", {"layers": inside.pop("layers"), "epochs": {}})
                entry["epochs"][str(epoch)] = inside
            b.record["history"].append(row)
            self.live.epoch(b, row)
        self.eval_seconds += time.perf_counter() - t0

    def _finish(self, train_seconds, epochs_trained):
        k = len(self.branches)
        pack_rate = k * epochs_trained * len(self.x_train) / train_seconds if train_seconds > 0 else None
        for b in self.branches:
            finish_record(b, self.task.kind, self.y_test)
            b.record["timing"] = {
                "train_s": train_seconds,
                "eval_s": self.eval_seconds,
                "epochs_run": len(b.record["history"]) - 1 + (b.diverged_at is not None),
                "pack_size": k,
                # The pack's training images per second, shared out evenly among its runs.
                "images_per_s": pack_rate / k if pack_rate else None,
                "pack_images_per_s": pack_rate,
            }


def _finite(value):
    return value is not None and np.isfinite(value)
