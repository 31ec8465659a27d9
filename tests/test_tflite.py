"""The small .tflite flatbuffer reader against the real Axis YOLOv5 models."""
from pathlib import Path

import numpy as np
import pytest

from conftest import require_or_skip  # noqa: E402

from mottrack.io.tflite import (input_quantization, input_shape, output_quantization, output_shape,
                                read_tensors)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MODELS = SHARED / "models"
needs_models = require_or_skip(not (MODELS / "yolov5n_artpec8.tflite").exists(),
                               "../shared/models absent")


@needs_models
@pytest.mark.parametrize("chip, scale, zp", [("8", 0.0041905134, 0), ("9", 0.0042463848, 1)])
def test_output_quantization_of_real_models(chip, scale, zp):
    path = MODELS / f"yolov5n_artpec{chip}.tflite"
    s, z = output_quantization(path)
    assert np.float32(s) == np.float32(scale)
    assert z == zp and isinstance(z, int)
    assert output_shape(path) == (1, 25200, 85)
    assert input_shape(path) == (1, 640, 640, 3)
    s_in, z_in = input_quantization(path)
    assert abs(s_in - 1 / 255) < 1e-9 and z_in == 0
    inputs, outputs = read_tensors(str(path))
    assert [t.dtype for t in inputs] == ["uint8"] and [t.dtype for t in outputs] == ["uint8"]
    assert outputs[0].name == "StatefulPartitionedCall:0"


@needs_models
def test_reads_from_bytes_too():
    data = (MODELS / "yolov5n_artpec9.tflite").read_bytes()
    assert output_quantization(data)[1] == 1


def test_bad_files_raise_value_error(tmp_path):
    missing = tmp_path / "nope.tflite"
    with pytest.raises(ValueError, match="cannot read"):
        output_quantization(missing)
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match="TFL3"):
        output_quantization(junk)
    tiny = tmp_path / "tiny.tflite"
    tiny.write_bytes(b"abc")
    with pytest.raises(ValueError, match="not a valid"):
        output_quantization(tiny)
    # Right identifier, garbage offsets: must be a ValueError, not struct.error/IndexError.
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\xff\xff\xff\x7fTFL3" + b"\x01" * 32)
    with pytest.raises(ValueError, match="not a valid"):
        output_quantization(bad)


@needs_models
def test_truncated_model_is_a_value_error(tmp_path):
    data = (MODELS / "yolov5n_artpec8.tflite").read_bytes()
    cut = tmp_path / "cut.tflite"
    cut.write_bytes(data[:4096])
    with pytest.raises(ValueError, match="not a valid"):
        output_quantization(cut)


@needs_models
def test_output_index_out_of_range():
    with pytest.raises(ValueError, match="output index 3 out of range"):
        output_quantization(MODELS / "yolov5n_artpec8.tflite", index=3)
