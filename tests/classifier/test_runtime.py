import os

import numpy as np
import onnxruntime as ort
import pytest
from django.core.files.base import ContentFile

from classifier import runtime
from classifier.preprocessing import Preprocessing
from classifier.runtime import (
    ModelIntegrityError,
    intra_op_threads,
    model_session_create,
    model_session_get,
    session_options,
)

from .tiny_models import color_model, color_spec


@pytest.fixture
def sessions_made(monkeypatch):
    made = []
    real = ort.InferenceSession

    def counting(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runtime.ort, "InferenceSession", counting)
    return made


@pytest.fixture
def runs(monkeypatch):
    calls = []
    real = ort.InferenceSession.run

    def counting(self, output_names, feed, *args, **kwargs):
        calls.append(next(iter(feed.values())).shape[0])
        return real(self, output_names, feed, *args, **kwargs)

    monkeypatch.setattr(ort.InferenceSession, "run", counting)
    return calls


class TestSessionCache:
    def test_one_session_per_process_and_version(self, register_color_model, sessions_made):
        model_version = register_color_model()
        sessions_made.clear()
        first = model_session_get(model_version=model_version)
        assert model_session_get(model_version=model_version) is first
        assert len(sessions_made) == 1
        other = register_color_model(spec={"channel_order": "BGR"})
        assert model_session_get(model_version=other) is not first

    def test_a_forked_process_makes_its_own(self, register_color_model, sessions_made, monkeypatch):
        model_version = register_color_model()
        parent = model_session_get(model_version=model_version)
        monkeypatch.setattr(os, "getpid", lambda: -12345)
        child = model_session_get(model_version=model_version)
        assert child is not parent
        assert model_session_get(model_version=model_version) is child

    def test_registering_keeps_no_session_until_first_use(self, register_color_model, sessions_made):
        model_version = register_color_model()
        assert runtime._process_cache().sessions == {}
        sessions_made.clear()
        model_session_get(model_version=model_version)
        assert len(sessions_made) == 1 and len(runtime._process_cache().sessions) == 1

    def test_a_file_that_does_not_match_its_sha256_is_refused(self, register_color_model):
        model_version = register_color_model()
        storage = model_version.onnx_file.storage
        storage.delete(model_version.onnx_file.name)
        storage.save(model_version.onnx_file.name, ContentFile(color_model(gain=3.0)))
        with pytest.raises(ModelIntegrityError, match="SHA-256"):
            model_session_get(model_version=model_version)

    def test_a_registered_sha256_that_was_changed_is_refused(self, register_color_model):
        model_version = register_color_model()
        model_version.sha256 = "0" * 64
        with pytest.raises(ModelIntegrityError, match=model_version.onnx_file.name):
            model_session_get(model_version=model_version)


class TestBatching:
    def images_tensor(self, count):
        rng = np.random.default_rng(1)
        return rng.random((count, 3, 8, 8), dtype=np.float32)

    def test_a_fixed_batch_of_1_runs_images_one_by_one(self, runs):
        spec = Preprocessing.from_spec(color_spec(dtype="float16"))
        loaded = model_session_create(
            model_bytes=color_model(dtype="float16", batch=1, output_4d=True), preprocessing=spec
        )
        assert loaded.batch_size == 1
        tensor = self.images_tensor(3).astype(np.float16)
        together = loaded.run(tensor)
        assert runs == [1, 1, 1]
        assert together.shape == (3, 3) and together.dtype == np.float32
        for index in range(3):
            np.testing.assert_allclose(loaded.run(tensor[index : index + 1])[0], together[index])

    def test_a_fixed_batch_of_2_pads_the_last_chunk(self, runs):
        loaded = model_session_create(
            model_bytes=color_model(batch=2), preprocessing=Preprocessing.from_spec(color_spec())
        )
        tensor = self.images_tensor(3)
        assert loaded.run(tensor).shape == (3, 3)
        assert runs == [2, 2]

    def test_a_dynamic_batch_runs_once(self, runs):
        loaded = model_session_create(
            model_bytes=color_model(), preprocessing=Preprocessing.from_spec(color_spec())
        )
        assert loaded.batch_size is None
        assert loaded.run(self.images_tensor(5)).shape == (5, 3)
        assert runs == [5]


class TestThreads:
    def test_configured_threads_win(self, settings):
        settings.CLASSIFIER_INTRA_OP_THREADS = 3
        assert intra_op_threads() == 3
        assert session_options().intra_op_num_threads == 3

    @pytest.mark.parametrize(("cores", "processes", "expected"), [(8, "2", 4), (8, None, 8), (2, "4", 1)])
    def test_zero_shares_the_cores_among_worker_processes(
        self, settings, monkeypatch, cores, processes, expected
    ):
        settings.CLASSIFIER_INTRA_OP_THREADS = 0
        monkeypatch.setattr(os, "cpu_count", lambda: cores)
        if processes is None:
            monkeypatch.delenv("CLASSIFIER_PROCESSES", raising=False)
        else:
            monkeypatch.setenv("CLASSIFIER_PROCESSES", processes)
        assert intra_op_threads() == expected

    def test_session_options(self):
        options = session_options()
        assert options.inter_op_num_threads == 1
        assert options.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
        assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
