"""Data files and the loss mask: what the model learns from each format."""

import json

import pytest

from tuneforge_worker import data
from tuneforge_worker.data import IGNORE
from tuneforge_worker.errors import WorkerFailure
from tuneforge_worker.model import load_tokenizer


@pytest.fixture(scope="module")
def tokenizer(tiny_llama):
    return load_tokenizer(tiny_llama)


def decode_targets(tokenizer, encoded):
    return tokenizer.decode([t for t in encoded.targets if t != IGNORE])


def test_a_chat_example_learns_the_assistant_turn_and_its_end_of_turn_marker(tokenizer):
    chat = data.parse({"messages": [{"role": "system", "content": "Answer in JSON."},
                                    {"role": "user", "content": "Name?"},
                                    {"role": "assistant", "content": '{"name": "Kalu"}'}]}, "chat", "x")
    encoded = data.Encoder(tokenizer, 512).encode(chat)
    assert decode_targets(tokenizer, encoded) == '{"name": "Kalu"}<|im_end|>\n'
    rendered = tokenizer.apply_chat_template(list(chat.messages), tokenize=False)
    assert list(encoded.input_ids) == tokenizer(rendered, add_special_tokens=False)["input_ids"]


def test_assistant_turns_with_weight_0_are_context_only(tokenizer):
    chat = data.parse({"messages": [{"role": "user", "content": "a"},
                                    {"role": "assistant", "content": "one", "weight": 0},
                                    {"role": "user", "content": "b"}, {"role": "assistant", "content": "two"}]},
                      "chat", "x")
    assert decode_targets(tokenizer, data.Encoder(tokenizer, 512).encode(chat)) == "two<|im_end|>\n"


def test_a_completion_learns_the_completion_and_an_end_of_sequence_token(tokenizer):
    encoded = data.Encoder(tokenizer, 512).encode(data.Completion("2+2=", "4"))
    assert decode_targets(tokenizer, encoded) == "4<|im_end|>"


def test_alpaca_is_a_user_turn_and_an_assistant_turn(tokenizer):
    example = data.parse({"instruction": "Translate", "input": "chat", "output": "cat"}, "alpaca", "x")
    assert example.messages[0]["content"] == "Translate\n\nchat"
    assert decode_targets(tokenizer, data.Encoder(tokenizer, 512).encode(example)) == "cat<|im_end|>\n"


def test_long_examples_are_cut_to_max_seq_length(tokenizer):
    encoded = data.Encoder(tokenizer, 10).encode(data.Completion("x" * 50, "y"))
    assert len(encoded) == 10 and encoded.target_count == 0


@pytest.mark.parametrize("line, message", [
    ("{not json", "line 2: not JSON"),
    ("[1]", "line 2: must be a JSON object"),
    ('{"messages": []}', "line 2: messages: must be a non-empty array"),
    ('{"messages": [{"role": "user", "content": 3}]}', "line 2: messages[0]: content: must be a string"),
    ('{"messages": [{"role": "user", "content": "a"}]}', "no assistant message with weight 1"),
    ('{"messages": [{"role": "assistant", "content": "a", "weight": 2}]}', "messages[0].weight: must be 0 or 1"),
    ('{"messages": [{"role": "user", "content": "a", "weight": 1}]}', "only assistant messages carry a weight"),
])
def test_a_bad_line_is_bad_data_naming_the_line_and_field(tmp_path, line, message):
    path = tmp_path / "train.jsonl"
    good = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    path.write_text(json.dumps(good) + "\n" + line + "\n")
    with pytest.raises(WorkerFailure) as e:
        data.read_examples(path, "chat")
    assert e.value.code == "bad_data" and message in e.value.message, e.value.message


def test_the_prompt_of_a_chat_is_everything_before_its_last_assistant_turn():
    chat = data.parse({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
                      "chat", "x")
    assert data.prompt_of(chat) == (({"role": "user", "content": "q"},), "a")
