#!/usr/bin/python3
"""Interoperability of the core bus with an encoder we did not write.

Speaks raw frames (u32 big-endian length + one msgpack map) to a running
ggl-test-service with Debian's python3-msgpack, and decodes its replies with the
same module. The socket comes from GGL_TEST_SOCKET (see with_test_service.sh).
Run with /usr/bin/python3: that is the interpreter Debian's python3-msgpack is for.
"""

import os
import socket
import struct
import sys
import time
import traceback

import msgpack

SOCKET_PATH = os.environ["GGL_TEST_SOCKET"]
IO_TIMEOUT_S = 10


class Connection:
    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(IO_TIMEOUT_S)
        # The socket file exists from bind; connections are refused until listen.
        deadline = time.monotonic() + IO_TIMEOUT_S
        while True:
            try:
                self.sock.connect(SOCKET_PATH)
                return
            except (ConnectionRefusedError, FileNotFoundError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def close(self):
        self.sock.close()

    def send_raw(self, body):
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def send(self, message):
        self.send_raw(msgpack.packb(message, use_bin_type=True))

    def _read_exactly(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise EOFError("the server closed the connection")
            data += chunk
        return data

    def receive(self):
        (size,) = struct.unpack(">I", self._read_exactly(4))
        reply = msgpack.unpackb(self._read_exactly(size), raw=False)
        assert isinstance(reply, dict), f"reply is not a map: {reply!r}"
        return reply

    def call(self, request_id, method, params=None):
        self.send({"op": "call", "id": request_id, "method": method, "params": params or {}})
        reply = self.receive()
        assert reply["id"] == request_id, f"reply to another request: {reply!r}"
        return reply


def expect_result(reply, expected):
    assert "error" not in reply, f"unexpected error: {reply!r}"
    assert reply["result"] == expected, f"result {reply['result']!r} != {expected!r}"


def expect_error(reply, code):
    assert "error" in reply, f"expected error {code}, got {reply!r}"
    assert reply["error"]["code"] == code, f"expected {code}, got {reply['error']!r}"
    assert isinstance(reply["error"]["message"], str)


def test_call_echo_round_trips_every_type():
    params = {
        "text": "héllo",
        "int": -42,
        "big": 2**62,
        "float": 1.5,
        "bool": True,
        "nil": None,
        "bin": b"\xff\x00\xfe",
        "list": [1, "two", [3.0], {"four": 4}],
        "map": {"nested": {"deep": [None]}},
    }
    conn = Connection()
    expect_result(conn.call(1, "echo", params), params)
    conn.close()


def test_bin_results_arrive_as_msgpack_bin():
    conn = Connection()
    reply = conn.call(7, "bytes", {"size": 4})
    expect_result(reply, b"\xff\xfe\xfd\xfc")
    assert isinstance(reply["result"], bytes)
    conn.close()


def test_pipelined_batch_is_answered_by_id_without_waiting_for_a_slow_call():
    conn = Connection()
    batch = [msgpack.packb({"op": "call", "id": 1000, "method": "delay", "params": {"ms": 300}})]
    for n in range(1, 201):
        batch.append(msgpack.packb({"op": "call", "id": n, "method": "echo", "params": {"n": n}}))
    conn.sock.sendall(b"".join(struct.pack(">I", len(body)) + body for body in batch))

    replies = [conn.receive() for _ in range(201)]
    by_id = {reply["id"]: reply for reply in replies}
    assert len(by_id) == 201, "duplicate or missing ids"
    for n in range(1, 201):
        expect_result(by_id[n], {"n": n})
    expect_result(by_id[1000], {"delayed_ms": 300})
    assert replies[-1]["id"] == 1000, "the slow call held back the calls behind it"
    conn.close()


def test_notify_is_handled_and_never_answered():
    conn = Connection()
    before = conn.call(1, "get_count")["result"]["count"]
    for n in range(3):
        conn.send({"op": "notify", "id": 10 + n, "method": "count", "params": {}})
    reply = conn.call(2, "get_count")  # asserts the next frame answers id 2
    expect_result(reply, {"count": before + 3})
    conn.close()


def test_subscribe_then_cancel_ends_the_subscription():
    conn = Connection()
    conn.send({"op": "subscribe", "id": 5, "method": "ticks", "params": {"interval_ms": 10}})
    assert conn.receive() == {"id": 5, "accepted": True}
    assert conn.receive() == {"id": 5, "event": {"n": 0}}
    assert conn.receive() == {"id": 5, "event": {"n": 1}}
    conn.send({"op": "cancel", "id": 5})
    expected_n = 2
    while True:
        reply = conn.receive()
        assert reply["id"] == 5, reply
        if "end" in reply:
            assert reply == {"id": 5, "end": True}, f"end with an error: {reply!r}"
            break
        assert reply == {"id": 5, "event": {"n": expected_n}}, reply  # in flight before the cancel
        expected_n += 1
    # Nothing more for id 5: the next frame is the answer to this call.
    expect_result(conn.call(6, "echo", {"after": "cancel"}), {"after": "cancel"})
    conn.close()


def test_stream_ends_after_its_events():
    conn = Connection()
    conn.send({"op": "subscribe", "id": 3, "method": "stream", "params": {"count": 3}})
    replies = [conn.receive() for _ in range(5)]
    assert replies == [
        {"id": 3, "accepted": True},
        {"id": 3, "event": {"n": 0}},
        {"id": 3, "event": {"n": 1}},
        {"id": 3, "event": {"n": 2}},
        {"id": 3, "end": True},
    ], replies
    conn.close()


def test_a_stream_that_fails_ends_with_its_error():
    conn = Connection()
    conn.send({"op": "subscribe", "id": 4, "method": "fail_stream",
               "params": {"code": "NODATA", "message": "ran dry"}})
    assert conn.receive() == {"id": 4, "accepted": True}
    assert conn.receive() == {"id": 4, "event": {"n": 0}}
    assert conn.receive() == {"id": 4, "end": True, "error": {"code": "NODATA", "message": "ran dry"}}
    conn.close()


def test_garbage_msgpack_gets_parse_and_the_connection_lives_on():
    conn = Connection()
    conn.send_raw(b"\xc1\xc1\xc1")  # 0xc1 is never valid msgpack
    expect_error(conn.receive(), "PARSE")
    conn.send_raw(b"\x92\x01")  # an array announcing two items, holding one
    expect_error(conn.receive(), "PARSE")
    conn.send_raw(msgpack.packb([1, 2, 3]))  # well formed, but not a map
    expect_error(conn.receive(), "PARSE")
    expect_result(conn.call(9, "echo", {"still": "here"}), {"still": "here"})
    conn.close()


def test_a_map_that_is_not_a_request_is_invalid_and_keeps_its_id():
    conn = Connection()
    conn.send({"id": 77, "method": "echo", "params": {}})  # no op
    reply = conn.receive()
    assert reply["id"] == 77, reply
    expect_error(reply, "INVALID")
    conn.send({"op": "shout", "id": 78, "method": "echo", "params": {}})
    reply = conn.receive()
    assert reply["id"] == 78, reply
    expect_error(reply, "INVALID")
    expect_result(conn.call(79, "echo"), {})
    conn.close()


def test_unknown_method_is_noentry():
    conn = Connection()
    expect_error(conn.call(1, "no_such_method"), "NOENTRY")
    conn.close()


def test_params_are_checked_against_the_method_spec():
    conn = Connection()
    expect_error(conn.call(1, "fail", {}), "INVALID")               # code is required
    expect_error(conn.call(2, "bytes", {"size": "big"}), "INVALID")  # size is an int
    expect_error(conn.call(3, "fail", {"code": "BUSY", "message": "later"}), "BUSY")
    conn.close()


def test_peer_credentials_are_the_callers():
    conn = Connection()
    expect_result(conn.call(1, "peer"), {"pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid()})
    conn.close()


def test_describe_lists_methods_kinds_and_params():
    conn = Connection()
    reply = conn.call(1, "ggl.describe")
    assert "error" not in reply, reply
    description = reply["result"]
    assert description["service"] == "ggl_test"
    assert isinstance(description["version"], str) and description["version"]
    methods = {method["name"]: method for method in description["methods"]}
    assert methods["echo"]["kind"] == "call"
    assert methods["ggl.describe"]["kind"] == "call"
    assert methods["stream"]["kind"] == "subscribe"
    count = methods["stream"]["params"][0]
    assert count == {"name": "count", "type": "int", "required": True, "help": count["help"]}
    assert isinstance(count["help"], str) and count["help"]
    assert methods["stream"]["params"][1]["required"] is False
    conn.close()


def main():
    tests = [(name, test) for name, test in globals().items() if name.startswith("test_")]
    failures = 0
    for name, test in tests:
        try:
            test()
            print(f"ok      {name}")
        except Exception:  # report every test, then fail
            failures += 1
            print(f"FAILED  {name}")
            traceback.print_exc()
    print(f"{len(tests) - failures} of {len(tests)} passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
