"""The floor of bench/datasets.sh ingest: Hugging Face tokenizers' encode_batch on the rendered texts.

Usage: encode_batch.py TOKENIZER_JSON RENDERED DATASET_FILE

RENDERED holds one JSON string a line: each example of DATASET_FILE as the chat template renders it (written
by IngestThroughput from the same file, so both sides tokenise the same texts). The texts are encoded without
added special tokens (the template writes them), as the pipeline does, in batches of 1,024 through
encode_batch, which runs in parallel in Rust (rayon, every core). One batch warms up first. Prints one
"tokenizers" line with the dataset file's MB/s (so it compares with the pipeline's figure for the same file)
and the process's CPU seconds per MB (all threads).
"""
import json
import os
import sys
import time

from tokenizers import Tokenizer

BATCH = 1024


def main() -> None:
    tokenizer_json, rendered, dataset = sys.argv[1:4]
    tokenizer = Tokenizer.from_file(tokenizer_json)
    with open(rendered, encoding="utf-8") as lines:
        texts = [json.loads(line) for line in lines]
    tokenizer.encode_batch(texts[:BATCH], add_special_tokens=False)
    cpu = time.process_time()
    start = time.perf_counter()
    encoded = 0
    for i in range(0, len(texts), BATCH):
        encoded += len(tokenizer.encode_batch(texts[i:i + BATCH], add_special_tokens=False))
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    mb = os.path.getsize(dataset) / (1024 * 1024)
    rendered_mb = sum(len(t.encode("utf-8")) for t in texts) / (1024 * 1024)
    print(f"tokenizers: {mb:.1f} MB ({rendered_mb:.1f} MB rendered), {encoded} texts encoded, "
          f"{seconds:.1f} s, {mb / seconds:.2f} MB/s, {cpu / mb:.3f} CPU s per MB")


if __name__ == "__main__":
    main()
