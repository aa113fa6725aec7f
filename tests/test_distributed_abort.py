"""Before a rank aborts the MPI job it waits until its output pipes have been read
(lazygrad/distributed/abort.py): an abort kills the launcher's reader with the bytes unread."""
import os
import threading
import time

from lazygrad.distributed.abort import drain_output, unread_bytes


def test_unread_bytes_counts_what_the_reader_has_not_taken(tmp_path):
    r, w = os.pipe()
    try:
        assert unread_bytes(w) == 0
        os.write(w, b"why the job stops\n")
        assert unread_bytes(w) == 18
        os.read(r, 4)
        assert unread_bytes(w) == 14
    finally:
        os.close(r), os.close(w)
    with open(tmp_path / "f", "w") as f:  # a file (or a terminal) holds nothing an abort could lose
        f.write("x")
        f.flush()
        assert unread_bytes(f.fileno()) == 0


def _with_stderr_on_a_pipe(body):
    r, w = os.pipe()
    saved = os.dup(2)
    os.dup2(w, 2)
    try:
        return body(r)
    finally:
        os.dup2(saved, 2)
        os.close(saved), os.close(r), os.close(w)


def test_drain_waits_until_the_reader_has_read_everything():
    def body(r):
        os.write(2, b"DistBackendError: rank 1 has ended\n")
        read = []
        reader = threading.Timer(0.3, lambda: read.append(os.read(r, 1 << 16)))
        reader.start()
        start = time.monotonic()
        drain_output(wait=10)
        waited = time.monotonic() - start
        reader.join()
        return waited, read
    waited, read = _with_stderr_on_a_pipe(body)
    assert read == [b"DistBackendError: rank 1 has ended\n"]
    assert 0.25 < waited < 10  # it waited for the reader, and no longer


def test_drain_gives_up_on_a_reader_that_never_reads():
    def body(r):
        os.write(2, b"nobody reads this\n")
        start = time.monotonic()
        drain_output(wait=0.2)
        return time.monotonic() - start, unread_bytes(2)
    waited, left = _with_stderr_on_a_pipe(body)
    assert left == 18 and 0.15 < waited < 5
