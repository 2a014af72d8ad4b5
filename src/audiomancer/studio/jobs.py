"""Background jobs: long work (generating, evolving, sclang checks) off the event loop.

A request that starts long work gets a job id at once; the page polls ``/api/jobs/<id>`` until
the job is done or failed. Jobs run one at a time on a worker thread, in the order they were
asked for, so two edits of the stores never race and the machine is not swamped. A failure
keeps a message in words for the page; the traceback goes to the server log.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from audiomancer.errors import AudiomancerError

log = logging.getLogger("audiomancer.studio")

KEEP_FINISHED: Final = 200
"""How many finished jobs are remembered for polling."""

State = Literal["queued", "running", "done", "failed"]


def describe_error(error: BaseException) -> str:
    """What to tell the user about an error: its message for expected errors, else a pointer to
    the server log (the detail is logged there)."""
    if isinstance(error, AudiomancerError | ValueError | KeyError | OSError | TimeoutError):
        text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
        return text or type(error).__name__
    return f"internal error ({type(error).__name__}): see the studio's log for details"


@dataclass
class Job:
    """One piece of background work and what became of it."""

    id: str
    kind: str
    state: State = "queued"
    result: Any = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "result": self.result,
            "error": self.error,
        }


class JobRunner:
    """Runs submitted functions one at a time on a worker thread; look them up by id."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="studio-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, kind: str, work: Callable[[], Any]) -> Job:
        """Queue ``work`` (its return value must be JSON-ready) and return its job."""
        job = Job(id="job_" + secrets.token_hex(6), kind=kind)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._executor.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[], Any]) -> None:
        job.state = "running"
        try:
            job.result = work()
            job.state = "done"
        except Exception as error:  # every failure becomes a message on the page
            log.exception("studio job %s (%s) failed", job.id, job.kind)
            job.error = describe_error(error)
            job.state = "failed"
        finally:
            job.done.set()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in ("done", "failed")]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job.id]

    def shutdown(self) -> None:
        """Stop taking jobs; wait for the running one."""
        self._executor.shutdown(wait=True, cancel_futures=True)
