"""Writes seed inputs for the event-stream fuzzer: valid IPC frames (CONNECT, PING, an
operation with every header type), alone and back to back."""
import os
import struct
import sys
import zlib


def header(name, kind, value=None):
    out = bytes([len(name)]) + name.encode() + bytes([kind])
    if kind in (0, 1):
        return out
    if kind == 2:
        return out + struct.pack(">b", value)
    if kind == 3:
        return out + struct.pack(">h", value)
    if kind == 4:
        return out + struct.pack(">i", value)
    if kind in (5, 8):
        return out + struct.pack(">q", value)
    if kind in (6, 7):
        return out + struct.pack(">H", len(value)) + value
    return out + value  # uuid: 16 bytes


def frame(headers, payload=b""):
    raw = b"".join(headers)
    prelude = struct.pack(">II", 16 + len(raw) + len(payload), len(raw))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + raw + payload
    return body + struct.pack(">I", zlib.crc32(body))


def rpc(message_type, flags=0, stream=0):
    return [header(":message-type", 4, message_type), header(":message-flags", 4, flags),
            header(":stream-id", 4, stream)]


def main(out_dir):
    connect = frame(rpc(4) + [header(":version", 7, b"0.1.0")], b'{"authToken":"abc"}')
    ping = frame(rpc(2))
    every = frame(rpc(0, 0, 1) + [
        header("operation", 7, b"aws.greengrass#PublishToTopic"),
        header("t", 0), header("f", 1), header("b", 2, -3), header("s", 3, -300),
        header("l", 5, -(1 << 40)), header("buf", 6, b"\x00\xff"), header("ts", 8, 1700000000000),
        header("id", 9, bytes(range(16)))], b'{"topic":"a/b"}')
    seeds = {"connect": connect, "ping": ping, "every-header": every, "stream": connect + every + ping,
             "empty": frame([])}
    for name, data in seeds.items():
        with open(os.path.join(out_dir, "seed-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
