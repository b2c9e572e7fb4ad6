"""Start and stop a real Zebra SRU server on a loopback port, for tests and benchmarks.

The configuration lives in `tests/integration/zebra/` (DOM filter, index XSLT, CQL mapping,
YAZ front end). `ZebraServer` copies it into a working directory, indexes the MARCXML files it
is given with `zebraidx`, starts `zebrasrv` on a free port and waits until it answers. Also
loads the demo-data generator (`scripts/make-demo-data`) so tests build records the same way.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import shutil
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "zebra"
REPO = HERE.parent.parent
CONFIG_FILES = (
    "zebra.cfg",
    "dom-conf.xml",
    "identity.xsl",
    "marc-index.xsl",
    "cql2pqf.properties",
    "yazserver.xml",
)


def zebra_missing() -> str | None:
    """Why Zebra cannot run here, or None."""
    for tool in ("zebraidx", "zebrasrv"):
        if shutil.which(tool) is None:
            return f"{tool} not installed (apt-get install idzebra-2.0 yaz)"
    return None


def load_generator() -> types.ModuleType:
    """The demo-data generator script as a module (it has no .py suffix)."""
    if "make_demo_data" in sys.modules:
        return sys.modules["make_demo_data"]
    path = REPO / "scripts" / "make-demo-data"
    loader = importlib.machinery.SourceFileLoader("make_demo_data", str(path))
    spec = importlib.util.spec_from_loader("make_demo_data", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_demo_data"] = module  # dataclasses look their module up while defining
    loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ZebraServer:
    """One Zebra database in `workdir`, served over SRU at `url` while started."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/Default"
        self._process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        for name in CONFIG_FILES:
            text = (CONFIG / name).read_text(encoding="utf-8").replace("@PORT@", str(self.port))
            (workdir / name).write_text(text, encoding="utf-8")
        for sub in ("register", "lock", "tmp", "records"):
            (workdir / sub).mkdir(exist_ok=True)
        self._zebraidx("init")

    def _zebraidx(self, *args: str) -> None:
        subprocess.run(
            ["zebraidx", "-c", "zebra.cfg", *args],
            cwd=self.workdir,
            check=True,
            capture_output=True,
        )

    def index(self, name: str, collection: str | bytes) -> None:
        """Add or replace records (id from 001) from one MARCXML `<collection>` document."""
        path = self.workdir / "records" / name
        data = collection.encode("utf-8") if isinstance(collection, str) else collection
        path.write_bytes(data)
        self._zebraidx("update", str(path))

    def delete(self, name: str, collection: str | bytes) -> None:
        """Remove the records of a collection (`adelete`: safe for unknown records)."""
        path = self.workdir / "records" / name
        data = collection.encode("utf-8") if isinstance(collection, str) else collection
        path.write_bytes(data)
        self._zebraidx("adelete", str(path))

    @property
    def pid(self) -> int | None:
        """The zebrasrv process while started (it forks a child per connection)."""
        return self._process.pid if self._process is not None else None

    def start(self) -> str:
        log = (self.workdir / "zebrasrv.log").open("ab")
        self._process = subprocess.Popen(
            ["zebrasrv", "-f", "yazserver.xml"], cwd=self.workdir, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self.url
            except OSError:
                if self._process.poll() is not None:
                    where = self.workdir / "zebrasrv.log"
                    raise RuntimeError(f"zebrasrv exited: see {where}") from None
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("zebrasrv did not start listening within 10 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
