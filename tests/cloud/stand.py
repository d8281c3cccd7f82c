#!/usr/bin/python3
"""The cloud test stand: AWS IoT Core's MQTT side as a device meets it, on loopback only.

`stand.py up DIR [--thing NAME]` makes a PKI in DIR/pki with the openssl CLI, starts
mosquitto as the broker and an "IoT Core front" in this process, writes DIR/stand.json
(ports and file paths) once everything accepts connections, and runs until SIGTERM or
SIGINT. `stand.py ctl DIR COMMAND` drives a running stand: broker-stop, broker-start (the
broker restarted on the same ports), cut (every connection through the front closed at
once, as a network cut), violations (the limit violations seen so far, one JSON line each).

What answers where (all on 127.0.0.1; the server certificate is for localhost):
- broker_port: mosquitto itself over TLS with client certificates (require_certificate,
  use_identity_as_username), MQTT 3.1.1 and 5, max_qos 1, 128 KiB payloads.
- front_port: the front, as IoT Core on 8883: TLS >= 1.2 with a client certificate from
  the stand's CA, and the limits IoT Core enforces, checked on every packet the client
  sends: QoS <= 1, topics <= 256 bytes with at most 7 slashes (after a `$aws/rules/NAME/`
  prefix) and no wildcards in PUBLISH, payloads <= 128 KiB, <= 8 filters a SUBSCRIBE,
  <= 50 subscriptions a connection. A violation is recorded (ctl violations) and the
  connection closed, as IoT Core does. More than 100 PUBLISH packets a connection within
  one second is recorded too (IoT Core throttles them), without closing. A subscription
  to a filter under `denied/` is refused in the SUBACK (reason code 0x87, not
  authorized), as IoT Core refuses a filter the thing's IoT policy does not allow. Packets go on to mosquitto's loopback listener.
- alpn_port: the same as IoT Core on 443: the TLS handshake must offer ALPN
  x-amzn-mqtt-ca, otherwise the connection is closed before any MQTT byte.
Certificates (DIR/pki): ca.pem; device.pem/device.key (CN = thing name); a device from
another CA (wrong_ca_device.*); an expired device certificate (expired_device.*).

Uses only Debian packages: python3 (asyncio, ssl), openssl, mosquitto.
"""

import argparse
import asyncio
import collections
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

ALPN = "x-amzn-mqtt-ca"
MAX_PAYLOAD = 128 * 1024
MAX_TOPIC_BYTES = 256
MAX_SLASHES = 7
MAX_FILTERS_PER_SUBSCRIBE = 8
MAX_SUBSCRIPTIONS = 50
MAX_PUBLISHES_PER_SECOND = 100
DENIED_PREFIX = b"denied/"  # filters "the IoT policy" does not allow
NOT_AUTHORIZED = 0x87
MAX_PACKET = 256 * 1024 + 1024  # a packet larger than any legal one is a violation too


def run(*args, cwd):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"stand: {' '.join(args)}: {result.stderr.strip()}")


def make_key_and_csr(pki, name, subject):
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=pki)


def sign(pki, name, ca, days, extensions):
    with open(os.path.join(pki, f"{name}.ext"), "w") as ext:
        ext.write(extensions + "\n")
    run("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
        "-CAcreateserial", "-days", str(days), "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=pki)


def make_ca(pki, name, subject):
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "3", "-subj", subject,
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=pki)


def make_pki(pki, thing):
    """The stand's CA, server certificate, and the device certificates the tests use."""
    os.makedirs(pki, exist_ok=True)
    client = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
    make_ca(pki, "ca", "/CN=ggl test stand root CA")
    make_ca(pki, "other_ca", "/CN=ggl test stand other CA")
    make_key_and_csr(pki, "server", "/CN=localhost")
    sign(pki, "server", "ca", 3, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
         "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1")
    for name, ca, days in (("device", "ca", 3), ("wrong_ca_device", "other_ca", 3), ("expired_device", "ca", -1)):
        make_key_and_csr(pki, name, f"/CN={thing}")
        sign(pki, name, ca, days, client)
    for name in os.listdir(pki):
        if name.endswith(".key"):
            os.chmod(os.path.join(pki, name), 0o600)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


class Broker:
    """mosquitto on two loopback ports: TLS with client certificates, and plain for the front."""

    def __init__(self, directory, pki):
        self.directory = directory
        self.tls_port = free_port()
        self.plain_port = free_port()
        self.config = os.path.join(directory, "mosquitto.conf")
        # Started as root, mosquitto would switch to its own user, which cannot read the stand's files.
        user = "user root\n" if os.geteuid() == 0 else ""
        with open(self.config, "w") as conf:
            conf.write(f"""{user}per_listener_settings true
persistence false
log_dest file {directory}/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
listener {self.tls_port} 127.0.0.1
cafile {pki}/ca.pem
certfile {pki}/server.pem
keyfile {pki}/server.key
tls_version tlsv1.2
require_certificate true
use_identity_as_username true
allow_anonymous false
max_qos 1
message_size_limit {MAX_PAYLOAD}
listener {self.plain_port} 127.0.0.1
allow_anonymous true
max_qos 1
""")
        self.process = None

    def start(self):
        if self.process is not None:
            return
        self.process = subprocess.Popen(["mosquitto", "-c", self.config], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not (wait_for_port(self.tls_port) and wait_for_port(self.plain_port)):
            self.stop()
            sys.exit(f"stand: mosquitto did not listen on {self.tls_port} and {self.plain_port} "
                     f"(see {self.directory}/mosquitto.log)")

    def stop(self):
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def read_varint(data, offset):
    """(value, next offset) of an MQTT variable byte integer, or None when incomplete/invalid."""
    value, shift = 0, 0
    for i in range(4):
        if offset + i >= len(data):
            return None
        byte = data[offset + i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset + i + 1
        shift += 7
    raise ValueError("malformed variable byte integer")


def read_string(body, offset):
    if offset + 2 > len(body):
        raise ValueError("truncated string")
    length = int.from_bytes(body[offset:offset + 2], "big")
    if offset + 2 + length > len(body):
        raise ValueError("truncated string")
    return body[offset + 2:offset + 2 + length], offset + 2 + length


def topic_problem(topic):
    """Why IoT Core would refuse topic as a PUBLISH topic, or None."""
    if len(topic) > MAX_TOPIC_BYTES:
        return f"topic of {len(topic)} bytes (IoT Core allows {MAX_TOPIC_BYTES})"
    if b"+" in topic or b"#" in topic:
        return "wildcard in a PUBLISH topic"
    counted = topic
    if counted.startswith(b"$aws/rules/"):
        parts = counted.split(b"/", 3)
        counted = parts[3] if len(parts) > 3 else b""
    if counted.count(b"/") > MAX_SLASHES:
        return f"topic with {counted.count(b'/')} slashes (IoT Core allows {MAX_SLASHES})"
    return None


class Session:
    """What the front knows of one client connection: MQTT version and subscriptions."""

    def __init__(self):
        self.version = 4
        self.subscriptions = set()
        self.publish_times = collections.deque()  # of the last second
        self.throttled = False
        self.pending_subscribes = {}  # packet id -> filters, until the SUBACK

    def rewrite_suback(self, body):
        """The SUBACK body with the codes of denied filters set to 0x87."""
        packet_id = int.from_bytes(body[0:2], "big")
        filters = self.pending_subscribes.pop(packet_id, None)
        if filters is None:
            return body
        offset = 2
        if self.version == 5:
            length, offset = read_varint(body, offset)
            offset += length
        codes = bytearray(body[offset:])
        for i, topic_filter in enumerate(filters[:len(codes)]):
            if topic_filter.startswith(DENIED_PREFIX):
                codes[i] = NOT_AUTHORIZED if self.version == 5 else 0x80
        return body[:offset] + bytes(codes)

    def publish_rate_problem(self):
        """Why IoT Core would throttle this PUBLISH (once per burst), or None."""
        now = time.monotonic()
        self.publish_times.append(now)
        while self.publish_times[0] < now - 1.0:
            self.publish_times.popleft()
        if len(self.publish_times) <= MAX_PUBLISHES_PER_SECOND:
            self.throttled = False
            return None
        if self.throttled:
            return None
        self.throttled = True
        return (f"{len(self.publish_times)} PUBLISH packets within one second "
                f"(IoT Core allows {MAX_PUBLISHES_PER_SECOND} a connection)")

    def check(self, packet_type, flags, body):
        """Why IoT Core would close the connection for this packet, or None."""
        if packet_type == 1:  # CONNECT
            _, offset = read_string(body, 0)
            self.version = body[offset]
            return None
        if packet_type == 3:  # PUBLISH
            qos = (flags >> 1) & 3
            if qos > 1:
                return f"PUBLISH with QoS {qos} (IoT Core allows 0 and 1)"
            topic, offset = read_string(body, 0)
            if qos:
                offset += 2
            if self.version == 5:
                length, offset = read_varint(body, offset)
                offset += length
            problem = topic_problem(topic)
            if problem is None and len(body) - offset > MAX_PAYLOAD:
                problem = f"payload of {len(body) - offset} bytes (IoT Core allows {MAX_PAYLOAD})"
            return problem
        if packet_type in (8, 10):  # SUBSCRIBE, UNSUBSCRIBE
            offset = 2
            if self.version == 5:
                length, offset = read_varint(body, offset)
                offset += length
            filters = []
            while offset < len(body):
                topic_filter, offset = read_string(body, offset)
                if packet_type == 8:
                    offset += 1  # subscription options
                filters.append(topic_filter)
            if packet_type == 10:
                self.subscriptions.difference_update(filters)
                return None
            if len(filters) > MAX_FILTERS_PER_SUBSCRIBE:
                return f"SUBSCRIBE with {len(filters)} filters (IoT Core allows {MAX_FILTERS_PER_SUBSCRIBE})"
            self.pending_subscribes[int.from_bytes(body[0:2], "big")] = filters
            self.subscriptions.update(f for f in filters if not f.startswith(DENIED_PREFIX))
            if len(self.subscriptions) > MAX_SUBSCRIPTIONS:
                return (f"{len(self.subscriptions)} subscriptions on one connection "
                        f"(IoT Core allows {MAX_SUBSCRIPTIONS})")
        return None


class Front:
    """The IoT Core front: TLS (and ALPN on one port), limit checks, relay to mosquitto."""

    def __init__(self, directory, pki, broker):
        self.broker = broker
        self.violations_path = os.path.join(directory, "violations.jsonl")
        open(self.violations_path, "w").close()
        self.connections = set()
        self.contexts = {}
        for require_alpn in (False, True):
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(os.path.join(pki, "server.pem"), os.path.join(pki, "server.key"))
            context.load_verify_locations(os.path.join(pki, "ca.pem"))
            context.verify_mode = ssl.CERT_REQUIRED
            if require_alpn:
                context.set_alpn_protocols([ALPN])
            self.contexts[require_alpn] = context

    def record(self, peer, problem):
        with open(self.violations_path, "a") as out:
            out.write(json.dumps({"time": time.time(), "client": peer, "violation": problem}) + "\n")

    async def serve(self, require_alpn):
        server = await asyncio.start_server(lambda r, w: self.relay(r, w, require_alpn), "127.0.0.1", 0,
                                            ssl=self.contexts[require_alpn])
        return server, server.sockets[0].getsockname()[1]

    async def relay(self, client_reader, client_writer, require_alpn):
        ssl_object = client_writer.get_extra_info("ssl_object")
        subject = dict(x[0] for x in ssl_object.getpeercert().get("subject", ()))
        peer = subject.get("commonName", "?")
        if require_alpn and ssl_object.selected_alpn_protocol() != ALPN:
            client_writer.close()
            return
        try:
            broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", self.broker.plain_port)
        except OSError:
            client_writer.close()  # the broker is down: as an unreachable IoT Core
            return
        pair = (client_writer, broker_writer)
        self.connections.add(pair)
        try:
            session = Session()
            await asyncio.gather(self.client_to_broker(client_reader, broker_writer, peer, session),
                                 self.broker_to_client(broker_reader, client_writer, session),
                                 return_exceptions=True)
        finally:
            self.connections.discard(pair)
            for writer in pair:
                writer.close()

    async def client_to_broker(self, reader, writer, peer, session):
        data = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                data += chunk
                while data:
                    header = read_varint(data, 1)
                    if header is None:
                        break
                    length, start = header
                    if length > MAX_PACKET:
                        raise ValueError(f"packet of {length} bytes")
                    if len(data) < start + length:
                        break
                    problem = session.check(data[0] >> 4, data[0] & 0x0F, data[start:start + length])
                    if problem:
                        self.record(peer, problem)
                        return
                    if data[0] >> 4 == 3 and (throttled := session.publish_rate_problem()):
                        self.record(peer, throttled)
                    writer.write(data[:start + length])
                    data = data[start + length:]
                await writer.drain()
        except (ValueError, IndexError, TypeError) as malformed:
            self.record(peer, f"malformed packet: {malformed}")
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def broker_to_client(self, reader, writer, session):
        """The broker's packets to the client, SUBACKs rewritten for denied filters."""
        data = b""
        try:
            while chunk := await reader.read(65536):
                data += chunk
                out = b""
                while data:
                    header = read_varint(data, 1)
                    if header is None:
                        break
                    length, start = header
                    if len(data) < start + length:
                        break
                    packet = data[:start + length]
                    if data[0] >> 4 == 9:  # SUBACK: same length after the rewrite
                        packet = data[:start] + session.rewrite_suback(data[start:start + length])
                    out += packet
                    data = data[start + length:]
                writer.write(out)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    def cut(self):
        for pair in list(self.connections):
            for writer in pair:
                transport = writer.transport
                if transport is not None:
                    transport.abort()


async def control(path, broker, front):
    async def handle(reader, writer):
        command = (await reader.readline()).decode().strip()
        if command == "broker-stop":
            broker.stop()
            answer = "ok"
        elif command == "broker-start":
            broker.start()
            answer = "ok"
        elif command == "cut":
            front.cut()
            answer = "ok"
        elif command == "violations":
            with open(front.violations_path) as violations:
                answer = violations.read().rstrip("\n")
        else:
            answer = f"error: unknown command {command!r}"
        writer.write((answer + "\n").encode())
        await writer.drain()
        writer.close()

    return await asyncio.start_unix_server(handle, path)


async def up(directory, thing):
    directory = os.path.abspath(directory)
    pki = os.path.join(directory, "pki")
    make_pki(pki, thing)
    broker = Broker(directory, pki)
    broker.start()
    front = Front(directory, pki, broker)
    _, front_port = await front.serve(False)
    _, alpn_port = await front.serve(True)
    control_path = os.path.join(directory, "control")
    if os.path.exists(control_path):
        os.unlink(control_path)
    await control(control_path, broker, front)
    description = {
        "host": "localhost", "thing": thing, "broker_port": broker.tls_port, "front_port": front_port,
        "alpn_port": alpn_port, "alpn": ALPN, "control": control_path, "violations": front.violations_path,
        "broker_log": os.path.join(directory, "mosquitto.log"),
        "ca": f"{pki}/ca.pem", "device_cert": f"{pki}/device.pem", "device_key": f"{pki}/device.key",
        "wrong_ca_cert": f"{pki}/wrong_ca_device.pem", "wrong_ca_key": f"{pki}/wrong_ca_device.key",
        "expired_cert": f"{pki}/expired_device.pem", "expired_key": f"{pki}/expired_device.key",
    }
    with open(os.path.join(directory, "stand.json.tmp"), "w") as out:
        json.dump(description, out, indent=1)
    os.rename(os.path.join(directory, "stand.json.tmp"), os.path.join(directory, "stand.json"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        broker.stop()


def ctl(directory, command):
    with socket.socket(socket.AF_UNIX) as connection:
        connection.settimeout(30)
        connection.connect(os.path.join(directory, "control"))
        connection.sendall((command + "\n").encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    text = answer.decode().rstrip("\n")
    if text:
        print(text)
    return 1 if text.startswith("error:") else 0


def main():
    parser = argparse.ArgumentParser(description="ggl's cloud test stand (IoT Core on loopback)")
    verbs = parser.add_subparsers(dest="verb", required=True)
    start = verbs.add_parser("up", help="make the PKI, start the broker and the front, run until SIGTERM")
    start.add_argument("directory")
    start.add_argument("--thing", default="ggl-test-thing")
    drive = verbs.add_parser("ctl", help="broker-stop | broker-start | cut | violations")
    drive.add_argument("directory")
    drive.add_argument("command")
    args = parser.parse_args()
    if args.verb == "up":
        asyncio.run(up(args.directory, args.thing))
        return 0
    return ctl(args.directory, args.command)


if __name__ == "__main__":
    sys.exit(main())
