"""tuneforge's torch runtime: the worker protocol (docs/WORKER_PROTOCOL.md) on PyTorch + transformers + peft.

Run as ``python -m tuneforge_worker train|evaluate|serve``; one file per concern:

- ``spec``: spec.json read and validated against the shared JSON Schema (worker-protocol/schemas)
- ``events``: the JSON-lines events on stdout; ``errors``: exit codes and the failures that map to them
- ``model``: Llama-family Hugging Face checkpoints, devices, LoRA adapters
- ``data``: JSONL datasets, chat templates and the loss mask
- ``train``, ``evaluate``, ``serve``: the three commands
"""

RUNTIME = "torch"
__version__ = "0.1.0"
