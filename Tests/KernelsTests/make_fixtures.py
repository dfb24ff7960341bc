#!/usr/bin/env python3
"""Generates the expected values KernelsTests compares Loupe's block formats against.

Run from the package root:  python3 Tests/KernelsTests/make_fixtures.py
Needs numpy and gguf-py (`pip install gguf`). Optional: a llama.cpp build whose libggml-base.so
is at $GGML_LIB (default /tmp/oracle/bin/libggml-base.so), for the K-type quantizers, which
gguf-py does not implement. The tests themselves never run Python.

Writes Tests/KernelsTests/Fixtures/:
  dequantize.json + dequantize/NAME.blocks, NAME.f32
      the first elements of one tensor of every type in every model file, as raw block bytes,
      and gguf-py's `gguf.quants.dequantize` of them (little-endian float32).
  checksums.json
      for every tensor of every tiny conformance model (all elements) and of the real models in
      Weights/ (first 16384 elements), a checksum of gguf-py's dequantized float32 bits:
      sum over i of bits[i] * (i + 1) mod 2^64, plus the float64 sum of the values.
  quantize.json + quantize/INPUT.f32, quantize/INPUT.TYPE
      float inputs (random, edge cases and real weights) and the bytes that gguf-py's
      `gguf.quants.quantize` (F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) or ggml's own
      `quantize_row_*_ref` (Q2_K...Q6_K, Q8_K) make of them.
  q8k_dot.json
      for the K-type dequantize samples and the "gaussian" quantize input (its first 1024
      values, quantized to Q8_K): ggml's `ggml_vec_dot_qN_K_q8_K_generic` and the
      CPU-specific `ggml_vec_dot_qN_K_q8_K` of the two (needs libggml-cpu.so beside GGML_LIB).
"""
import ctypes
import json
import os
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/KernelsTests/Fixtures"
SHARED_TINY = ROOT.parent / "shared/conformance/tiny"
WEIGHTS = ROOT / "Weights"
GGML_LIB = os.environ.get("GGML_LIB", "/tmp/oracle/bin/libggml-base.so")

SAMPLE_ELEMENTS = 1024       # per dequantize sample (4 K-blocks)
WEIGHTS_CHECK_ELEMENTS = 16384


def raw_bytes(tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor.data).reshape(-1).view(np.uint8)


def dequantize(raw: np.ndarray, qtype: T) -> np.ndarray:
    return np.asarray(gguf.quants.dequantize(raw, qtype), dtype=np.float32).reshape(-1)


def checksum(values: np.ndarray) -> str:
    bits = values.view(np.uint32).astype(np.uint64)
    weights = np.arange(1, len(bits) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        total = int(np.sum(bits * weights, dtype=np.uint64))
    return f"{total:016x}"


def model_files():
    files = sorted(SHARED_TINY.glob("*.gguf")) if SHARED_TINY.is_dir() else []
    weights = sorted(WEIGHTS.glob("*.gguf")) if WEIGHTS.is_dir() else []
    return [(f, "tiny", None) for f in files] + [(f, "weights", WEIGHTS_CHECK_ELEMENTS) for f in weights]


def make_dequantize_fixtures():
    (OUT / "dequantize").mkdir(parents=True, exist_ok=True)
    samples, sums = [], []
    sampled_types = set()
    for path, group, limit in model_files():
        reader = gguf.GGUFReader(path)
        for tensor in reader.tensors:
            qtype = T(tensor.tensor_type)
            block, size = gguf.GGML_QUANT_SIZES[qtype]
            raw = raw_bytes(tensor)
            count = int(np.prod([int(d) for d in tensor.shape]))
            if limit is not None:
                count = min(count, limit)
            raw = raw[: count // block * size]
            values = dequantize(raw, qtype)
            sums.append({"group": group, "file": path.name, "tensor": tensor.name, "type": qtype.name,
                         "count": count, "checksum": checksum(values), "sum": float(np.sum(values, dtype=np.float64))})
            # One explicit sample per (type, source): the tiny file of that type, and each real model.
            key = (qtype.name, group if group == "tiny" else path.name)
            if len(tensor.shape) == 2 and key not in sampled_types and count >= SAMPLE_ELEMENTS:
                sampled_types.add(key)
                n = SAMPLE_ELEMENTS
                name = f"{qtype.name}-{path.stem}"
                (OUT / "dequantize" / f"{name}.blocks").write_bytes(raw[: n // block * size].tobytes())
                (OUT / "dequantize" / f"{name}.f32").write_bytes(values[:n].astype("<f4").tobytes())
                samples.append({"name": name, "file": path.name, "tensor": tensor.name, "type": qtype.name, "count": n})
    (OUT / "dequantize.json").write_text(json.dumps(samples, indent=1) + "\n")
    (OUT / "checksums.json").write_text(json.dumps(sums, indent=0) + "\n")
    print(f"dequantize: {len(samples)} samples, {len(sums)} tensor checksums")


def quantize_inputs():
    rng = np.random.default_rng(20241129)
    inputs = {}
    inputs["gaussian"] = rng.standard_normal(4096).astype(np.float32) * 0.02
    heavy = rng.standard_t(3, 4096).astype(np.float32) * 0.05
    inputs["heavy-tailed"] = heavy
    edge = rng.standard_normal(4096).astype(np.float32)
    edge[0:256] = 0                           # an all-zero super-block
    edge[256:512] = 0.75                      # a constant super-block
    edge[512:544] = -3.0                      # constant negative block
    edge[544:576] = np.linspace(-1, 1, 32)    # exact ramp
    edge[576:832] *= 1e-6                     # tiny values (F16 subnormals)
    edge[832:864] = [70000.0, -70000.0, 65504.0, 65520.0, 1e-8, -1e-8, 6e-8, 3e-8] * 4  # F16 overflow/underflow
    edge[864:1120] = np.abs(edge[864:1120])   # all positive (min > 0 for the K types)
    edge[1120:1376] = -np.abs(edge[1120:1376])
    edge[1376:1632] = np.round(edge[1376:1632] * 4) / 4   # many ties
    inputs["edge-cases"] = edge
    tiny = SHARED_TINY / "tiny-f32.gguf"
    if tiny.is_file():
        reader = gguf.GGUFReader(tiny)
        t = next(t for t in reader.tensors if t.name == "blk.0.ffn_down.weight")
        inputs["tiny-ffn_down"] = np.asarray(t.data, dtype=np.float32).reshape(-1)[:4096].copy()
    return inputs


def ggml_reference_quantizers():
    if not Path(GGML_LIB).is_file():
        print(f"note: {GGML_LIB} not found, K-type quantize fixtures skipped", file=sys.stderr)
        return {}
    lib = ctypes.CDLL(GGML_LIB)
    out = {}
    for qtype in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.Q8_K):
        fn = getattr(lib, f"quantize_row_{qtype.name.lower().replace('_k', '_K')}_ref")
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        fn.restype = None
        out[qtype] = fn
    return out


def ggml_quantize(fn, qtype: T, x: np.ndarray) -> bytes:
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    x = np.ascontiguousarray(x, dtype=np.float32)
    dst = np.zeros(len(x) // block * size, dtype=np.uint8)
    fn(x.ctypes.data, dst.ctypes.data, len(x))
    return dst.tobytes()


def make_quantize_fixtures():
    (OUT / "quantize").mkdir(parents=True, exist_ok=True)
    ggml = ggml_reference_quantizers()
    cases = []
    for name, x in quantize_inputs().items():
        (OUT / "quantize" / f"{name}.f32").write_bytes(x.astype("<f4").tobytes())
        for qtype in (T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0):
            with np.errstate(over="ignore"):  # the edge cases overflow F16 on purpose
                data = np.asarray(gguf.quants.quantize(x, qtype)).reshape(-1).view(np.uint8).tobytes()
            (OUT / "quantize" / f"{name}.{qtype.name}").write_bytes(data)
            cases.append({"input": name, "type": qtype.name, "oracle": "gguf-py"})
        for qtype, fn in ggml.items():
            (OUT / "quantize" / f"{name}.{qtype.name}").write_bytes(ggml_quantize(fn, qtype, x))
            cases.append({"input": name, "type": qtype.name, "oracle": "ggml"})
    (OUT / "quantize.json").write_text(json.dumps(cases, indent=1) + "\n")
    print(f"quantize: {len(cases)} cases")


def make_q8k_dot_fixtures():
    cpu_path = Path(GGML_LIB).with_name("libggml-cpu.so")
    if not cpu_path.is_file():
        print(f"note: {cpu_path} not found, Q8_K dot fixtures skipped", file=sys.stderr)
        return
    ggml = ggml_reference_quantizers()
    cpu = ctypes.CDLL(str(cpu_path))
    cpu.ggml_cpu_init()   # fills the f16 -> f32 table the dot products read
    x = np.fromfile(OUT / "quantize/gaussian.f32", dtype="<f4")[:SAMPLE_ELEMENTS]
    activations = np.frombuffer(ggml_quantize(ggml[T.Q8_K], T.Q8_K, x), dtype=np.uint8)
    cases = []
    for sample in json.loads((OUT / "dequantize.json").read_text()):
        if sample["type"] not in ("Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"):
            continue
        weights = np.frombuffer((OUT / "dequantize" / f"{sample['name']}.blocks").read_bytes(), dtype=np.uint8)
        result = {"name": sample["name"], "type": sample["type"], "activations": "gaussian", "count": SAMPLE_ELEMENTS}
        for key, suffix in (("generic", "_generic"), ("native", "")):
            fn = getattr(cpu, f"ggml_vec_dot_{sample['type'].lower().replace('_k', '_K')}_q8_K{suffix}")
            fn.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
                           ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
            out = np.zeros(1, dtype=np.float32)
            fn(SAMPLE_ELEMENTS, out.ctypes.data, 0, weights.ctypes.data, 0, activations.ctypes.data, 0, 1)
            result[key] = int(out.view(np.uint32)[0])
        cases.append(result)
    (OUT / "q8k_dot.json").write_text(json.dumps(cases, indent=1) + "\n")
    print(f"q8k dot: {len(cases)} cases")


if __name__ == "__main__":
    make_dequantize_fixtures()
    make_quantize_fixtures()
    make_q8k_dot_fixtures()
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"fixtures: {total / 1024:.0f} KiB")
