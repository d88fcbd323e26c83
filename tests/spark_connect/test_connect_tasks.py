"""run_python_tasks, cancel_tag and connect_task_slots against a real Spark Connect server.

The task functions below run in the server's Python workers. Their module is not
importable there, so it is registered with pyspark's cloudpickle to travel by value,
as a user's objective module would be.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from pyspark import cloudpickle

from hopt.trials.spark.connect import (
    SparkTasksCancelledError,
    SparkTasksError,
    _range_splits,
    cancel_tag,
    connect_task_slots,
    is_connect_session,
    run_python_tasks,
)

# pyspark's own cloudpickle pickles the UDFs; the standalone package's registry is not its
cloudpickle.register_pickle_by_value(sys.modules[__name__])


# -- run in the server's Python workers ---------------------------------------------


def identity(data: bytes) -> bytes:
    return data


def partition_and_input(data: bytes) -> bytes:
    from pyspark import TaskContext

    context = TaskContext.get()
    assert context is not None
    return b"%d:" % context.partitionId() + data


def meet_the_other(data: bytes) -> bytes:
    """b"met" once the other task has started too; b"alone" if it never did in 30 s."""
    folder, me, other = data.decode().split("|")
    Path(folder, me).touch()
    deadline = time.time() + 30
    while time.time() < deadline:
        if Path(folder, other).exists():
            return b"met"
        time.sleep(0.02)
    return b"alone"


def raise_value_error(data: bytes) -> bytes:
    raise ValueError("objective failed: " + data.decode())


def return_an_int(data: bytes) -> bytes:
    return 7  # type: ignore[return-value]


def start_then_sleep(data: bytes) -> bytes:
    folder, name = data.decode().split("|")
    Path(folder, f"started-{name}").write_text(str(os.getpid()))
    time.sleep(60)
    Path(folder, f"finished-{name}").write_text("")
    return data


def send_to_client(data: bytes) -> bytes:
    port, message = data.split(b"|", 1)
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as conn:
        conn.sendall(message)
        conn.shutdown(socket.SHUT_WR)
        return conn.recv(1024)


def sleep_for(data: bytes) -> bytes:
    time.sleep(float(data))
    return b"slept"


# -- helpers in the test process ----------------------------------------------------


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return not re.search(r"^State:\s+Z", status, re.MULTILINE)


def run_in_thread(target) -> tuple[threading.Thread, list]:
    """Start ``target()`` in a thread; the list gets its result or its exception."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(target())
        except BaseException as exc:  # the test inspects it
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


# -- the tests ----------------------------------------------------------------------


def test_is_connect_session_is_true_for_a_connect_session(connect_session):
    assert is_connect_session(connect_session) is True


def test_connect_task_slots_finds_local_2_in_the_servers_configuration(connect_session):
    assert connect_session.conf.get("spark.master") == "local[2]"
    assert connect_session.conf.get("spark.default.parallelism", None) is None
    assert connect_task_slots(connect_session) == 2


def test_the_servers_plan_of_range_names_its_default_parallelism(connect_session):
    # connect_task_slots falls back on this for local[*] and standalone masters: if a
    # Spark upgrade changed the plan's text, this test would say so.
    assert _range_splits(connect_session) == 2


def test_outputs_come_back_in_input_order_each_from_its_own_task(connect_session):
    inputs = [b"in-%d" % index for index in range(5)]
    outputs = run_python_tasks(connect_session, inputs, partition_and_input, "hopt-order")
    assert outputs == [b"%d:in-%d" % (index, index) for index in range(5)]


def test_two_tasks_run_at_the_same_time_on_two_slots(connect_session, tmp_path):
    inputs = [f"{tmp_path}|a|b".encode(), f"{tmp_path}|b|a".encode()]
    outputs = run_python_tasks(connect_session, inputs, meet_the_other, "hopt-together")
    assert outputs == [b"met", b"met"]


def test_the_tag_is_on_the_calling_thread_for_the_job_only(connect_session):
    run_python_tasks(connect_session, [b"x"], identity, "hopt-tag")
    assert "hopt-tag" not in connect_session.getTags()


def test_a_tag_the_caller_had_already_stays(connect_session):
    connect_session.addTag("hopt-callers-own")
    try:
        run_python_tasks(connect_session, [b"x"], identity, "hopt-callers-own")
        assert "hopt-callers-own" in connect_session.getTags()
    finally:
        connect_session.removeTag("hopt-callers-own")


def test_tags_are_per_thread_in_the_connect_client(connect_session):
    connect_session.addTag("hopt-main-thread")
    try:
        thread, outcome = run_in_thread(lambda: set(connect_session.getTags()))
        thread.join(10)
        assert outcome == [set()]
        assert "hopt-main-thread" in connect_session.getTags()
    finally:
        connect_session.removeTag("hopt-main-thread")


def test_an_exception_in_fn_fails_the_job_with_the_error_in_the_message(connect_session):
    with pytest.raises(SparkTasksError) as caught:
        run_python_tasks(connect_session, [b"x"], raise_value_error, "hopt-fail")
    assert not isinstance(caught.value, SparkTasksCancelledError)
    message = str(caught.value)
    assert message.startswith("run_python_tasks: the Spark job tagged 'hopt-fail' failed: ")
    assert "ValueError: objective failed: x" in message
    assert message.endswith("catch exceptions in fn and return them in its output.")


def test_fn_must_return_bytes(connect_session):
    with pytest.raises(SparkTasksError) as caught:
        run_python_tasks(connect_session, [b"x"], return_an_int, "hopt-not-bytes")
    assert "TypeError: run_python_tasks: fn must return bytes; got int for inputs[0]." in str(
        caught.value
    )


def test_cancel_tag_interrupts_the_job_and_spark_kills_its_python_workers(
    connect_session, tmp_path
):
    # three tasks on two slots: two run (and sleep 60 s), one waits in Spark's queue
    inputs = [f"{tmp_path}|{index}".encode() for index in range(3)]
    thread, outcome = run_in_thread(
        lambda: run_python_tasks(connect_session, inputs, start_then_sleep, "hopt-cancel")
    )
    wait_for(lambda: len(list(tmp_path.glob("started-*"))) == 2, "two tasks started")
    pids = [int(path.read_text()) for path in tmp_path.glob("started-*")]

    interrupted = cancel_tag(connect_session, "hopt-cancel")
    thread.join(30)

    assert not thread.is_alive()
    assert len(interrupted) == 1  # the one operation (job) that carried the tag
    assert [type(exc) for exc in outcome] == [SparkTasksCancelledError]
    assert "OPERATION_CANCELED" in str(outcome[0])
    # Spark kills the interrupted tasks' Python workers a few seconds later
    wait_for(lambda: not any(process_alive(pid) for pid in pids), "the workers were killed")
    # so no task finished, and the queued one never started
    assert len(list(tmp_path.glob("started-*"))) == 2
    assert list(tmp_path.glob("finished-*")) == []
    assert connect_session.interruptTag("hopt-cancel") == []  # nothing left with the tag
    assert run_python_tasks(connect_session, [b"ok"], identity, "hopt-after-cancel") == [b"ok"]


def test_stopping_the_session_while_its_job_runs_fails_the_call_and_ends_the_task(
    connect_session, tmp_path
):
    from pyspark.sql import SparkSession

    # a session of its own: the shared one stays open for the other tests
    session = SparkSession.builder.remote(os.environ["SPARK_CONNECT_URL"]).create()
    thread, outcome = run_in_thread(
        lambda: run_python_tasks(session, [f"{tmp_path}|0".encode()], start_then_sleep, "t")
    )
    marker = Path(tmp_path, "started-0")
    # the task creates the file, then writes its pid: wait for the pid, not the file
    wait_for(lambda: marker.exists() and marker.read_text().strip(), "the task started")
    pid = int(marker.read_text())

    session.stop()
    thread.join(30)

    assert not thread.is_alive()
    # the client's channel closed under the call: a failure, not a cancel_tag
    assert [type(exc) for exc in outcome] == [SparkTasksError]
    assert str(outcome[0]).startswith("run_python_tasks: the Spark job tagged 't' failed: ")
    # the server interrupts the released session's job, and Spark kills its worker
    wait_for(lambda: not process_alive(pid), "the worker was killed")
    assert list(tmp_path.glob("finished-*")) == []


def test_a_task_can_connect_back_to_a_socket_server_in_the_client_process(connect_session):
    received: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(30)
        port = server.getsockname()[1]

        def serve() -> None:
            for _ in range(2):
                conn, _ = server.accept()
                with conn:
                    conn.settimeout(10)
                    data = b""
                    while chunk := conn.recv(1024):
                        data += chunk
                    received.append(data)
                    conn.sendall(b"ack:" + data)

        thread, outcome = run_in_thread(serve)
        inputs = [b"%d|task-0" % port, b"%d|task-1" % port]
        outputs = run_python_tasks(connect_session, inputs, send_to_client, "hopt-socket")
        thread.join(10)

    assert outputs == [b"ack:task-0", b"ack:task-1"]
    assert sorted(received) == [b"task-0", b"task-1"]
    assert outcome == [None]  # the server thread ended without an error


def _seconds(duration: str) -> float | None:
    match = re.fullmatch(r"(\d+)\s*(ms|s|m|min)?", duration.strip())
    if match is None:
        return None
    scale = {"ms": 0.001, None: 0.001, "s": 1.0, "m": 60.0, "min": 60.0}[match.group(2)]
    return int(match.group(1)) * scale


def test_a_task_outliving_the_servers_result_stream_still_returns(connect_session):
    # The server closes a result stream after senderMaxStreamDuration (2 min by default)
    # and the client reattaches to the running job: what a long-lived task goes through.
    setting = connect_session.conf.get(
        "spark.connect.execute.reattachable.senderMaxStreamDuration", None
    )
    limit = None if setting is None else _seconds(setting)
    if limit is None or limit > 5:
        pytest.skip(f"the server keeps result streams open for {setting}; the test needs ≤ 5 s")
    outputs = run_python_tasks(connect_session, [b"%f" % (limit + 1.5)], sleep_for, "hopt-long")
    assert outputs == [b"slept"]
