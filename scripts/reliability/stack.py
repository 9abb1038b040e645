"""A loopback stack for fault tests and the soak: a Redis of its own, API and worker processes, a TCP proxy.

Everything listens on 127.0.0.1 only, on ports picked free at start. Every wait is bounded and polls for
readiness instead of sleeping a fixed time. The processes are real: ``python -m api`` (uvicorn) and
``python -m api.worker``, started with the environment a deployment would give them (secrets included),
their stdout and stderr kept in log files so tests can grep them (e.g. for rider PII).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REDIS_CONF = REPO / "config" / "redis.conf"
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str, pause_s: float = 0.05) -> None:
    """Poll ``predicate`` until it is true; raise TimeoutError naming ``what`` after ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(pause_s)
    raise TimeoutError(f"{what} not within {timeout_s:.0f} s")


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A ``redis-server`` of the caller's own, from the project's production config (AOF on, fsync each second).

    Only the port, the data directory and the log file differ from ``config/redis.conf``, so a restart
    replays the append-only file exactly as it would in production.

    Parameters
    ----------
    workdir
        Directory for the AOF, the RDB and the log (a test's temporary folder).
    port
        Listening port on 127.0.0.1 (default: a free one).
    extra_args
        More ``--option value`` arguments (e.g. ``["--replicaof", "127.0.0.1", "6390"]`` for a replica).
    own_config
        Start from a copy of the config in ``workdir`` (needed whenever something may ``CONFIG REWRITE`` it,
        as sentinels do when they reconfigure a node), not from ``config/redis.conf`` itself.
    """

    def __init__(self, workdir: Path, port: int | None = None, extra_args: list[str] | None = None,
                 own_config: bool = False) -> None:
        self.extra_args = list(extra_args or [])
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.config = REDIS_CONF
        if own_config:
            self.config = self.workdir / "redis.conf"
            shutil.copyfile(REDIS_CONF, self.config)
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise FileNotFoundError("redis-server is not installed (make redis installs it)")

    def url(self, db: int = 0) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{db}"

    def start(self, timeout_s: float = 20.0) -> RedisServer:
        """Start the server and wait until it answers PING (after replaying its AOF)."""
        args = [self.binary, str(self.config), "--port", str(self.port), "--bind", LOOPBACK, "--dir",
                str(self.workdir), "--logfile", str(self.workdir / "redis.log"), "--daemonize", "no", *self.extra_args]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _answers_ping(self.port) or self.proc.poll() is not None, timeout_s, "redis-server")
        if self.proc.poll() is not None:
            raise RuntimeError(f"redis-server exited: {self.log_tail()}")
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 10.0) -> None:
        """Stop the server: SIGTERM shuts down cleanly, SIGKILL is a crash (the AOF is what survives)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout_s)

    def restart(self, sig: int = signal.SIGKILL, down_s: float = 0.0) -> None:
        """Stop (by default crash) the server, stay down ``down_s`` seconds, start it again on the same port."""
        self.stop(sig)
        if down_s > 0:
            time.sleep(down_s)
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        log = self.workdir / "redis.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop(signal.SIGKILL)


class Service:
    """A Python subprocess of the project (``python -m <module>``) with its output in a log file.

    Parameters
    ----------
    module
        ``api`` (the HTTP API under uvicorn) or ``api.worker``.
    env
        Extra environment (REDIS_URL, KANRA_API_KEYS, ...); the process gets nothing else of ours.
    log_path
        Where stdout and stderr go (appended, so a restarted process keeps the earlier lines).
    args
        Extra command-line arguments.
    """

    def __init__(self, module: str, env: Mapping[str, str], log_path: Path, args: list[str] | None = None) -> None:
        self.module = module
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **env}
        self.log_path = Path(log_path)
        self.args = args or []
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> Service:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", self.module, *self.args], cwd=REPO, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 15.0) -> int | None:
        """Signal the process (SIGTERM: orderly, SIGKILL: crash) and wait for it; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout_s)
        return self.proc.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def rss_mb(self) -> float | None:
        """Resident memory of the process in MiB (Linux /proc), None once it is gone."""
        if not self.alive():
            return None
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        except OSError:
            return None
        return None


class ApiServer(Service):
    """``python -m api`` on a free loopback port (uvicorn, with its access log: the default)."""

    def __init__(self, env: Mapping[str, str], log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        super().__init__("api", {**env, "KANRA_HOST": LOOPBACK, "KANRA_PORT": str(self.port)}, log_path)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def wait_ready(self, timeout_s: float = 60.0) -> ApiServer:
        """Wait until the server accepts connections (its lifespan has loaded the network by then)."""
        def up() -> bool:
            if not self.alive():
                raise RuntimeError(f"python -m api exited:\n{self.log_text()[-3000:]}")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_until(up, timeout_s, f"API on port {self.port}")
        return self


class Worker(Service):
    """``python -m api.worker``."""

    def __init__(self, env: Mapping[str, str], log_path: Path, args: list[str] | None = None) -> None:
        super().__init__("api.worker", env, log_path, args)


class TcpProxy:
    """A loopback TCP relay whose link can be cut, to play a network partition between a client and Redis.

    While cut, every relayed connection is closed and new ones are closed as soon as they are accepted,
    so clients see connection errors (not silence) and must reconnect once the link is back.

    Parameters
    ----------
    target_port
        Port on 127.0.0.1 to relay to.
    """

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self._cut = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._listener = socket.create_server((LOOPBACK, self.port), reuse_port=False)
        self._listener.settimeout(0.1)
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self.accepted = 0

    def url(self, db: int = 0) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{db}"

    def start(self) -> TcpProxy:
        self._thread.start()
        return self

    def cut(self) -> None:
        """Drop every relayed connection and refuse new ones until :meth:`restore`."""
        self._cut.set()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                _close(sock)

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._stop.set()
        self.cut()
        self._thread.join(5)
        _close(self._listener)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._cut.is_set():
                _close(client)
                continue
            try:
                upstream = socket.create_connection((LOOPBACK, self.target_port), timeout=2)
            except OSError:
                _close(client)
                continue
            self.accepted += 1
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while not self._cut.is_set() and not self._stop.is_set():
                ready, _, _ = select.select([a, b], [], [], 0.2)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            _close(a)
            _close(b)
            with self._lock:
                if (a, b) in self._pairs:
                    self._pairs.remove((a, b))

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
