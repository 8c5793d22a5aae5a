"""Training: one pack of runs in one Keras graph, from configs to records.

- `runner`: `run` and `run_pack`, the entry points (records even when training fails);
- `pack`: builds, trains and records one pack; `branches`: the packed Keras graph, a branch per run;
- `pipeline`: subsets, the tf.data input pipeline, chunked predictions;
- `fit_logs`, `metrics`: what is logged per epoch (training) and measured (test);
- `record`: the record a run starts as; `callbacks`: the per-epoch recorder;
- `speed`: the speed layer (oneDNN and threads, LeanAdam, the compiled state built first).

Importing this package imports no deep-learning library; `runner` imports Keras when it trains.
"""
