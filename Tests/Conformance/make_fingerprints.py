"""Fingerprints of llama.cpp's quantized conformance files (llama-quantize's output), so that the
tests can check that Loupe's quantizer writes the same tensors without shipping llama.cpp's files.

    python3 Tests/Conformance/make_fingerprints.py LLAMA_CPP_CONFORMANCE_DIR GGUF_PY_DIR

LLAMA_CPP_CONFORMANCE_DIR holds tiny/ and archs/ with llama-quantize's files; GGUF_PY_DIR is
llama.cpp's gguf-py (in the llama-cpp-python sdist: vendor/llama.cpp/gguf-py). Writes
Tests/Conformance/llama-quantize.json (run from the package root).
"""
import json, sys
S = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from gguf import GGUFReader
def fnv1a64(b):
    h = 0xcbf29ce484222325
    for x in b:
        h ^= x; h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return '%016x' % h
recipes = {}
for name, recipe in [('f16','F16'),('bf16','BF16'),('q8_0','Q8_0'),('q4_0','Q4_0'),('q4_1','Q4_1'),('q5_0','Q5_0'),('q5_1','Q5_1'),('q2_k','Q2_K'),('q3_k_s','Q3_K'),('q4_k_s','Q4_K'),('q5_k_s','Q5_K'),('q6_k','Q6_K'),('q4_k_m','Q4_K_M')]:
    recipes[f'tiny/tiny-{name}'] = ('tiny/tiny-f32', recipe, f'{S}/tiny/tiny-{name}.gguf')
for a in ['llama3','qwen2','qwen3','gemma3','phi3']:
    for name, recipe in [('q8_0','Q8_0'),('q4_k','Q4_K_M --pure')]:  # llama-quantize's Q4_K is Q4_K_M
        recipes[f'archs/{a}-{name}'] = (f'archs/{a}-f32', recipe, f'{S}/archs/{a}-{name}.gguf')
out = {}
for key, (src, recipe, path) in recipes.items():
    r = GGUFReader(path)
    md = {f.name: f for f in r.fields.values()}
    ft = int(md['general.file_type'].parts[-1][0])
    qv = int(md['general.quantization_version'].parts[-1][0]) if 'general.quantization_version' in md else None
    import numpy as np
    tensors = {t.name: {'type': int(t.tensor_type), 'fnv1a64': fnv1a64(np.asarray(t.data).tobytes())} for t in r.tensors}
    out[key] = {'source': src, 'quantization': recipe, 'file_type': ft, 'quantization_version': qv, 'tensors': tensors}
json.dump(out, open('Tests/Conformance/llama-quantize.json', 'w'), indent=1, sort_keys=True)
print(len(out))
