"""``serve --adapters DIR`` as a client sees it: one process over a tiny base model serves the base model and the
adapters under DIR, chosen per request by ``model``; each answers exactly as a server of that adapter alone (or the
base alone) does, whichever was asked before it; adapters load on first use, at most ``--max-adapters`` stay loaded
(least recently used evicted, loaded again when named), one staged after the start is served, and an unknown or
climbing id is a 404 ``model_not_found``."""

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from servers import RunningServer
from test_serve import assert_stops_with_143, chat_request, generate_directly
from tiny_adapters import write_adapter, write_prompt_adapter

from tuneforge_worker.errors import WorkerFailure
from tuneforge_worker.events import EventSink
from tuneforge_worker.serve import serve
from tuneforge_worker.spec import Generation
from tuneforge_worker.stop import StopSignal

GREEDY = Generation(24, 0.0)


@pytest.fixture(scope="module")
def base(model_factory) -> Path:
    return model_factory()


@pytest.fixture(scope="module")
def library(base, tmp_path_factory) -> Path:
    """Two LoRA adapters with ids a PEFT adapter name could not have, and a prompt-tuning one."""
    root = tmp_path_factory.mktemp("adapters")
    write_adapter(base, root / "support-bot.v1:3", targets=("all-linear",), seed=9)
    write_adapter(base, root / "ner", seed=4)
    write_prompt_adapter(base, root / "soft-prompt", virtual_tokens=5, seed=3)
    return root


@pytest.fixture(scope="module")
def expected(base, library) -> dict[str, str]:
    """The greedy answer to the chat of each model, as a server of it alone gives it."""
    answers = {"llama": generate_directly(base, None, GREEDY)[0].text}
    for name in ("support-bot.v1:3", "ner", "soft-prompt"):
        answers[name] = generate_directly(base, library / name, GREEDY)[0].text
    assert len(set(answers.values())) == len(answers), answers
    return answers


def ask(server: RunningServer, model: str | None) -> dict:
    request = chat_request()
    if model is None:
        del request["model"]
    else:
        request["model"] = model
    response = server.post("/v1/chat/completions", request)
    assert response.status == 200, response.body
    return response.json()


def listed(server: RunningServer) -> list[str]:
    return [m["id"] for m in server.get("/v1/models").json()["data"]]


@pytest.fixture
def start(base, library):
    running = []

    def start_server(*options: str) -> RunningServer:
        running.append(RunningServer.start("--model", str(base), "--adapters", str(library), *options, "--port", "0"))
        return running[-1]

    yield start_server
    for server in running:
        assert_stops_with_143(server)


def test_each_adapter_answers_as_a_server_of_it_alone_and_the_base_model_as_itself(start, expected):
    server = start()
    assert server.serving["model"] == "llama"
    assert listed(server) == ["llama"]
    assert server.get("/health").json() == {"status": "ok", "adapters_loaded": 0}
    for model in ("support-bot.v1:3", "llama", "ner", "soft-prompt", None, "ner", "support-bot.v1:3"):
        body = ask(server, model)
        assert body["model"] == (model or "llama")
        assert body["choices"][0]["message"]["content"] == expected[model or "llama"], model
    assert listed(server) == ["llama", "support-bot.v1:3", "ner", "soft-prompt"]
    assert server.get("/health").json() == {"status": "ok", "adapters_loaded": 3}


def test_beyond_max_adapters_the_least_recently_used_is_evicted_and_loaded_again_when_named(start, expected):
    server = start("--max-adapters", "1")
    for model, loaded in (("ner", "ner"), ("support-bot.v1:3", "support-bot.v1:3"), ("soft-prompt", "soft-prompt"),
                          ("ner", "ner"), ("llama", "ner"), ("support-bot.v1:3", "support-bot.v1:3")):
        assert ask(server, model)["choices"][0]["message"]["content"] == expected[model], model
        assert listed(server) == ["llama", loaded]
    server = start("--max-adapters", "2")
    for model in ("ner", "support-bot.v1:3", "ner", "soft-prompt"):
        ask(server, model)
    assert listed(server) == ["llama", "soft-prompt", "ner"]
    assert server.get("/health").json()["adapters_loaded"] == 2


def test_an_unknown_or_climbing_id_is_model_not_found_which_the_openai_sdk_raises_as_not_found(start):
    server = start()
    for model in ("nobody", "../ner", "ner/../ner", ".hidden", "a" * 201, "", "soft-prompt/"):
        response = server.post("/v1/chat/completions", {**chat_request(), "model": model})
        assert response.status == 404, (model, response.body)
        error = response.json()["error"]
        assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", "model", "model_not_found")
        assert repr(model) in error["message"]
    assert listed(server) == ["llama"]
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server.serving["url"], api_key="not-checked", max_retries=0, timeout=60)
    with pytest.raises(openai.NotFoundError) as not_found:
        client.chat.completions.create(model="nobody", messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
    assert (not_found.value.code, not_found.value.param) == ("model_not_found", "model")
    streamed = client.chat.completions.create(model="ner", messages=[{"role": "user", "content": "Hi"}], max_tokens=2,
                                              stream=True)
    assert {chunk.model for chunk in streamed} == {"ner"}


def test_an_adapter_staged_after_the_start_is_served(start, base, library, tmp_path, expected):
    server = start()
    assert server.post("/v1/chat/completions", {**chat_request(), "model": "late"}).status == 404
    staged = library / ".late.tmp"
    shutil.copytree(library / "ner", staged)
    staged.rename(library / "late")
    try:
        body = ask(server, "late")
        assert (body["model"], body["choices"][0]["message"]["content"]) == ("late", expected["ner"])
    finally:
        shutil.rmtree(library / "late")


def test_an_adapter_that_does_not_fit_is_a_400_naming_it_and_the_others_are_still_served(start, library, expected,
                                                                                        model_factory):
    other = model_factory(hidden=32)
    write_adapter(other, library / "other-base")
    try:
        server = start()
        # the first LoRA adapter: a failure must give the base model its own layers back
        response = server.post("/v1/chat/completions", {**chat_request(), "model": "other-base"})
        assert response.status == 400, response.body
        error = response.json()["error"]
        assert error["param"] == "model" and "'other-base' does not fit the served model" in error["message"]
        for model in ("llama", "ner", "support-bot.v1:3"):
            assert ask(server, model)["choices"][0]["message"]["content"] == expected[model], model
        assert listed(server) == ["llama", "support-bot.v1:3", "ner"]
        assert server.post("/v1/chat/completions", {**chat_request(), "model": "other-base"}).status == 400
        assert ask(server, "ner")["choices"][0]["message"]["content"] == expected["ner"]
    finally:
        shutil.rmtree(library / "other-base")


def test_with_adapter_too_a_request_naming_no_adapter_gets_that_one_which_is_never_evicted(start, library, expected):
    server = start("--adapter", str(library / "soft-prompt"), "--max-adapters", "1")
    assert server.serving["model"] == "soft-prompt"
    for model in (None, "ner", "soft-prompt", "support-bot.v1:3", None):
        body = ask(server, model)
        assert body["model"] == (model or "soft-prompt")
        assert body["choices"][0]["message"]["content"] == expected[model or "soft-prompt"], model
    assert listed(server) == ["soft-prompt", "support-bot.v1:3"]


def test_parallel_requests_for_different_adapters_each_get_their_own_answer(start, expected):
    server = start("--max-adapters", "2")
    models = ["ner", "soft-prompt", "llama", "support-bot.v1:3"] * 3
    with ThreadPoolExecutor(len(models)) as pool:
        answers = list(pool.map(lambda m: ask(server, m)["choices"][0]["message"]["content"], models))
    assert answers == [expected[m] for m in models]
    assert server.get("/health").json()["adapters_loaded"] == 2


@pytest.mark.parametrize("adapters, max_adapters, message", [
    (None, 2, "--max-adapters needs --adapters DIR"),
    ("library", 0, "--max-adapters must be at least 1, got 0"),
    ("missing", None, "--adapters {missing}: no such directory"),
])
def test_bad_adapter_options_fail_as_a_bad_spec(base, library, tmp_path, adapters, max_adapters, message):
    directory = {None: None, "library": library, "missing": tmp_path / "missing"}[adapters]
    with pytest.raises(WorkerFailure) as failure:
        serve(base, None, "127.0.0.1", 0, "cpu", EventSink.silent(), StopSignal(), adapters=directory,
              max_adapters=max_adapters)
    assert failure.value.code == "bad_spec"
    assert failure.value.message == message.format(missing=tmp_path / "missing")
