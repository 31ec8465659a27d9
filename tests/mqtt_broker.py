"""A real mosquitto broker on a free loopback port, and a recording subscriber, for the MQTT tests."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional


from conftest import require_or_skip, required_skip

MOSQUITTO = shutil.which("mosquitto") or next(
    (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.path.exists(p)), None)
needs_mosquitto = require_or_skip(
    MOSQUITTO is None, "mosquitto (Debian package 'mosquitto') is not installed; CI installs it")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


class Broker:
    """mosquitto with its own config in ``directory``: 127.0.0.1 only, anonymous by default."""

    def __init__(self, directory: Path, *, persistence: bool = False, queue_qos0: bool = False,
                 extra: str = "", port: Optional[int] = None) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true" if "password_file" not in extra
                 else "allow_anonymous false"]
        if persistence:
            lines += ["persistence true", f"persistence_location {self.dir}/", "autosave_interval 0"]
        else:
            lines.append("persistence false")
        if queue_qos0:
            lines.append("queue_qos0_messages true")
        if os.geteuid() == 0:
            lines.append("user root")  # keep access to the files in directory
        lines.append(f"log_dest file {self.dir / 'mosquitto.log'}")
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n" + extra)
        self.proc: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 15.0) -> "Broker":
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)

        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.proc.stderr.read().decode(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False

        if not wait_until(up, timeout):
            self.stop()
            raise RuntimeError(f"mosquitto did not listen on 127.0.0.1:{self.port} within {timeout} s")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


class Subscriber:
    """A paho client that records every message of ``topic`` (subscribed at QoS 1)."""

    def __init__(self, port: int, topic: str, *, client_id: str = "", persistent: bool = False,
                 username: Optional[str] = None, password: Optional[str] = None, tls_ca: Optional[str] = None) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
        self.messages: List = []  # paho MQTTMessage objects, in arrival order
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.topic = topic
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=not persistent)
        if username:
            self.client.username_pw_set(username, password)
        if tls_ca:
            self.client.tls_set(ca_certs=tls_ca)
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1) if not rc.is_failure else None
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._subscribed.set()
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            self.close()
            raise RuntimeError("subscriber: no SUBACK within 10 s")

    def _on_message(self, client, userdata, msg) -> None:
        with self._lock:
            self.messages.append(msg)

    def on(self, suffix: str) -> List:
        with self._lock:
            return [m for m in self.messages if m.topic.endswith(suffix)]

    def payloads(self, suffix: str) -> List:
        return [json.loads(m.payload) for m in self.on(suffix)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def running_broker(tmp_path):
    """Body of the ``broker`` fixture of the MQTT test modules: a started Broker, stopped after."""
    if MOSQUITTO is None:
        # Justified: a real broker is an external program; .ci/run installs it and
        # MOTTRACK_REQUIRE_SHARED=1 turns this skip into a failure there.
        required_skip("mosquitto (Debian package 'mosquitto') is not installed; CI installs it")
    b = Broker(tmp_path / "broker").start()
    try:
        yield b
    finally:
        b.stop()
