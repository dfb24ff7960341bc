#!/usr/bin/env python3
"""Writes RealChatTemplateCases.swift: the chat templates that the model families Loupe runs ship
in their GGUF files (`tokenizer.chat_template`), and what each renders for test conversations.

The expected texts are rendered by Jinja2 with the settings of Hugging Face's
`apply_chat_template` (trim_blocks, lstrip_blocks), which llama.cpp's own Jinja engine (its
default chat path) reproduces; like llama.cpp, a leading BOS text is removed (the tokenizer adds
BOS itself) and `date_string` / `strftime_now` give a fixed date, "26 Jul 2024".

Usage: python3 make_real_chat_template_cases.py LLAMA_CPP_DIR GEMMA3_IT_TEMPLATE > RealChatTemplateCases.swift
  LLAMA_CPP_DIR: llama.cpp's sources (for models/templates/*.jinja, fetched from Hugging Face);
  GEMMA3_IT_TEMPLATE: Gemma 3 (instruction-tuned)'s tokenizer.chat_template, as a file.
"""
import sys
import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

llama_cpp, gemma3_path = sys.argv[1], sys.argv[2]

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()

def tpl(name):
    return read(f"{llama_cpp}/models/templates/{name}.jinja")

INLINE = {
    # Weights/SmolLM2-135M-Instruct.Q4_1.gguf
    "smollm2": "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    # Qwen/Qwen2-0.5B-Instruct tokenizer_config.json
    "qwen2": "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    # meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json
    "llama3": "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
    # meta-llama/Llama-2-7b-chat-hf tokenizer_config.json
    "llama2": "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
    # TinyLlama/TinyLlama-1.1B-Chat-v1.0 tokenizer_config.json (Zephyr's)
    "tinyllama": "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
    # microsoft/Phi-3-mini-4k-instruct tokenizer_config.json
    "phi3-mini": "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
}

# (model, template, Loupe template name, bos_token, eos_token, extra context)
CASES = [
    # SmolLM2's BOS is <|im_start|> but its file does not add BOS: nothing to remove.
    ("SmolLM2-135M-Instruct", INLINE["smollm2"], "chatml", "", "<|im_end|>", {}),
    ("Qwen2-0.5B-Instruct", INLINE["qwen2"], "chatml", "", "<|im_end|>", {}),
    ("Qwen2.5-7B-Instruct", tpl("Qwen-Qwen2.5-7B-Instruct"), "chatml", "", "<|im_end|>", {}),
    ("Qwen3-0.6B", tpl("Qwen-Qwen3-0.6B"), "qwen3", "", "<|im_end|>", {"enable_thinking": False}),
    ("Qwen3-0.6B (thinking)", tpl("Qwen-Qwen3-0.6B"), "qwen3-think", "", "<|im_end|>", {}),
    ("Meta-Llama-3-8B-Instruct", INLINE["llama3"], "llama3", "<|begin_of_text|>", "<|eot_id|>", {}),
    ("Llama-3.1-8B-Instruct", tpl("meta-llama-Llama-3.1-8B-Instruct"), "llama3.1", "<|begin_of_text|>", "<|eot_id|>", {}),
    ("Llama-3.2-3B-Instruct", tpl("meta-llama-Llama-3.2-3B-Instruct"), "llama3.1", "<|begin_of_text|>", "<|eot_id|>", {}),
    ("Llama-3.3-70B-Instruct", tpl("meta-llama-Llama-3.3-70B-Instruct"), "llama3.1", "<|begin_of_text|>", "<|eot_id|>", {}),
    ("gemma-3-it", read(gemma3_path), "gemma", "<bos>", "<eos>", {}),
    ("gemma-2-2b-it", tpl("google-gemma-2-2b-it"), "gemma", "<bos>", "<eos>", {}),
    ("Phi-3-mini-4k-instruct", INLINE["phi3-mini"], "phi3", "<s>", "<|endoftext|>", {}),
    ("Phi-3.5-mini-instruct", tpl("microsoft-Phi-3.5-mini-instruct"), "phi3", "<s>", "<|endoftext|>", {}),
    ("Llama-2-7b-chat", INLINE["llama2"], "llama2-chat", "<s>", "</s>", {}),
    ("TinyLlama-1.1B-Chat-v1.0", INLINE["tinyllama"], "zephyr", "<s>", "</s>", {}),
]

def m(role, content):
    return {"role": role, "content": content}

CONVERSATIONS = {
    # llama.cpp's test conversation (tests/test-chat-template.cpp).
    "standard": [m("system", "You are a helpful assistant"), m("user", "Hello"), m("assistant", "Hi there"),
                 m("user", "Who are you"), m("assistant", "   I am an assistant   "), m("user", "Another question")],
    # No system prompt: the template's default one, if any, appears.
    "noSystem": [m("user", "Hello"), m("assistant", "Hi there"), m("user", "Who are you")],
    # A reply that thought aloud: Qwen3 drops the thoughts of earlier turns.
    "thoughts": [m("system", "Be brief."), m("user", "2+2?"), m("assistant", "<think>\nEasy.\n</think>\n\n4"),
                 m("user", "And 3+3?")],
}
# Templates that refuse a system message (llama.cpp works around it differently: not compared).
NO_SYSTEM = {"gemma-2-2b-it"}

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)

def render(source, messages, bos, eos, extra):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: "26 Jul 2024"
    text = env.from_string(source).render(messages=messages, bos_token=bos, eos_token=eos,
                                          add_generation_prompt=True, **extra)
    if bos and text.startswith(bos):
        text = text[len(bos):]
    return text

def swift(s):
    out = []
    for ch in s:
        if ch == "\\": out.append("\\\\")
        elif ch == "\"": out.append("\\\"")
        elif ch == "\n": out.append("\\n")
        elif ch == "\t": out.append("\\t")
        elif ch == "\r": out.append("\\r")
        else: out.append(ch)
    return "\"" + "".join(out) + "\""

print("// Generated by make_real_chat_template_cases.py: the chat templates the model families Loupe")
print("// runs ship in their GGUF files, and what each renders (Jinja2, as Hugging Face and llama.cpp's")
print("// Jinja engine render them; leading BOS removed, the date fixed at 26 Jul 2024). Do not edit.")
print()
print("enum RealChatTemplateCases {")
print("    /// (model, Jinja template, Loupe template name, expected text for each conversation of")
print("    /// `ChatTemplateTests.realConversations`; nil where the template refuses that conversation)")
print("    static let cases: [(model: String, jinja: String, template: String, outputs: [String: String])] = [")
for name, source, loupe, bos, eos, extra in CASES:
    outputs = {}
    for key, conv in CONVERSATIONS.items():
        if name in NO_SYSTEM and conv[0]["role"] == "system":
            continue
        outputs[key] = render(source, conv, bos, eos, extra)
    print(f"        ({swift(name)},")
    print(f"         {swift(source)},")
    print(f"         {swift(loupe)},")
    print("         [")
    for key, text in outputs.items():
        print(f"            {swift(key)}: {swift(text)},")
    print("         ]),")
print("    ]")
print("}")
