"""Data sources: iris, the CIFAR-10 archive reader and its fallbacks, mosaics. Offline only."""

import os
import pickle
import tarfile

import numpy as np
import pytest

from experiments.data import cifar10, iris
from experiments.data.mosaics import NEUTRAL_FILL, make_mosaics
from tests.fake_cifar import FOLDER, write_archive


@pytest.fixture(autouse=True)
def _fresh_reader(monkeypatch):
    cifar10.read_archive.cache_clear()
    monkeypatch.delenv(cifar10.ENV_VAR, raising=False)
    yield
    cifar10.read_archive.cache_clear()


def test_iris_table_is_r_iris():
    table = iris.load_table()
    assert len(table["Sepal.Length"]) == 150
    np.testing.assert_allclose(table["Sepal.Length"].mean(), 5.843333, atol=1e-5)
    np.testing.assert_allclose(table["Sepal.Width"].mean(), 3.057333, atol=1e-5)
    # Rows 35 and 38 as in R (the UCI file has two known transcription errors there).
    assert table["Petal.Width"][34] == pytest.approx(0.2) and table["Sepal.Width"][37] == pytest.approx(3.6)


def test_iris_split_is_fixed_and_disjoint():
    a, b = iris.sepal_split(), iris.sepal_split()
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert len(a.x_train) == 120 and len(a.x_test) == 30
    assert a.fingerprint() == b.fingerprint() != iris.sepal_split(split_seed=1).fingerprint()


def test_archive_reader_counts_images_instead_of_assuming_10000(tmp_path):
    (x_train, y_train), (x_test, y_test) = write_archive(tmp_path / "c.tar.gz", per_class_train=7, per_class_test=3)
    split = cifar10.read_archive(str(tmp_path / "c.tar.gz"))
    assert split.x_train.shape == (70, 32, 32, 3) and split.x_train.dtype == np.uint8
    assert split.x_test.shape == (30, 32, 32, 3)
    np.testing.assert_array_equal(np.sort(split.y_train), np.sort(y_train))
    np.testing.assert_array_equal(split.x_test, x_test)  # channel-major rows decoded to HWC


def test_extracted_folder_and_its_parent_both_work(tmp_path):
    write_archive(tmp_path / "c.tar.gz")
    with tarfile.open(tmp_path / "c.tar.gz") as tar:
        tar.extractall(tmp_path / "out", filter="data")
    by_parent = cifar10.read_archive(str(tmp_path / "out"))
    by_folder = cifar10.read_archive(str(tmp_path / "out" / FOLDER))
    assert (
        by_parent.fingerprint()
        == by_folder.fingerprint()
        == cifar10.read_archive(str(tmp_path / "c.tar.gz")).fingerprint()
    )


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_tampered_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    exploit = _Exploit()
    exploit.marker = marker
    write_archive(tmp_path / "evil.tar.gz", members={"data_batch_1": pickle.dumps(exploit, protocol=2)})
    with pytest.raises(cifar10.CifarDataError, match=r"refused to load the global (posix|os)\.system"):
        cifar10.read_archive(str(tmp_path / "evil.tar.gz"))
    assert not marker.exists()


def test_truncated_archive_gives_a_clear_error(tmp_path):
    write_archive(tmp_path / "good.tar.gz")
    data = (tmp_path / "good.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(cifar10.CifarDataError, match="corrupt or truncated"):
        cifar10.read_archive(str(tmp_path / "cut.tar.gz"))


def test_corrupt_batch_and_wrong_archive_give_clear_errors(tmp_path):
    write_archive(tmp_path / "bad.tar.gz", members={"test_batch": b"\x80\x02}q\x00(X"})
    with pytest.raises(cifar10.CifarDataError, match="test_batch.*corrupt or truncated"):
        cifar10.read_archive(str(tmp_path / "bad.tar.gz"))
    with tarfile.open(tmp_path / "other.tar.gz", "w:gz"):
        pass
    with pytest.raises(cifar10.CifarDataError, match="missing data_batch_1"):
        cifar10.read_archive(str(tmp_path / "other.tar.gz"))
    with pytest.raises(cifar10.CifarDataError, match="does not exist"):
        cifar10.read_archive(str(tmp_path / "nowhere.tar.gz"))


def test_source_order_archive_then_keras_cache_then_embedded(tmp_path, monkeypatch):
    write_archive(tmp_path / "c.tar.gz", per_class_train=2)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(cifar10, "download_with_tfds", lambda: pytest.fail("tfds is used only when asked for"))

    embedded = cifar10.load()
    assert embedded.x_train.shape == (5085, 32, 32, 3) and embedded.x_test.shape == (1017, 32, 32, 3)
    assert "embedded CIFAR-10 subset" in embedded.source and "not full CIFAR-10" in embedded.source

    with tarfile.open(tmp_path / "c.tar.gz") as tar:
        tar.extractall(tmp_path / "keras" / "datasets", filter="data")
    assert cifar10.load().x_train.shape == (20, 32, 32, 3)
    assert cifar10.load(source="embedded").x_train.shape == (5085, 32, 32, 3)

    write_archive(tmp_path / "env.tar.gz", per_class_train=3)
    monkeypatch.setenv(cifar10.ENV_VAR, str(tmp_path / "env.tar.gz"))
    assert cifar10.load().x_train.shape == (30, 32, 32, 3)
    assert cifar10.load(str(tmp_path / "c.tar.gz")).x_train.shape == (20, 32, 32, 3)
    assert cifar10.load(source="keras-cache").x_train.shape == (20, 32, 32, 3)


def test_a_forced_source_without_data_names_every_option(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(cifar10, "network_available", lambda *a, **k: False)
    options = r"--cifar10-archive PATH or CIFAR10_ARCHIVE=PATH.*keras-cache.*embedded.*tfds"
    with pytest.raises(cifar10.CifarDataError, match=r"--data-source archive needs an archive; use " + options):
        cifar10.load(source="archive")
    with pytest.raises(cifar10.CifarDataError, match=r"Keras cache holds no CIFAR-10.*" + options):
        cifar10.load(source="keras-cache")
    with pytest.raises(cifar10.CifarDataError, match=r"tfds needs the network.*" + options):
        cifar10.load(source="tfds")
    with pytest.raises(
        cifar10.CifarDataError, match=r"Unknown CIFAR-10 data source 'web'; valid: archive, keras-cache, embedded, tfds"
    ):
        cifar10.load(source="web")


def test_tfds_is_used_when_asked_and_the_network_answers(monkeypatch, tmp_path):
    write_archive(tmp_path / "c.tar.gz", per_class_train=2)
    fake = cifar10.read_archive(str(tmp_path / "c.tar.gz"))
    monkeypatch.setattr(cifar10, "network_available", lambda *a, **k: True)
    monkeypatch.setattr(cifar10, "download_with_tfds", lambda: fake)
    assert cifar10.load(source="tfds") is fake


def test_a_run_planned_on_other_data_refuses_to_train(tmp_path):
    write_archive(tmp_path / "c.tar.gz", per_class_train=2)
    split = cifar10.load(str(tmp_path / "c.tar.gz"), fingerprint=cifar10.load(str(tmp_path / "c.tar.gz")).fingerprint())
    assert split.x_train.shape == (20, 32, 32, 3)
    with pytest.raises(cifar10.CifarDataError, match="the data changed since the sweep was planned"):
        cifar10.load(str(tmp_path / "c.tar.gz"), fingerprint="0123456789abcdef")


def test_preflight_finds_the_data_once_and_puts_its_fingerprint_in_the_run_id(tmp_path):
    from experiments import config as cfg
    from experiments.sweep import plan

    write_archive(tmp_path / "c.tar.gz", per_class_train=2)
    configs = plan(
        "smoke",
        tasks=["sepal_width", "bird_plane"],
        pairings=["linear+mse", "sigmoid+bce"],
        seeds=[0],
        data_options={"cifar10_archive": str(tmp_path / "c.tar.gz")},
    )
    checked, sources = cifar10.preflight(configs)
    assert sources == ["CIFAR-10 archive c.tar.gz (20 train, 30 test images)"]
    fingerprint = cifar10.read_archive(str(tmp_path / "c.tar.gz")).fingerprint()
    by_task = {c["task"]: c for c in checked}
    assert by_task["bird_plane"]["data"]["cifar10_fingerprint"] == fingerprint
    assert "cifar10_fingerprint" not in by_task["sepal_width"]["data"]
    assert cfg.run_id(by_task["sepal_width"]) == cfg.run_id(configs[0])
    assert cfg.run_id(by_task["bird_plane"]) != cfg.run_id(configs[1])  # other data, another run
    with pytest.raises(cifar10.CifarDataError, match="does not exist"):
        cifar10.preflight(
            plan("smoke", tasks=["cifar10"], seeds=[0], data_options={"cifar10_archive": str(tmp_path / "none.tar.gz")})
        )


def test_tfds_download_path_converts_to_uint8_split(monkeypatch):
    import tensorflow as tf
    import tensorflow_datasets as tfds

    # tfds hands images over as uint8 tensors; a float or int64 one must come back uint8 too.
    images = tf.cast(tf.reshape(tf.range(4 * 32 * 32 * 3) % 256, (4, 32, 32, 3)), tf.int64)
    labels = tf.constant([0, 1, 2, 3], dtype=tf.int32)
    seen = {}
    monkeypatch.setattr(
        tfds,
        "load",
        lambda name, **kwargs: seen.update(name=name, **kwargs) or [(images, labels), (images[:2], labels[:2])],
    )
    split = cifar10.download_with_tfds()
    assert seen["name"] == "cifar10" and seen["split"] == ["train", "test"] and seen["as_supervised"] is True
    assert split.x_train.dtype == np.uint8 and split.x_train.shape == (4, 32, 32, 3)
    assert split.x_test.shape == (2, 32, 32, 3) and split.y_train.dtype == np.int64
    np.testing.assert_array_equal(split.x_train, images.numpy().astype("uint8"))
    assert "tensorflow-datasets" in split.source


def test_network_probe_answers_false_within_its_timeout():
    import time

    started = time.monotonic()
    # 192.0.2.0/24 is reserved for documentation (RFC 5737): nothing answers there.
    assert cifar10.network_available(("192.0.2.1", 9), timeout=0.3) is False
    assert time.monotonic() - started < 2.0


def _source_pixels(mosaic):
    cells = [mosaic[r * 32 : (r + 1) * 32, c * 32 : (c + 1) * 32] for r in range(2) for c in range(2)]
    return [cell for cell in cells if not np.all(cell == NEUTRAL_FILL)]


def test_mosaics_are_deterministic_and_labelled_by_their_content():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 5)
    images = (labels[:, None, None, None] * 10 + rng.integers(0, 8, size=(50, 32, 32, 3))).astype("uint8")
    x, y = make_mosaics(images, labels, 200, seed=3)
    x2, y2 = make_mosaics(images, labels, 200, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert x.shape == (200, 64, 64, 3) and x.dtype == np.uint8
    counts = y.sum(axis=1)
    assert counts.min() == 1 and counts.max() == 4 and set(np.unique(counts)) == {1, 2, 3, 4}
    for mosaic, label in zip(x[:50], y[:50]):
        classes_seen = sorted(int(cell.min()) // 10 for cell in _source_pixels(mosaic))
        assert classes_seen == sorted(np.flatnonzero(label).tolist())
    assert not np.array_equal(make_mosaics(images, labels, 20, seed=4)[0], x[:20])


def test_multilabel_train_mosaics_use_only_train_images(tmp_path):
    from experiments.tasks.multilabel import load_data

    write_archive(tmp_path / "c.tar.gz")
    split = load_data(cifar10_archive=str(tmp_path / "c.tar.gz"))
    content = lambda x: x[x != NEUTRAL_FILL]  # noqa: E731
    assert content(split.x_train).max() < 128  # fake train pixels are < 128
    assert content(split.x_test).min() >= 128  # fake test pixels are >= 128
