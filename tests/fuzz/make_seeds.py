"""Writes seed inputs for the bus frame fuzzer: valid request and reply frames."""
import os
import struct
import sys

import msgpack


def frame(obj):
    body = msgpack.packb(obj, use_bin_type=True)
    return struct.pack(">I", len(body)) + body


def main(out_dir):
    seeds = {
        "call": frame({"op": "call", "id": 1, "method": "read", "params": {"key_path": ["system", "thingName"]}}),
        "notify": frame({"op": "notify", "method": "update_status", "params": {"state": "RUNNING"}}),
        "subscribe": frame({"op": "subscribe", "id": 2, "method": "watch", "params": {"key_path": []}}),
        "cancel": frame({"op": "cancel", "id": 2}),
        "result": frame({"id": 1, "result": {"a": [1, 2.5, None, True, b"\x00\xff", "s"]}}),
        "error": frame({"id": 1, "error": {"code": "NOENTRY", "message": "no such key"}}),
        "end": frame({"id": 2, "end": True, "error": {"code": "FAILURE", "message": "x"}}),
        "pipelined": frame({"op": "call", "id": 3, "method": "a", "params": {}}) * 3,
    }
    for name, data in seeds.items():
        with open(os.path.join(out_dir, "seed-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
