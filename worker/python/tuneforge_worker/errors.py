"""Exit codes and the failures that end a run with them (docs/WORKER_PROTOCOL.md, "Exit codes")."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    DONE = 0
    #: a bug, not the job's fault; the traceback is on stderr
    INTERNAL = 1
    #: the spec or the data is wrong: retrying will not help
    BAD_INPUT = 2
    #: out of host or device memory, or a device that is not there
    OUT_OF_RESOURCES = 3
    #: stopped by SIGTERM after writing a checkpoint: 128 + 15, as a shell reports it
    TERMINATED = 143


class WorkerFailure(Exception):
    """Ends the command with a ``failed`` event carrying ``code`` and exit status ``exit_code``."""

    def __init__(self, code: str, exit_code: ExitCode, message: str):
        super().__init__(message)
        self.code = code
        self.exit_code = exit_code
        self.message = message

    @classmethod
    def bad_spec(cls, message: str) -> WorkerFailure:
        return cls("bad_spec", ExitCode.BAD_INPUT, message)

    @classmethod
    def bad_data(cls, message: str) -> WorkerFailure:
        return cls("bad_data", ExitCode.BAD_INPUT, message)

    @classmethod
    def out_of_resources(cls, message: str) -> WorkerFailure:
        return cls("out_of_resources", ExitCode.OUT_OF_RESOURCES, message)
