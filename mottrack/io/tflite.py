"""Read tensor facts (quantisation, shape, dtype) from a ``.tflite`` file.

Larod runs a model on the DLPU but has no API that reports the quantisation of
its output tensors, so an app has to read them from the model file it loaded.
This module does that with a tiny read-only FlatBuffers walker: no TensorFlow
Lite runtime and no ``flatbuffers`` package are needed.

Only the parts of the TFLite schema that lead to tensors are read::

    Model.subgraphs[0]  -> SubGraph
    SubGraph.tensors    -> [Tensor]     (field 0)
    SubGraph.inputs     -> [int32]      (field 1)
    SubGraph.outputs    -> [int32]      (field 2)
    Tensor.shape        -> [int32]      (field 0)
    Tensor.type         -> int8 enum    (field 1)
    Tensor.name         -> string       (field 3)
    Tensor.quantization -> QuantizationParameters (field 4)
    QuantizationParameters.scale      -> [float32] (field 2)
    QuantizationParameters.zero_point -> [int64]   (field 3)

Every offset is bounds-checked; a truncated or foreign file raises
:class:`ValueError` naming the path and what was wrong.  Work and memory are linear in
the file size: each tensor is decoded once, and the vectors and strings read may add
up to at most twice the file (crafted files with shared or overlapping vectors fail).
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

__all__ = ["TensorInfo", "read_tensors", "output_quantization", "input_quantization",
           "input_shape", "output_shape"]

PathLike = Union[str, "os.PathLike[str]"]

# TFLite TensorType enum -> numpy dtype name.
_TENSOR_TYPES = {
    0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string",
    6: "bool", 7: "int16", 8: "complex64", 9: "int8", 10: "float64", 11: "complex128",
    12: "uint64", 15: "uint32", 16: "uint16", 17: "int4",
}


@dataclass(frozen=True)
class TensorInfo:
    """Facts about one input or output tensor of a TFLite model.

    Attributes
    ----------
    name : str
        Tensor name in the graph (e.g. ``"StatefulPartitionedCall:0"``).
    shape : tuple of int
        Static shape, e.g. ``(1, 25200, 85)``.
    dtype : str
        Numpy dtype name (``"uint8"``, ``"int8"``, ``"float32"``, ...).
    scale : float or None
        Per-tensor quantisation scale (None if the tensor is not quantised).
    zero_point : int or None
        Per-tensor zero point (None if the tensor is not quantised).
    """

    name: str
    shape: Tuple[int, ...]
    dtype: str
    scale: Optional[float]
    zero_point: Optional[int]

    @property
    def quantization(self) -> Optional[Tuple[float, int]]:
        """``(scale, zero_point)`` or None."""
        if self.scale is None:
            return None
        return (self.scale, self.zero_point if self.zero_point is not None else 0)


class _Reader:
    """Bounds-checked little-endian FlatBuffers access over a bytes object."""

    def __init__(self, data: bytes, where: str) -> None:
        self.data = data
        self.where = where
        # Bytes of vectors and strings materialised so far may not exceed twice the file
        # (real files never reference one byte twice), so crafted files whose vectors
        # overlap or are shared cost time and memory linear in their size.
        self.budget = 2 * len(data) + 65536

    def charge(self, nbytes: int) -> None:
        self.budget -= nbytes
        if self.budget < 0:
            raise self.fail("vectors and strings reference more data than the file holds "
                            "(overlapping or shared vectors)")

    def fail(self, what: str) -> "ValueError":
        return ValueError(f"{self.where}: not a valid .tflite flatbuffer ({what})")

    def _unpack(self, fmt: str, pos: int):
        size = struct.calcsize(fmt)
        if pos < 0 or pos + size > len(self.data):
            raise self.fail(f"offset {pos} out of range")
        return struct.unpack_from(fmt, self.data, pos)[0]

    def u32(self, pos: int) -> int:
        return self._unpack("<I", pos)

    def field_pos(self, table: int, index: int) -> Optional[int]:
        """Absolute position of field ``index`` of the table at ``table``, or None if absent."""
        vtable = table - self._unpack("<i", table)
        vt_size = self._unpack("<H", vtable)
        slot = 4 + 2 * index
        if slot + 2 > vt_size:
            return None
        off = self._unpack("<H", vtable + slot)
        return table + off if off else None

    def ref(self, pos: int) -> int:
        """Follow a uoffset stored at ``pos``."""
        return pos + self.u32(pos)

    def table(self, table: int, index: int) -> Optional[int]:
        p = self.field_pos(table, index)
        return None if p is None else self.ref(p)

    def vector(self, table: int, index: int) -> Tuple[int, int]:
        """(start of elements, length) of a vector field; (0, 0) if absent."""
        p = self.field_pos(table, index)
        if p is None:
            return 0, 0
        v = self.ref(p)
        n = self.u32(v)
        if n > len(self.data):
            raise self.fail(f"vector length {n} exceeds the file")
        return v + 4, n

    def scalar_vector(self, table: int, index: int, fmt: str) -> List:
        start, n = self.vector(table, index)
        size = struct.calcsize(fmt)
        if start + n * size > len(self.data):
            raise self.fail("vector runs past the end of the file")
        self.charge(n * size)
        return list(struct.unpack_from(f"<{n}{fmt}", self.data, start)) if n else []

    def table_vector(self, table: int, index: int) -> List[int]:
        start, n = self.vector(table, index)
        if start + 4 * n > len(self.data):
            raise self.fail("vector runs past the end of the file")
        self.charge(4 * n)
        return [self.ref(start + 4 * i) for i in range(n)]

    def string(self, table: int, index: int) -> str:
        p = self.field_pos(table, index)
        if p is None:
            return ""
        s = self.ref(p)
        n = self.u32(s)
        if s + 4 + n > len(self.data):
            raise self.fail("string runs past the end of the file")
        self.charge(n)
        return self.data[s + 4:s + 4 + n].decode("utf-8", "replace")

    def scalar(self, table: int, index: int, fmt: str, default):
        p = self.field_pos(table, index)
        return default if p is None else self._unpack("<" + fmt, p)


def _load(model: Union[PathLike, bytes, bytearray, memoryview]) -> _Reader:
    if isinstance(model, (bytes, bytearray, memoryview)):
        data, where = bytes(model), "model bytes"
    else:
        where = os.fspath(model)
        try:
            with open(where, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ValueError(f"{where}: cannot read the .tflite file ({exc.strerror or exc})") from exc
    r = _Reader(data, where)
    if len(data) < 8:
        raise r.fail(f"only {len(data)} bytes")
    if data[4:8] != b"TFL3":
        raise r.fail(f"file identifier is {data[4:8]!r}, expected b'TFL3'")
    return r


def _tensor_info(r: _Reader, tensor: int) -> TensorInfo:
    shape = tuple(int(v) for v in r.scalar_vector(tensor, 0, "i"))
    type_code = r.scalar(tensor, 1, "b", 0)
    name = r.string(tensor, 3)
    scale = zero_point = None
    q = r.table(tensor, 4)
    if q is not None:
        scales = r.scalar_vector(q, 2, "f")
        zps = r.scalar_vector(q, 3, "q")
        if scales:
            scale = float(scales[0])
            zero_point = int(zps[0]) if zps else 0
    return TensorInfo(name, shape, _TENSOR_TYPES.get(type_code, f"type{type_code}"), scale, zero_point)


def read_tensors(model: Union[PathLike, bytes], subgraph: int = 0) -> Tuple[List[TensorInfo], List[TensorInfo]]:
    """Inputs and outputs of one subgraph of a ``.tflite`` model.

    Parameters
    ----------
    model : path or bytes
        The ``.tflite`` file (path) or its contents.
    subgraph : int
        Subgraph index (0, the main graph, by default).

    Returns
    -------
    inputs, outputs : list of TensorInfo
        In graph order, which is also Larod's tensor order.

    Raises
    ------
    ValueError
        The file cannot be read, is not a TFLite flatbuffer (identifier ``TFL3``),
        is truncated, or has no such subgraph.
    """
    r = _load(model)
    root = r.u32(0)
    subgraphs = r.table_vector(root, 2)
    if not 0 <= subgraph < len(subgraphs):
        raise r.fail(f"subgraph {subgraph} requested, the model has {len(subgraphs)}")
    sg = subgraphs[subgraph]
    tensors = r.table_vector(sg, 0)
    out = []
    seen: dict = {}  # each tensor is decoded once, however often the lists name it
    for field in (1, 2):
        idx = r.scalar_vector(sg, field, "i")
        infos = []
        for i in idx:
            if not 0 <= i < len(tensors):
                raise r.fail(f"tensor index {i} out of range (0..{len(tensors) - 1})")
            info = seen.get(i)
            if info is None:
                info = seen[i] = _tensor_info(r, tensors[i])
            infos.append(info)
        out.append(infos)
    return out[0], out[1]


def _pick(infos: List[TensorInfo], index: int, kind: str, where) -> TensorInfo:
    if not -len(infos) <= index < len(infos):
        raise ValueError(f"{where}: {kind} index {index} out of range; the model has {len(infos)} {kind}s")
    return infos[index]


def _quantization(info: TensorInfo, kind: str, model) -> Tuple[float, int]:
    q = info.quantization
    if q is None:
        raise ValueError(f"{os.fspath(model) if not isinstance(model, (bytes, bytearray, memoryview)) else 'model bytes'}: "
                         f"{kind} tensor {info.name!r} ({info.dtype}) has no quantisation parameters")
    return q


def output_quantization(model_path: Union[PathLike, bytes], index: int = 0) -> Tuple[float, int]:
    """``(scale, zero_point)`` of an output tensor; real value = ``(q - zero_point) * scale``.

    Parameters
    ----------
    model_path : path or bytes
        The ``.tflite`` model that Larod runs.
    index : int
        Output index in Larod order (0 for single-output models such as YOLOv5).

    Returns
    -------
    scale : float
    zero_point : int

    Raises
    ------
    ValueError
        Unreadable or invalid file, index out of range, or an unquantised tensor.

    Examples
    --------
    >>> output_quantization("yolov5n_artpec8.tflite")  # doctest: +SKIP
    (0.0041905134, 0)
    """
    _, outputs = read_tensors(model_path)
    return _quantization(_pick(outputs, index, "output", model_path), "output", model_path)


def input_quantization(model_path: Union[PathLike, bytes], index: int = 0) -> Tuple[float, int]:
    """``(scale, zero_point)`` of an input tensor (see :func:`output_quantization`)."""
    inputs, _ = read_tensors(model_path)
    return _quantization(_pick(inputs, index, "input", model_path), "input", model_path)


def input_shape(model_path: Union[PathLike, bytes], index: int = 0) -> Tuple[int, ...]:
    """Static shape of an input tensor, e.g. ``(1, 640, 640, 3)`` (NHWC)."""
    inputs, _ = read_tensors(model_path)
    return _pick(inputs, index, "input", model_path).shape


def output_shape(model_path: Union[PathLike, bytes], index: int = 0) -> Tuple[int, ...]:
    """Static shape of an output tensor, e.g. ``(1, 25200, 85)``."""
    _, outputs = read_tensors(model_path)
    return _pick(outputs, index, "output", model_path).shape
