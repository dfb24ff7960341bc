"""Drives a running `loupe serve` with the official `openai` client, as a student would.

    python3 openai_client_test.py BASE_URL API_KEY

Run by ServerTests/OpenAIClientTests.swift against a server it starts on loopback; prints one
line per check and exits non-zero at the first failure.
"""
import sys

import openai

base_url, api_key = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=120)


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + (f": {detail}" if detail and not condition else ""), flush=True)
    if not condition:
        sys.exit(1)


# Models.
models = client.models.list()
check("models.list names one model", len(models.data) == 1 and models.data[0].id.endswith(".gguf"), models)
model = models.data[0].id

# Chat, not streamed.
messages = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"}]
chat = client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=24)
choice = chat.choices[0]
check("chat answers text", isinstance(choice.message.content, str) and len(choice.message.content) > 0, chat)
check("chat role is assistant", choice.message.role == "assistant")
check("chat finish_reason", choice.finish_reason in ("stop", "length"), choice.finish_reason)
check("chat usage adds up", chat.usage.total_tokens == chat.usage.prompt_tokens + chat.usage.completion_tokens, chat.usage)
check("chat object", chat.object == "chat.completion" and chat.id.startswith("chatcmpl-"))

# Greedy is deterministic; streamed text equals the whole answer.
again = client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=24)
check("greedy chat is reproducible", again.choices[0].message.content == choice.message.content)
pieces, usage, finish = [], None, None
for chunk in client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=24,
                                            stream=True, stream_options={"include_usage": True}):
    if chunk.usage is not None:
        usage = chunk.usage
    for c in chunk.choices:
        if c.delta.content:
            pieces.append(c.delta.content)
        if c.finish_reason:
            finish = c.finish_reason
check("streamed chat equals the whole answer", "".join(pieces) == choice.message.content, ("".join(pieces), choice.message.content))
check("stream ends with a finish_reason", finish == choice.finish_reason, finish)
check("stream_options.include_usage gives usage", usage is not None and usage.completion_tokens == chat.usage.completion_tokens, usage)

# Text-part content is the same message as a string.
parts = [{"role": "user", "content": [{"type": "text", "text": "What is the capital of France?"}]}]
plain = [{"role": "user", "content": "What is the capital of France?"}]
a = client.chat.completions.create(model=model, messages=parts, temperature=0, max_tokens=12)
b = client.chat.completions.create(model=model, messages=plain, temperature=0, max_tokens=12)
check("text parts equal a string", a.choices[0].message.content == b.choices[0].message.content)

# max_tokens, stop, seed.
short = client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=3)
check("max_tokens ends with length", short.choices[0].finish_reason == "length" and short.usage.completion_tokens == 3, short)
words = choice.message.content.split()
if len(words) >= 3:
    stop = words[2]
    stopped = client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=24, stop=[stop])
    check("stop string ends the answer before it", stop not in stopped.choices[0].message.content
          and stopped.choices[0].finish_reason == "stop", stopped.choices[0].message.content)
s1 = client.chat.completions.create(model=model, messages=messages, temperature=0.9, seed=1234, max_tokens=20)
s2 = client.chat.completions.create(model=model, messages=messages, temperature=0.9, seed=1234, max_tokens=20)
check("a seed gives the same text twice", s1.choices[0].message.content == s2.choices[0].message.content)

# Log-probabilities.
lp = client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=5, logprobs=True, top_logprobs=3)
content = lp.choices[0].logprobs.content
check("logprobs: one entry per token", len(content) == lp.usage.completion_tokens, len(content))
check("logprobs: three alternatives each", all(len(t.top_logprobs) == 3 for t in content))
check("logprobs: greedy picks the most likely", all(t.token == t.top_logprobs[0].token for t in content))
check("logprobs are ≤ 0", all(t.logprob <= 0 for t in content))

# Completions.
comp = client.completions.create(model=model, prompt="The capital of France is", temperature=0, max_tokens=8)
check("completion answers text", len(comp.choices[0].text) > 0 and comp.object == "text_completion", comp)
ids = client.completions.create(model=model, prompt=[504, 3575, 282, 4649, 314], temperature=0, max_tokens=4)
check("completion from token ids", ids.usage.prompt_tokens == 5, ids.usage)
streamed = "".join(c.choices[0].text for c in client.completions.create(
    model=model, prompt="The capital of France is", temperature=0, max_tokens=8, stream=True) if c.choices)
check("streamed completion equals the whole", streamed == comp.choices[0].text, (streamed, comp.choices[0].text))
clp = client.completions.create(model=model, prompt="The capital of France is", temperature=0, max_tokens=4, logprobs=2)
check("completion logprobs", len(clp.choices[0].logprobs.tokens) == 4 and len(clp.choices[0].logprobs.top_logprobs[0]) == 2)

# Errors raise the client's exceptions.
try:
    client.chat.completions.create(model=model, messages=messages, n=2)
    check("n=2 is refused", False)
except openai.BadRequestError as e:
    check("n=2 is a 400", e.status_code == 400 and e.body["param"] == "n", e.body)
try:
    client.chat.completions.create(model=model, messages=[])
    check("empty messages are refused", False)
except openai.BadRequestError as e:
    check("empty messages are a 400", e.status_code == 400, e)
import json
schema = {"type": "object", "properties": {"nom": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["nom", "age"], "additionalProperties": False}
answer = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "Marie Curie is 66. Give nom and age as JSON."}],
    response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}},
    temperature=0, max_tokens=64)
try:
    value = json.loads(answer.choices[0].message.content)
    check("response_format json_schema gives JSON of that shape",
          set(value) == {"nom", "age"} and isinstance(value["age"], int), value)
except ValueError as e:
    check("response_format json_schema gives JSON", answer.choices[0].finish_reason == "length", answer.choices[0].message.content)
# Right after other whole answers on the client's kept-alive connections: the server closes a
# connection after a whole answer and says so (`Connection: close`), so this is not refused.
answer = client.chat.completions.create(model=model, messages=messages, response_format={"type": "json_object"},
                                        temperature=0, max_tokens=48)
content = answer.choices[0].message.content
check("response_format json_object starts a JSON object", content.lstrip().startswith("{"), content)
bad = openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0)
try:
    bad.models.list()
    check("a wrong key is refused", False)
except openai.AuthenticationError as e:
    check("a wrong key is a 401", e.status_code == 401, e)

print("all openai client checks passed")
