"""The TFJS → ONNX converter: same outputs as the original model in Node; refuses what it
cannot translate, by name."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped]
import pytest

from vidgov.analytics.detectors.nanodet import MODELS_DIR, NanoDetConfig, preprocess
from vidgov.analytics.tfjs_onnx import UnsupportedModel, convert, convert_file, read_weights

REFERENCE_JS = Path(__file__).with_name("tfjs_reference.cjs")


def run_in_node(model_json: Path, tensor: np.ndarray, tmp_path: Path) -> dict[str, np.ndarray]:
    """The TFJS model's outputs from the pure-JS cpu backend, keyed by output node name."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: run scripts/install-system-deps.sh", pytrace=False)
    raw = tmp_path / "input.f32"
    tensor.astype("<f4").tofile(raw)
    done = subprocess.run([node, str(REFERENCE_JS), str(MODELS_DIR), str(model_json), str(raw),
                           *map(str, tensor.shape)], capture_output=True, text=True, check=False,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return {name.removesuffix(":0"): np.asarray(v["data"], np.float32).reshape(v["shape"])
            for name, v in result.items()}


@pytest.mark.slow
def test_nanodet_matches_tfjs_in_node(nanodet_tfjs: Path, vtest_frames: dict[int, np.ndarray],
                                      tmp_path: Path) -> None:
    # A real, pre-processed frame: realistic activations, as the detector will see them.
    onnx_path = convert_file(nanodet_tfjs, tmp_path / "nanodet.onnx")
    tensor, _ = preprocess(vtest_frames[200])
    expected = run_in_node(nanodet_tfjs, tensor, tmp_path)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = dict(zip([o.name for o in session.get_outputs()],
                   session.run(None, {"input_1": tensor}), strict=True))
    assert sorted(got) == sorted(expected)
    worst = {name: float(np.abs(got[name] - expected[name]).max()) for name in expected}
    assert max(worst.values()) < 1e-4, worst
    assert {v.shape for v in got.values()} == {
        (1, n, c) for n in (2704, 676, 169) for c in (80, 44)}


def test_installed_model_is_current(nanodet_tfjs: Path, nanodet_onnx: Path) -> None:
    # What install-models.sh wrote is what the converter builds now.
    assert NanoDetConfig().model_path == nanodet_onnx
    rebuilt = convert(nanodet_tfjs).SerializeToString()
    assert nanodet_onnx.read_bytes() == rebuilt, "stale: run scripts/install-models.sh"


def make_graph_model(folder: Path, nodes: list[dict[str, Any]],
                     weights: list[tuple[dict[str, Any], bytes]]) -> Path:
    """A tiny TFJS graph model on disk: ``weights`` are (manifest entry, raw bytes) pairs."""
    (folder / "w.bin").write_bytes(b"".join(data for _, data in weights))
    model = {
        "format": "graph-model",
        "signature": {"outputs": {"out:0": {"name": "out:0", "tensorShape": {
            "dim": [{"size": "1"}, {"size": "2"}]}}}},
        "modelTopology": {"node": [
            {"name": "x", "op": "Placeholder", "attr": {"shape": {"shape": {
                "dim": [{"size": "1"}, {"size": "2"}]}}}}, *nodes]},
        "weightsManifest": [{"paths": ["w.bin"], "weights": [m for m, _ in weights]}],
    }
    path = folder / "model.json"
    path.write_text(json.dumps(model))
    return path


HALF = np.array([0.5, -2.0], np.float16)


@pytest.mark.parametrize(("nodes", "weights", "expected"), [
    pytest.param([{"name": "out", "op": "Sigmoid", "input": ["x"]}], [], [[0.5, 0.5]],
                 id="sigmoid"),
    pytest.param([{"name": "b", "op": "Const"}, {"name": "out", "op": "Add", "input": ["x", "b"]}],
                 [({"name": "b", "shape": [2], "dtype": "float32",
                    "quantization": {"dtype": "float16", "original_dtype": "float32"}},
                   HALF.tobytes())], [[0.5, -2.0]], id="float16-weights"),
    pytest.param([{"name": "out", "op": "LeakyRelu", "input": ["x"],
                   "attr": {"alpha": {"f": 0.1}}}], [], [[0.0, 0.0]], id="leaky-relu"),
])
def test_small_graphs(tmp_path: Path, nodes: list[dict[str, Any]],
                      weights: list[tuple[dict[str, Any], bytes]],
                      expected: list[list[float]]) -> None:
    model = convert(make_graph_model(tmp_path, nodes, weights))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"x": np.zeros((1, 2), np.float32)})
    np.testing.assert_allclose(out, expected)


def test_unknown_op_is_named(tmp_path: Path) -> None:
    path = make_graph_model(tmp_path, [{"name": "out", "op": "Erf", "input": ["x"]}], [])
    with pytest.raises(UnsupportedModel, match="op Erf"):
        convert(path)


def test_short_weights_file_is_refused(tmp_path: Path) -> None:
    path = make_graph_model(tmp_path, [], [
        ({"name": "b", "shape": [2], "dtype": "float32"}, b"\0" * 8),
        ({"name": "c", "shape": [1], "dtype": "int32"}, b"")])
    with pytest.raises(UnsupportedModel, match="8 bytes end before c"):
        read_weights(path, json.loads(path.read_text())["weightsManifest"])
