"""Ctrl-C and SIGTERM: a sweep stops with one line and the shell's exit code, losing no record.

Records are written atomically by the driver (`experiments.records`), so stopping between two
writes loses only the runs in flight, which the next sweep with the same command redoes.
"""

import os
import signal
import sys
import threading
from contextlib import contextmanager

# The shell's convention: 128 + the signal's number.
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt so the same clean-up runs."""


class SweepInterrupted(Exception):
    """A sweep stopped by a signal, with what it had done: `done` runs of `total`; `exit_code` 130 or 143."""

    def __init__(self, done, total, exit_code):
        self.done, self.total, self.exit_code = done, total, exit_code
        super().__init__(f"interrupted: {done} of {total} runs done, run the same command to resume")


def exit_code(interrupt):
    """130 for Ctrl-C (KeyboardInterrupt), 143 for SIGTERM (`Terminated`)."""
    return EXIT_CODES[signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT]


# "begun": a clean-up has taken the interrupt (`begin_cleanup`); "pending": one was raised and no clean-up has
# taken it yet; "resending": the signal now arriving is `_resend`'s.
_STATE = {"begun": False, "pending": False, "resending": False, "timer": None}
RESEND_AFTER_S = 1.0


def _cancel_resend():
    if _STATE["timer"] is not None:
        _STATE["timer"].cancel()  # the interrupt was taken: a resend would hit whatever runs next
    _STATE["timer"] = None


def _reset():
    _cancel_resend()
    _STATE.update(begun=False, pending=False, resending=False)


def begin_cleanup():
    """Called (in the main thread) by the `except` that takes an interrupt: from here on the process answers it,
    and further Ctrl-Cs and SIGTERMs are ignored, so that clean-up is not cut short."""
    _STATE["begun"] = True
    _cancel_resend()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _resend(signum):
    """The interrupt raised where Python ignores exceptions (a garbage-collection callback, say, JAX's): no
    clean-up took it, so the process would run on. Send the signal again, while its handler is still ours."""
    if not _STATE["begun"] and signal.getsignal(signum) is _interrupt_once:
        _STATE["resending"] = True
        os.kill(os.getpid(), signum)


def _quiet_unraisable(unraisable, default=sys.unraisablehook):
    """Python's hook for an exception raised where it can only print it (a garbage-collection callback: JAX's,
    or TensorFlow's while it imports). Our own interrupt raised there is not printed: `_resend` raises it again
    where a clean-up takes it, and the user sees one line, not Python's "Exception ignored in ..." traceback."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt) and _STATE["pending"]:
        return
    default(unraisable)


sys.unraisablehook = _quiet_unraisable


def _interrupt_once(signum, frame):
    """The first Ctrl-C or SIGTERM raises (`Terminated` for SIGTERM); the ones after it are ignored, so the
    clean-up it starts is not cut short.

    A second Ctrl-C 50 ms after the first (a user pressing twice) used to raise inside that clean-up
    and end the process with a traceback. The process is ending either way, so ignoring is safe. Where
    the first exception is swallowed (raised inside a callback whose exceptions Python only prints), no
    clean-up calls `begin_cleanup`, and after `RESEND_AFTER_S` the signal is sent again, and raises again.
    """
    if _STATE["begun"] or (_STATE["pending"] and not _STATE["resending"]):
        return
    _cancel_resend()
    _STATE.update(pending=True, resending=False)
    timer = threading.Timer(RESEND_AFTER_S, _resend, (signum,))
    timer.daemon = True
    timer.start()
    _STATE["timer"] = timer
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


@contextmanager
def interrupt_once():
    """Within the block, the first Ctrl-C raises KeyboardInterrupt and later ones are ignored.

    Left as it is where Ctrl-C is ignored already (a shell's background job starts so, and Python
    keeps it). After an interrupt the handlers are not put back: the process is on its way out.
    """
    _reset()  # a new block: no interrupt taken yet
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt_once)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is _interrupt_once:
            signal.signal(signal.SIGINT, previous)


@contextmanager
def sigterm_as_interrupt():
    """Within the block, SIGTERM raises `Terminated` in the main thread (Python's default is to die at once).

    Like Ctrl-C under `interrupt_once`, only the first one raises.
    """
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # not inside a clean-up already
        _reset()
    previous = signal.signal(signal.SIGTERM, _interrupt_once)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is _interrupt_once:
            signal.signal(signal.SIGTERM, previous)


def ignore_in_worker():
    """A worker process leaves Ctrl-C to its sweep (which stops it), so it prints no traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
