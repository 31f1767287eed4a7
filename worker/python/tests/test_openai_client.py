"""The official ``openai`` Python SDK, unchanged, against ``serve``: what a user's code would do."""

import pytest
from servers import RunningServer

openai = pytest.importorskip("openai")

MESSAGES = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Name a colour."}]


@pytest.fixture(scope="module")
def client(tiny_llama):
    running = RunningServer.start("--model", str(tiny_llama), "--port", "0")
    yield openai.OpenAI(base_url=running.serving["url"], api_key="not-checked", max_retries=0, timeout=60)
    code, events = running.stop()
    assert code == 143 and events[-1]["event"] == "stopped"


def test_the_sdk_lists_the_model(client):
    assert [m.id for m in client.models.list()] == ["tiny-llama"]


def test_a_chat_completion_streamed_or_not_gives_the_same_answer(client):
    answer = client.chat.completions.create(model="tiny-llama", messages=MESSAGES, max_tokens=20, temperature=0.8,
                                            seed=5)
    choice = answer.choices[0]
    assert answer.object == "chat.completion" and choice.message.role == "assistant"
    assert choice.finish_reason in ("stop", "length") and answer.usage.completion_tokens > 0
    stream = client.chat.completions.create(model="tiny-llama", messages=MESSAGES, max_tokens=20, temperature=0.8,
                                            seed=5, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == choice.message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == choice.finish_reason
    assert chunks[-1].usage.completion_tokens == answer.usage.completion_tokens


def test_a_text_completion_through_the_sdk(client):
    completion = client.completions.create(model="tiny-llama", prompt="LoRA keeps", max_tokens=8, temperature=0)
    assert completion.choices[0].finish_reason in ("stop", "length") and completion.usage.completion_tokens <= 8
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model="tiny-llama", prompt="LoRA keeps", max_tokens=8, temperature=0, stream=True))
    assert streamed == completion.choices[0].text


def test_a_bad_request_raises_the_sdks_bad_request_error_naming_the_field(client):
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="tiny-llama", messages=MESSAGES, temperature=3)
    assert error.value.status_code == 400 and error.value.param == "temperature"
    assert "temperature: must be a number >= 0.0 and <= 2.0, got 3" in error.value.message
