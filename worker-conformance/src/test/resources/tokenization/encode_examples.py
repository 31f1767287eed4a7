"""What the torch runtime trains on, for the conformance suite to compare with the djl runtime's ExampleEncoder.

    python encode_examples.py CASES.json

CASES.json is a list of {"model", "data", "format", "max_seq_length"}. For each case this prints, as one JSON
document on stdout, every example of the data file as ``tuneforge_worker`` reads and encodes it for training:
the chat template's rendering (chat and alpaca; null for completion), the token ids and the loss targets.
"""

import json
import sys
from pathlib import Path

from tuneforge_worker.data import Chat, Encoder, read_examples, render_chat
from tuneforge_worker.model import load_tokenizer


def encode(case):
    tokenizer = load_tokenizer(Path(case["model"]))
    encoder = Encoder(tokenizer, case["max_seq_length"])
    out = []
    for example in read_examples(Path(case["data"]), case["format"]):
        encoded = encoder.encode(example)
        rendered = render_chat(tokenizer, example.messages, False) if isinstance(example, Chat) else None
        out.append({"rendered": rendered, "input_ids": list(encoded.input_ids), "targets": list(encoded.targets)})
    return out


def main():
    cases = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    json.dump([encode(case) for case in cases], sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
