"""``cangku serve`` (issue 10, defect 11): it says "serving" only once it listens, and a port
already in use is a clear error with a stable exit status, no traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest

from tests.cli.tree import Invoke


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def test_a_port_in_use_is_a_clear_error_with_exit_6(cangku: Invoke, taken_port: int) -> None:
    result = cangku("serve", "--port", str(taken_port))
    assert result.exit_code == 6
    assert result.stdout == ""  # nothing says "serving"
    assert result.stderr == (
        f"error [port_in_use]: port {taken_port} on 127.0.0.1 is already in use: stop what"
        " listens there, or choose another with --port\n"
    )
    assert "Traceback" not in result.output


def test_a_port_in_use_in_json(cangku: Invoke, taken_port: int) -> None:
    result = cangku("serve", "--port", str(taken_port), "--json")
    assert result.exit_code == 6
    assert '"code": "port_in_use"' in result.stdout
    assert f'"port": {taken_port}' in result.stdout


def test_an_address_this_machine_does_not_have_exits_4(cangku: Invoke) -> None:
    result = cangku("serve", "--host", "192.0.2.1", "--port", "8000")  # TEST-NET-1
    assert result.exit_code == 4
    assert result.stderr.startswith("error [cannot_listen]: cannot listen on 192.0.2.1:8000: ")


def test_serving_is_printed_once_the_server_listens(database_url: str) -> None:
    environment = {**os.environ, "CANGKU_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "cangku.cli.main", "serve", "--port", "0"]
    with subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as server:
        _answers_at_once(server)


def _answers_at_once(server: subprocess.Popen[str]) -> None:
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("cangku serving on http://127.0.0.1:"), line
        url = line.split()[3]
        assert line == f"cangku serving on {url} (API {url}/api/v1, docs {url}/docs)\n"
        # the line comes once the app listens: the first request is answered, no retry
        with urllib.request.urlopen(f"{url}/favicon.ico", timeout=10) as answer:
            assert answer.status == 200
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl+C: uvicorn stops, and exits as interrupted
        server.wait(timeout=20)
