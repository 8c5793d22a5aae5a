"""A render's figure writers run in forked processes beside its statistics: on 2 cores, about half the wall time.

Each job is a function of no arguments that writes files through `atomic_files.replaced` and returns their
paths. The jobs wait in one list; each worker process, and the render itself once its own work is done
(`Pending.results`), takes the next job not yet taken, so that no core idles while a figure is left to draw.
Inside a render (`atomic_files.staged`) the files wait beside their final names; a worker hands its waiting
files back (`atomic_files.staged_files`), and the render moves them into place with its own, or removes them
with its own when it stops (Ctrl-C, SIGTERM, an error in any job). A worker whose job fails removes what it
wrote and the render re-raises the job's exception.
"""

import os
import traceback
from contextlib import contextmanager

from experiments import atomic_files


def cores():
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _os_error(error):
    """The OSError behind `error`, if one started it (a full disk surfaces in matplotlib's PDF writer as a
    `zlib.error` raised while it handles the OSError): the render names the cause, not its echo."""
    seen = error
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return error


# How much lower a figure process's CPU priority is than the render's (`os.nice`): the render's statistics, which
# the claims and the cards wait for, are the longer path; the figures fill the other core, and its idle moments.
NICENESS = 5


def _take(counter):
    """The index of the next job no process has taken (a shared `multiprocessing.Value`)."""
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    return index


def _worker(jobs, counter, pipe):
    atomic_files.forget_staged()  # the parent's waiting files are the parent's to move or remove
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    try:
        done = {}
        while (index := _take(counter)) < len(jobs):
            done[index] = jobs[index]()
        pipe.send(("ok", done, atomic_files.staged_files()))
    except BaseException as error:  # Ctrl-C and SIGTERM too: what this process wrote goes, and the render says why
        atomic_files.discard_staged()
        error = _os_error(error)
        try:
            pipe.send(("error", error, traceback.format_exc()))
        except Exception:  # an exception that does not pickle: its text
            pipe.send(("error", None, traceback.format_exc()))
    finally:
        pipe.close()


class Pending:
    """Jobs started by `in_background`; `results()` takes what is left of them and waits for the rest."""

    def __init__(self, jobs):
        self.jobs, self.started, self.taken = list(jobs), [], set()
        if cores() < 2 or not hasattr(os, "fork") or not self.jobs:
            return  # one CPU: `results()` runs them here, one after another
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.counter = context.Value("i", 0)
        for _ in range(min(cores(), len(self.jobs))):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(self.jobs, self.counter, send), daemon=True)
            process.start()
            send.close()
            self.started.append((process, receive))

    def results(self):
        """Each job's return value, in the order given; the files they staged join this render's. This process
        draws the jobs no worker has taken yet, then waits for the workers.

        Raises:
            The first failed job's exception (or a RuntimeError with its traceback, where it does not pickle).
        """
        if not self.started:
            return [job() for job in self.jobs]
        done = {}
        while (index := _take(self.counter)) < len(self.jobs):
            done[index] = self.jobs[index]()
        for process, receive in self.started:
            try:
                status, value, extra = receive.recv()
            except EOFError:
                process.join()
                raise RuntimeError(f"a figure process ended without a result (exit code {process.exitcode}).") from None
            finally:
                self.taken.add(id(receive))
            process.join()
            if status == "error":
                raise value if isinstance(value, BaseException) else RuntimeError(extra)
            atomic_files.adopt_staged(extra)
            done.update(value)
        return [done[index] for index in range(len(self.jobs))]

    def stop(self):
        """Stop every job still running (SIGTERM: each removes what it wrote), wait for it, and remove the files of
        any job that finished but whose files this render never took (it stopped, or failed, before `results`)."""
        for process, _ in self.started:
            if process.is_alive():
                process.terminate()
        for process, receive in self.started:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
            if id(receive) in self.taken:
                continue
            try:
                status, _, extra = receive.recv() if receive.poll() else (None, None, None)
            except Exception:  # a message cut by the interrupt: the job removed nothing it had not sent
                continue
            if status == "ok":
                for tmp in extra.values():
                    tmp.unlink(missing_ok=True)


@contextmanager
def in_background(jobs):
    """Start `jobs` (functions of no arguments) in forked worker processes; yield their `Pending`.

    Leaving the block, by an exception or not, stops any job still running, so nothing is written after it.
    """
    pending = Pending(jobs)
    try:
        yield pending
    finally:
        pending.stop()
