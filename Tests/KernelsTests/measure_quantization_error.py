#!/usr/bin/env python3
"""Measures ggml's own quantize -> dequantize error, for the table in docs/kernels.md.

Run from the package root:  python3 Tests/KernelsTests/measure_quantization_error.py
Needs numpy, gguf-py and llama.cpp's libggml-base.so ($GGML_LIB, default
/tmp/oracle/bin/libggml-base.so), whose quantize_row_*_ref / dequantize_row_* it calls.
Prints relative RMS error  sqrt(mean((x - y)^2)) / sqrt(mean(x^2))  per type and input, and
writes each input to /tmp/loupe-qerr-INPUT.f32 so Loupe's quantizers can be run on the same data.
"""
import ctypes
import os
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

ROOT = Path(__file__).resolve().parents[2]
lib = ctypes.CDLL(os.environ.get("GGML_LIB", "/tmp/oracle/bin/libggml-base.so"))
TYPES = ["F16", "BF16", "Q8_0", "Q5_1", "Q5_0", "Q4_1", "Q4_0", "Q6_K", "Q5_K", "Q4_K", "Q3_K", "Q2_K"]
N = 1 << 20


def inputs():
    rng = np.random.default_rng(1)
    out = {"gaussian": rng.standard_normal(N).astype(np.float32),
           "student-t3": rng.standard_t(3, N).astype(np.float32)}
    smol = ROOT / "Weights/SmolLM2-135M-Instruct.Q4_1.gguf"
    if smol.is_file():
        t = next(t for t in gguf.GGUFReader(smol).tensors if t.name == "token_embd.weight")
        raw = np.asarray(t.data).reshape(-1)[: N // 32 * 34]
        out["smollm2-embd"] = gguf.quants.dequantize(raw, T.Q8_0).reshape(-1).astype(np.float32)
    return out


def c_function(prefix, name):
    f = getattr(lib, f"{prefix}_{name.lower().replace('_k', '_K')}")
    f.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return f


def ggml_round_trip(name, x):
    if name == "F16":
        return x.astype(np.float16).astype(np.float32)      # round to nearest even, as ggml
    if name == "BF16":
        return gguf.quants.dequantize(gguf.quants.quantize(x, T.BF16), T.BF16).reshape(-1)
    block, size = gguf.GGML_QUANT_SIZES[T[name]]
    packed = np.zeros(len(x) // block * size, np.uint8)
    y = np.zeros_like(x)
    c_function("quantize_row", name + "_ref")(x.ctypes.data, packed.ctypes.data, len(x))
    c_function("dequantize_row", name)(packed.ctypes.data, y.ctypes.data, len(x))
    return y


if __name__ == "__main__":
    print("| input | " + " | ".join(TYPES) + " |")
    for label, x in inputs().items():
        x.astype("<f4").tofile(f"/tmp/loupe-qerr-{label}.f32")
        rms = np.sqrt(np.mean(x.astype(np.float64) ** 2))
        errors = [np.sqrt(np.mean((x.astype(np.float64) - ggml_round_trip(t, x)) ** 2)) / rms for t in TYPES]
        print(f"| {label} | " + " | ".join(f"{e:.2e}" for e in errors) + " |")
