#!/usr/bin/env python3
"""Constrained generation beside llama.cpp's grammar sampler, in one run (docs/grammar.md).

Each round runs, one after the other so that machine noise hits all alike:
  - `loupe-benchmarks grammar --rounds 1`: Loupe free, then Loupe under the invoice schema;
  - llama.cpp's `llama-completion`, free, then with `--json-schema-file` of the same schema,
on the same chat prompt, sampler chain (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8) and
seed. A rate is generated tokens / (decoding time + sampling time): llama.cpp's "eval time" plus
its "sampling time" (which includes its grammar), Loupe's decoding loop (forward passes and
samplers). The issue's bar: schema ≥ 80 % of free, for each engine.

usage: grammar_vs_llama_cpp.py LLAMA_COMPLETION [--rounds R] [--model M] [--loupe-benchmarks PATH]
"""
import argparse, json, os, re, statistics, subprocess, tempfile

SCHEMA = {"type": "object",
          "properties": {"nom": {"type": "string"}, "date": {"type": "string", "format": "date"},
                         "montant": {"type": "number"}},
          "required": ["nom", "date", "montant"]}
PROMPT = ("<|im_start|>user\nFacture de Marie Curie, datée du 2024-03-12, montant : 1250.50 euros. "
          "Extract the name (nom), the date and the amount (montant) as JSON.<|im_end|>\n<|im_start|>assistant\n")


def llama_rate(binary, model, prompt_file, seed, schema_file):
    command = [binary, "-m", model, "-f", prompt_file, "-no-cnv", "-n", "64", "-t", "2", "--seed", str(seed),
               "--temp", "0.8", "--top-k", "40", "--top-p", "0.95", "--min-p", "0.05", "--no-display-prompt"]
    if schema_file:
        command += ["-jf", schema_file]
    run = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
    sampling = float(re.search(r"sampling time =\s*([\d.]+) ms", run.stderr).group(1))
    eval_ms, runs = re.search(r"\beval time =\s*([\d.]+) ms /\s*(\d+) runs", run.stderr).groups()
    return int(runs) / ((float(eval_ms) + sampling) / 1000)


def loupe_rates(binary, model):
    out = subprocess.run([binary, "grammar", model, "--rounds", "1", "--threads", "2"],
                         capture_output=True, text=True, check=True).stdout
    return tuple(float(re.search(name + r"\s+median\s+([\d.]+)", out).group(1)) for name in ("free", "schema"))


parser = argparse.ArgumentParser()
parser.add_argument("llama_completion")
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--model", default="Weights/SmolLM2-135M-Instruct.Q4_1.gguf")
parser.add_argument("--loupe-benchmarks", default=".build/release/loupe-benchmarks")
args = parser.parse_args()

directory = tempfile.mkdtemp()
prompt_file = os.path.join(directory, "prompt.txt")
schema_file = os.path.join(directory, "invoice.schema.json")
open(prompt_file, "w").write(PROMPT)
json.dump(SCHEMA, open(schema_file, "w"))

rates = {key: [] for key in ("loupe free", "loupe schema", "llama.cpp free", "llama.cpp schema")}
for n in range(args.rounds):
    free, schema = loupe_rates(args.loupe_benchmarks, args.model)
    rates["loupe free"].append(free)
    rates["loupe schema"].append(schema)
    rates["llama.cpp free"].append(llama_rate(args.llama_completion, args.model, prompt_file, n + 1, None))
    rates["llama.cpp schema"].append(llama_rate(args.llama_completion, args.model, prompt_file, n + 1, schema_file))
    print(f"round {n + 1}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in rates.items()), flush=True)

median = {k: statistics.median(v) for k, v in rates.items()}
for engine in ("loupe", "llama.cpp"):
    ratios = [s / f for f, s in zip(rates[engine + " free"], rates[engine + " schema"])]
    print(f"{engine:10} free {median[engine + ' free']:6.1f} tok/s, schema {median[engine + ' schema']:6.1f} tok/s,"
          f" paired median schema/free {statistics.median(ratios):.2f}")
print(f"schema: loupe / llama.cpp = {median['loupe schema'] / median['llama.cpp schema']:.2f}")
