"""``serve`` as a client sees it: started as a process on port 0 over a tiny model, it announces its port, answers
OpenAI's chat and completion requests (streamed or not) with what the generator produces directly, rejects bad
requests naming the field, serves a LoRA adapter, answers health checks during a generation, and exits 143 with
``stopped`` on SIGTERM, ending a generation in progress."""

import http.client
import json
import socket
import threading
import time
from pathlib import Path

import pytest
import torch
from conftest import run_worker
from servers import RunningServer
from tiny_adapters import write_adapter

from tuneforge_worker.data import render_chat
from tuneforge_worker.errors import WorkerFailure
from tuneforge_worker.events import EventSink
from tuneforge_worker.generate import Generator, stop_token_ids
from tuneforge_worker.model import load_adapter, load_model, load_tokenizer
from tuneforge_worker.serve import FairLock, serve
from tuneforge_worker.spec import Generation
from tuneforge_worker.stop import StopSignal

CHAT = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def base(model_factory) -> Path:
    # A long context, so that a greedy generation can run for seconds.
    return model_factory(max_positions=4096)


@pytest.fixture(scope="module")
def server(base):
    running = RunningServer.start("--model", str(base), "--port", "0")
    yield running
    assert_stops_with_143(running)


def assert_stops_with_143(running: RunningServer):
    code, events = running.stop()
    assert code == 143
    assert events == [{"event": "stopped", "step": 0, "reason": "SIGTERM"}]


def generate_directly(model_dir, adapter, params: Generation, prompt: str | None = None):
    """What the generator gives for the same request in this process: the server must answer exactly this."""
    tokenizer = load_tokenizer(model_dir)
    model = load_model(model_dir, torch.device("cpu"))
    if adapter is not None:
        model = load_adapter(model, adapter).eval()
    ids = (tokenizer(prompt)["input_ids"] if prompt is not None
           else tokenizer(render_chat(tokenizer, CHAT, True), add_special_tokens=False)["input_ids"])
    return Generator(model, tokenizer, stop_token_ids(model_dir, tokenizer)).generate([ids], params)[0], len(ids)


def chat_request(temperature=0.0, seed=None, stream=False, max_tokens=24, **more):
    request = {"model": "base", "messages": CHAT, "temperature": temperature, "max_tokens": max_tokens,
               "stream": stream, **more}
    if seed is not None:
        request["seed"] = seed
    if stream:
        request["stream_options"] = {"include_usage": True}
    return request


def test_the_serving_event_names_the_bound_port_the_model_and_the_api(server):
    assert server.serving == {"event": "serving", "host": "127.0.0.1", "port": server.port, "model": "llama",
                              "url": f"http://127.0.0.1:{server.port}/v1"}
    assert server.port > 0


def test_health_and_models_answer_and_unknown_paths_are_404s(server):
    health = server.get("/health")
    assert (health.status, health.json()) == (200, {"status": "ok"})
    models = server.get("/v1/models").json()
    assert models["object"] == "list"
    assert [(m["id"], m["object"], m["owned_by"]) for m in models["data"]] == [("llama", "model", "tuneforge")]
    missing = server.get("/v1/embeddings")
    assert missing.status == 404
    assert missing.json()["error"] == {"message": "no such endpoint: GET /v1/embeddings",
                                       "type": "invalid_request_error", "param": None, "code": "not_found"}


def test_a_wrong_method_is_a_405(server):
    wrong = server.get("/v1/chat/completions")
    assert wrong.status == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
    assert server.post("/health", {}).status == 405


def test_a_chat_completion_is_the_generators_answer_to_the_chat_template(server, base):
    response = server.post("/v1/chat/completions", chat_request())
    assert response.status == 200, response.body
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-") and body["model"] == "llama"
    choice = body["choices"][0]
    expected, prompt_tokens = generate_directly(base, None, Generation(24, 0.0))
    assert choice == {"index": 0, "message": {"role": "assistant", "content": expected.text}, "logprobs": None,
                      "finish_reason": expected.finish_reason}
    assert body["usage"] == {"prompt_tokens": prompt_tokens, "completion_tokens": len(expected.tokens),
                             "total_tokens": prompt_tokens + len(expected.tokens)}


def test_content_parts_are_read_as_their_text(server):
    parts = [{"role": m["role"], "content": [{"type": "text", "text": m["content"][:5]},
                                             {"type": "text", "text": m["content"][5:]}]} for m in CHAT]
    as_parts = server.post("/v1/chat/completions", {**chat_request(), "messages": parts}).json()
    assert as_parts["choices"] == server.post("/v1/chat/completions", chat_request()).json()["choices"]


def test_a_text_completion_continues_the_prompt(server, base):
    prompt = "LoRA keeps the base weights"
    body = server.post("/v1/completions", {"model": "anything", "prompt": prompt, "max_tokens": 12,
                                           "temperature": 0}).json()
    assert body["object"] == "text_completion" and body["id"].startswith("cmpl-")
    expected, _ = generate_directly(base, None, Generation(12, 0.0), prompt)
    assert body["choices"][0] == {"index": 0, "text": expected.text, "logprobs": None, "finish_reason": "length"}
    assert body["usage"]["completion_tokens"] == 12
    assert server.post("/v1/completions", {"prompt": [prompt], "max_tokens": 12, "temperature": 0}).json()[
        "choices"] == body["choices"]


def test_streamed_chat_deltas_add_up_to_the_answer_for_the_same_seed(server):
    whole = server.post("/v1/chat/completions", chat_request(0.9, 42, max_tokens=40)).json()
    again = server.post("/v1/chat/completions", chat_request(0.9, 42, max_tokens=40)).json()
    assert again["choices"] == whole["choices"], "the same seed gives the same answer"

    response = server.post("/v1/chat/completions", chat_request(0.9, 42, stream=True, max_tokens=40))
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks = response.events()
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert {c["id"] for c in chunks} == {chunks[0]["id"]} and {c["object"] for c in chunks} == {"chat.completion.chunk"}
    pieces = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    assert "".join(pieces) == whole["choices"][0]["message"]["content"]
    assert all(pieces[1:-1]), "no empty pieces between the role and the finish"
    finish = [c for c in chunks if c["choices"]][-1]["choices"][0]
    assert finish["delta"] == {} and finish["finish_reason"] == whole["choices"][0]["finish_reason"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == whole["usage"]


def test_a_streamed_greedy_completion_with_a_stop_string_equals_the_unstreamed_one(server):
    prompt = "Evaluation compares the validation loss"
    unstopped = server.post("/v1/completions", {"prompt": prompt, "max_tokens": 30, "temperature": 0}).json()[
        "choices"][0]["text"]
    at = next(i for i in range(len(unstopped) // 2, len(unstopped) - 2)
              if unstopped[i: i + 2].isascii() and unstopped[i: i + 2].isprintable() and " " not in unstopped[i: i + 2])
    stop = unstopped[at: at + 2]
    request = {"prompt": prompt, "max_tokens": 30, "temperature": 0, "stop": [stop]}
    whole = server.post("/v1/completions", request).json()["choices"][0]
    assert whole["text"] == unstopped[: unstopped.index(stop)] and whole["finish_reason"] == "stop"
    chunks = server.post("/v1/completions", {**request, "stream": True}).events()
    assert "".join(c["choices"][0]["text"] for c in chunks) == whole["text"]
    assert {c["object"] for c in chunks} == {"text_completion"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])


@pytest.mark.parametrize("path, body, param, message", [
    ("/v1/chat/completions", "{\"messages\": [}", None, "the request body is not valid JSON"),
    ("/v1/chat/completions", "", None, "the request body is empty"),
    ("/v1/chat/completions", "[1]", None, "must be a JSON object"),
    ("/v1/chat/completions", {"model": "x"}, "messages", "messages: required, a non-empty array"),
    ("/v1/chat/completions", {"messages": ["hi"]}, "messages[0]", 'messages[0]: must be an object {role, content}, '
                                                                  'got "hi"'),
    ("/v1/chat/completions", {"messages": [{"content": "hi"}]}, "messages[0].role", "messages[0].role: required"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
     "messages[0].content", "messages[0].content[0]: only {\"type\": \"text\""),
    ("/v1/chat/completions", chat_request(temperature="hot"), "temperature",
     'temperature: must be a number >= 0.0 and <= 2.0, got "hot"'),
    ("/v1/chat/completions", chat_request(temperature=2.5), "temperature", "got 2.5"),
    ("/v1/chat/completions", chat_request(n=2), "n", "n: only 1 choice per request is supported, got 2"),
    ("/v1/chat/completions", chat_request(max_tokens=0), "max_tokens", "max_tokens: must be an integer >= 1, got 0"),
    ("/v1/chat/completions", {**chat_request(), "max_completion_tokens": 1.5}, "max_completion_tokens",
     "max_completion_tokens: must be an integer >= 1, got 1.5"),
    ("/v1/chat/completions", chat_request(top_p=1.5), "top_p", "top_p: must be a number > 0.0 and <= 1.0, got 1.5"),
    ("/v1/chat/completions", chat_request(top_p=0), "top_p", "got 0"),
    ("/v1/chat/completions", chat_request(top_k=-2), "top_k", "top_k: must be an integer >= -1, got -2"),
    ("/v1/chat/completions", chat_request(seed="7"), "seed", 'seed: must be an integer, got "7"'),
    ("/v1/chat/completions", chat_request(stream="yes"), "stream", 'stream: must be true or false, got "yes"'),
    ("/v1/completions", {"prompt": 7}, "prompt", "prompt: required, a string (or a list of exactly one string)"),
    ("/v1/completions", {"prompt": ["a", "b"]}, "prompt", "prompt: required"),
    ("/v1/completions", {"prompt": "a", "stop": [""]}, "stop", 'stop: every entry must be a non-empty string, got ""'),
    ("/v1/completions", {"prompt": "a", "stop": ["a", "b", "c", "d", "e"]}, "stop", "a list of at most 4"),
    ("/v1/completions", {"prompt": "a", "stop": 3}, "stop", "stop: must be a non-empty string"),
])
def test_bad_requests_are_400s_naming_the_field(server, path, body, param, message):
    response = server.post(path, body)
    assert response.status == 400, response.body
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert message in error["message"], error["message"]
    assert param is None or param in error["message"]
    assert error["code"] is None


def test_a_prompt_that_leaves_no_room_in_the_context_is_context_length_exceeded(server):
    response = server.post("/v1/completions", {"prompt": "Fine-tuning adapts " * 216})
    assert response.status == 400
    error = response.json()["error"]
    assert error["code"] == "context_length_exceeded" and error["param"] == "prompt"
    assert error["message"] == ("the prompt is 4104 tokens; the model's context is 4096, which must also hold at "
                                "least one new token")
    chat = server.post("/v1/chat/completions", chat_request(messages=[{"role": "user", "content": "x" * 5000}]))
    assert chat.json()["error"]["code"] == "context_length_exceeded" and chat.json()["error"]["param"] == "messages"


def test_max_tokens_defaults_to_what_the_context_leaves(server):
    body = server.post("/v1/completions", {"prompt": "x" * 4090, "temperature": 0}).json()
    assert body["usage"]["completion_tokens"] <= 6
    assert body["usage"]["completion_tokens"] == 6 or body["choices"][0]["finish_reason"] == "stop"


def open_stream(port: int, request: dict) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/v1/completions", body=json.dumps(request),
                       headers={"Content-Type": "application/json"})
    return connection, connection.getresponse()


def read_event(response: http.client.HTTPResponse) -> str:
    """The data of the next server-sent event."""
    while True:
        line = response.readline().decode()
        assert line, "the stream ended"
        if line.startswith("data: "):
            return line[6:].strip()


LONG = {"prompt": "hello", "max_tokens": 4000, "temperature": 0, "stream": True}  # no eos for thousands of tokens


def test_health_answers_while_a_generation_runs_and_a_client_that_leaves_ends_it(server):
    connection, response = open_stream(server.port, LONG)
    first = json.loads(read_event(response))
    assert first["choices"][0]["text"]
    assert server.get("/health").status == 200
    assert json.loads(read_event(response))["choices"][0]["finish_reason"] is None, "still generating"
    connection.close()
    # the server notices at its next piece of text, ends the generation there and takes the next request
    assert server.post("/v1/completions", {"prompt": "a", "max_tokens": 2}).status == 200
    pieces = int(server.wait_for_log(r"the client left after (\d+) pieces of text").group(1))
    # health was answered while this generation ran: it ran on after the answer, and was cut short
    assert 2 <= pieces < LONG["max_tokens"]


def test_requests_wait_for_the_generation_lock_in_the_order_they_came():
    lock = FairLock()
    order = []

    def take(name):
        with lock:
            order.append(name)

    lock.__enter__()
    threads = []
    for name in "abcde":
        t = threading.Thread(target=take, args=(name,))
        t.start()
        threads.append(t)
        while lock._next_ticket < len(threads) + 1:  # queued before the next one starts
            time.sleep(0.001)
    lock.__exit__(None, None, None)
    for t in threads:
        t.join(5)
    assert order == list("abcde")


def test_sigterm_ends_a_generation_in_progress_and_exits_143(base):
    running = RunningServer.start("--model", str(base), "--port", "0")
    connection, response = open_stream(running.port, LONG)
    assert json.loads(read_event(response))["choices"][0]["text"]
    code, events = running.stop()
    assert code == 143 and events == [{"event": "stopped", "step": 0, "reason": "SIGTERM"}]
    # The generation did not run to its end: its stream ends with the shutdown's error (no time is asserted).
    rest = []
    while (data := read_event(response)) != "[DONE]":
        rest.append(json.loads(data))
    assert rest[-1]["error"] == {"message": "the server is shutting down", "type": "server_error", "param": None,
                                 "code": None}
    connection.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port), timeout=5)


def test_an_adapter_is_served_under_its_name_and_changes_the_answer(base, tmp_path):
    adapter = write_adapter(base, tmp_path / "tuned-adapter", targets=("all-linear",), seed=9)
    expected, _ = generate_directly(base, adapter, Generation(24, 0.0))
    untuned, _ = generate_directly(base, None, Generation(24, 0.0))
    assert expected.text != untuned.text
    for options in (("--model", str(base), "--adapter", str(adapter)), ("--model", str(adapter))):
        running = RunningServer.start(*options, "--port", "0", "--host", "127.0.0.1")
        try:
            assert running.serving["model"] == "tuned-adapter"
            assert running.get("/v1/models").json()["data"][0]["id"] == "tuned-adapter"
            answer = running.post("/v1/chat/completions", chat_request()).json()["choices"][0]["message"]["content"]
            assert answer == expected.text, options
        finally:
            assert_stops_with_143(running)


def test_a_missing_model_directory_fails_as_a_bad_spec(tmp_path):
    code, events, _ = run_worker("serve", "--model", str(tmp_path / "nope"), "--port", "0")
    assert code == 2
    assert events[-1]["event"] == "failed" and events[-1]["code"] == "bad_spec"
    assert events[-1]["message"] == f"--model {tmp_path / 'nope'}: no such directory"


@pytest.mark.parametrize("host, port, device, message", [
    ("127.0.0.1", 70000, "cpu", "--port must be 0..65535, got 70000"),
    ("127.0.0.1", 0, "tpu", "--device must be cpu, cuda, cuda:N or auto, got tpu"),
    ("no-such-host.invalid", 0, "cpu", "cannot listen on no-such-host.invalid:0"),
])
def test_a_bad_option_fails_as_a_bad_spec(tiny_llama, host, port, device, message):
    with pytest.raises(WorkerFailure) as failure:
        serve(tiny_llama, None, host, port, device, EventSink.silent(), StopSignal())
    assert failure.value.code == "bad_spec" and message in failure.value.message


def test_a_port_in_use_fails_as_a_bad_spec(tiny_llama):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(WorkerFailure) as failure:
            serve(tiny_llama, None, "127.0.0.1", port, "cpu", EventSink.silent(), StopSignal())
    assert failure.value.code == "bad_spec"
    assert failure.value.message == f"cannot listen on 127.0.0.1:{port}: Address already in use"


def test_a_directory_that_is_no_model_fails_as_a_bad_spec(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(WorkerFailure) as failure:
        serve(tmp_path / "empty", None, "127.0.0.1", 0, "cpu", EventSink.silent(), StopSignal())
    assert failure.value.code == "bad_spec" and failure.value.message.startswith("--model: no config.json")
