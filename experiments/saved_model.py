"""What a saved, compiled Keras model (`.keras`) says of its output head and its loss, read without training it or
changing the file: the last layer's activation and units, the loss and its arguments, the metrics, each in the
catalogue's names (`custom_objects/catalogue.toml`). `experiments.check_model` judges what is read here.
"""

import warnings
import zipfile
from pathlib import Path

from experiments.catalogue import LOSSES, OUTPUT_ACTIVATIONS

# Keras's own names for the catalogue's losses: class names, function names, and the string aliases Keras takes.
_ALIASES = {"bce": "bce", "mse": "mse", "mae": "mae", "kld": "kl_divergence", "logcosh": "log_cosh"}


def _loss_names():
    from custom_objects.registry import CATALOGUE

    names = dict(_ALIASES)
    for name, entry in CATALOGUE["losses"].items():
        for alias in (name, entry["keras"], entry["keras_name"], entry["function"]):
            names[alias] = name
    return names


def load(path):
    """The compiled model saved at `path` (`.keras`), loaded with the suite's objects registered; safe mode.

    Raises:
        ValueError: not a file, not a `.keras` archive, or Keras cannot load it; one line.
    """
    import keras

    import custom_objects  # noqa: F401  (registers the hand-written objects: a model saved with them loads)

    path = Path(path)
    if not path.is_file():
        what = "does not exist" if not path.exists() else "is not a regular file"
        raise ValueError(f"{path} {what}; name a model saved with model.save('model.keras').")
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path} is not a Keras model file (a .keras zip archive); save one with model.save('model.keras')."
        )
    try:
        with warnings.catch_warnings():  # "Skipping variable loading for optimizer": the optimizer is not read here
            warnings.simplefilter("ignore")
            return keras.saving.load_model(path, compile=True, safe_mode=True)
    except Exception as error:  # Keras raises many kinds here: name the file and the first line of its words
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"Keras cannot load {path}: {first[:300]}") from None


def _activation_name(fn):
    import keras

    name = keras.activations.serialize(fn) if not isinstance(fn, str) else fn
    if isinstance(name, dict):  # a registered object: {"config": ..., "registered_name": "custom_objects>sigmoid"}
        name = name.get("registered_name") or name.get("class_name") or ""
    return str(name).split(">")[-1]


def read_head(model):
    """(activation, units) of the model's output head.

    Raises:
        ValueError: the last layer is not a Dense head (or a linear Dense and an Activation), or has several outputs.
    """
    import keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(model.outputs) != 1 or not layers:
        raise ValueError(f"the model has {len(model.outputs)} outputs; check reads a model with one output head.")
    last = layers[-1]
    if isinstance(last, keras.layers.Activation) and len(layers) > 1 and isinstance(layers[-2], keras.layers.Dense):
        dense = layers[-2]
        if _activation_name(dense.activation) != "linear":
            raise ValueError(
                f"the head is Dense(activation={_activation_name(dense.activation)}) then Activation: two activations; "
                "check reads one."
            )
        activation, units = _activation_name(last.activation), dense.units
    elif isinstance(last, keras.layers.Dense):
        activation, units = _activation_name(last.activation), last.units
    else:
        raise ValueError(
            f"the last layer is {type(last).__name__} {last.name!r}; check reads a Dense head (or a linear Dense "
            "followed by an Activation layer)."
        )
    if activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"the head's activation {activation!r} is not one the suite measures; it measures "
            f"{', '.join(OUTPUT_ACTIVATIONS)}."
        )
    return activation, int(units)


def read_loss(model):
    """(loss name in the catalogue, its arguments that differ from their defaults) of the compiled model.

    Raises:
        ValueError: the model was saved uncompiled, with several losses, or with a loss the suite does not know.
    """
    import keras

    loss = getattr(model, "loss", None)
    if loss is None:
        raise ValueError("the model was saved without a loss: compile it (model.compile(loss=...)) before saving.")
    if isinstance(loss, (list, tuple, dict)):
        raise ValueError("the model was compiled with several losses; check reads a model with one loss.")
    names = _loss_names()
    config = {}
    if isinstance(loss, str):
        key = loss
    elif isinstance(loss, keras.losses.Loss):
        key = type(loss).__name__
        wrapped = getattr(loss, "fn", None)
        if key == "LossFunctionWrapper" and wrapped is not None:
            key = getattr(wrapped, "__name__", key)
        config = loss.get_config()
    else:
        key = getattr(loss, "__name__", repr(loss))
    if key not in names:
        raise ValueError(f"the loss {key!r} is not one the suite measures; it measures {', '.join(LOSSES)}.")
    name = names[key]
    kwargs = {k: config[k] for k in LOSSES[name].kwargs if k in config and config[k] != LOSSES[name].kwargs[k]}
    return name, kwargs


def read_metrics(model):
    """The metrics the model was compiled with, as Keras names them (`compile_config`)."""
    config = getattr(model, "_compile_config", None)
    compiled = (config.config if hasattr(config, "config") else config or {}).get("metrics") if config else None
    if not compiled:
        return []
    flat = compiled if isinstance(compiled, (list, tuple)) else [compiled]
    return [
        m if isinstance(m, str) else (m.get("config", {}).get("name") if isinstance(m, dict) else str(m)) for m in flat
    ]
