"""A hostile registry, hostile layers and a killed writer (issue: security defects of
the adversarial pass). Each case failed before its fix: a clear error, the right exit
code, and nothing written as if complete."""

from __future__ import annotations

import fcntl
import io
import json
import os
import signal
import stat
import subprocess
import tarfile
import time

import itlib
import secret_scan  # tests/servers, on sys.path through conftest
import stack  # tests/servers, on sys.path through conftest
from hostile_registry import (HostileRegistry, TokenRecorder, digest, dribbling, send,
                              stalling)
from itlib import EXIT_FAILURE, EXIT_TRANSFER, run

LAYER = itlib.tar_bytes({"hello.txt": b"hello from a hostile registry\n"})


def pull(berth, ref: str, layout: str, *args: str, timeout: float = 60):
    return run([berth.binary, "pull", "--quiet", *args, ref, "oci:" + layout + ":t"],
               env=berth.env, check=False, timeout=timeout)


def assert_no_image(layout: str) -> None:
    """Nothing is tagged: a failed pull leaves no image behind as if complete."""
    idx_path = os.path.join(layout, "index.json")
    if os.path.exists(idx_path):
        with open(idx_path) as f:
            assert json.load(f)["manifests"] == []


# ------------------------------------------------------------------ sha512


def test_sha512_manifest_reference_is_verified(berth, tmp_path):
    with HostileRegistry() as reg:
        _, real = reg.add_image("app", "v1", [reg.add_blob("app", LAYER)])
        other = real.replace(b'"schemaVersion": 2', b'"schemaVersion":2')
        wanted = digest(real, "sha512")
        reg.put_manifest("app", wanted, other)  # asked for real's sha512, serves other
        r = pull(berth, "%s/app@%s" % (reg.host, wanted), str(tmp_path / "l"))
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "arrived with digest sha512:" in r.stderr
        assert_no_image(str(tmp_path / "l"))
        # the honest reply under that sha512 reference is accepted, named by it
        reg.put_manifest("app", wanted, real)
        r = pull(berth, "%s/app@%s" % (reg.host, wanted), str(tmp_path / "ok"))
        assert r.returncode == 0, r.describe()
        assert r.stdout.strip() == wanted


def test_sha512_layer_is_verified_by_pull_and_export(berth, tmp_path):
    with HostileRegistry() as reg:
        evil = itlib.tar_bytes({"hello.txt": b"something else entirely, same length!\n"})
        layer = reg.add_blob("app", LAYER, "sha512", served=evil)
        reg.add_image("app", "v1", [layer])
        r = pull(berth, reg.host + "/app:v1", str(tmp_path / "l"))
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "sha512:" in r.stderr
        assert_no_image(str(tmp_path / "l"))
        out = tmp_path / "export"
        r = run([berth.binary, "export", reg.host + "/app:v1", str(out)], env=berth.env,
                check=False)
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert not (out / "hello.txt").exists()
        # an honest sha512 layer exports
        reg.add_image("app", "v2", [reg.add_blob("app", LAYER, "sha512")])
        run([berth.binary, "export", reg.host + "/app:v2", str(tmp_path / "ok")], env=berth.env)
        assert (tmp_path / "ok" / "hello.txt").read_bytes() == b"hello from a hostile registry\n"


def test_manifest_with_trailing_content_is_refused(berth, tmp_path):
    with HostileRegistry() as reg:
        reg.add_image("app", "v1", [reg.add_blob("app", LAYER)],
                      trailing=b' {"layers": []} junk')
        r = pull(berth, reg.host + "/app:v1", str(tmp_path / "l"))
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "not valid JSON" in r.stderr
        # skopeo refuses it too when it parses it (Go's decoder wants one document)
        s = subprocess.run(["skopeo", "inspect", "--retry-times", "0", "--tls-verify=false",
                            "docker://%s/app:v1" % reg.host], capture_output=True, text=True)
        assert s.returncode != 0 and "invalid character" in s.stderr, s.stderr


# ------------------------------------------------------------------ token realms


def test_https_registry_never_sends_credentials_to_an_http_realm(berth, tmp_path):
    ca = stack.TestCA(str(tmp_path / "ca"))
    cert = ca.issue("localhost", ("127.0.0.1", "localhost"))
    realm = TokenRecorder()
    secret_scan.secret("hunter2-secret")  # the password berth must never show
    try:
        with HostileRegistry(tls_cert=(cert.chain_file, cert.key_file),
                             bearer_realm=realm.url) as reg:
            reg.add_image("app", "v1", [reg.add_blob("app", LAYER)])
            r = run([berth.binary, "pull", "--ca-bundle", ca.cert_file, "--src-creds",
                     "user:hunter2-secret", reg.host + "/app:v1", "oci:%s:t" % (tmp_path / "l")],
                    env=berth.env, check=False)
            assert r.returncode == EXIT_FAILURE, r.describe()
            assert "not https" in r.stderr and "hunter2" not in r.stderr
            assert realm.hits == []
    finally:
        realm.close()


def test_huge_expires_in_is_clamped_and_the_token_reused(berth, tmp_path):
    with HostileRegistry() as reg:
        reg.bearer_realm = "http://%s/token" % reg.host
        fetched = []

        def token(h):
            fetched.append(h.path)
            send(h, 200, json.dumps({"token": "tok", "expires_in": 9223372036854775807}).encode(),
                 {"Content-Type": "application/json"})
        reg.route("GET", "/token", token)
        layers = [reg.add_blob("app", itlib.tar_bytes({"f%d" % i: b"x" * i})) for i in range(4)]
        reg.add_image("app", "v1", layers)
        r = pull(berth, reg.host + "/app:v1", str(tmp_path / "l"), "--jobs", "1")
        assert r.returncode == 0, r.describe()
        assert len(fetched) == 1, fetched  # was: "expired" at once, one fetch per request


# ------------------------------------------------------------------ stalls and deadlines


def test_a_stalled_blob_times_out_with_a_clear_error(berth, tmp_path):
    with HostileRegistry() as reg:
        big = os.urandom(256 * 1024)
        layer = reg.add_blob("app", big)
        reg.add_image("app", "v1", [layer])
        reg.route("GET", "/v2/app/blobs/" + layer["digest"], stalling(big, 1000))
        start = time.monotonic()
        r = pull(berth, reg.host + "/app:v1", str(tmp_path / "l"), "--stall-timeout", "2s",
                 timeout=90)
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "too slow" in r.stderr or "timed out" in r.stderr, r.stderr
        assert time.monotonic() - start < 45  # 2 s per attempt, a few resumes
        assert_no_image(str(tmp_path / "l"))


def test_a_silent_registry_is_given_up_after_two_stalls_each_retry_said(berth, tmp_path):
    """A registry that accepts and never answers: the retry is printed as it starts, a
    third stall is not waited for, and the error gives the total time."""
    import socket
    import threading
    srv = socket.create_server(("127.0.0.1", 0))
    held = []

    def accept():
        while True:
            try:
                held.append(srv.accept()[0])
            except OSError:
                return
    threading.Thread(target=accept, daemon=True).start()
    try:
        start = time.monotonic()
        r = pull(berth, "127.0.0.1:%d/app:v1" % srv.getsockname()[1], str(tmp_path / "l"),
                 "--stall-timeout", "3s", timeout=60)
        assert r.returncode == EXIT_TRANSFER, r.describe()
        # While nothing moves, a line every third of the stall timeout, before the retry.
        origin = "http://127.0.0.1:%d" % srv.getsockname()[1]
        waiting = "berth: no data for 1 s from %s (a stall is given up after 3 s)" % origin
        lines = r.stderr.splitlines()
        assert waiting in lines, r.stderr
        assert lines.index(waiting) < lines.index(
            "berth: retrying 2/5 after 3 s without data from %s" % origin), r.stderr
        assert "(2 tries over " in r.stderr, r.stderr
        assert time.monotonic() - start < 20
    finally:
        srv.close()
        for c in held:
            c.close()


def test_a_dribbling_registry_meets_the_operation_timeout(berth, tmp_path):
    with HostileRegistry() as reg:
        body = os.urandom(4096)
        layer = reg.add_blob("app", body)
        reg.add_image("app", "v1", [layer])
        reg.route("GET", "/v2/app/blobs/" + layer["digest"], dribbling(body, 0.2))
        start = time.monotonic()
        r = pull(berth, reg.host + "/app:v1", str(tmp_path / "l"), "--timeout", "3s",
                 timeout=60)
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "time limit" in r.stderr, r.stderr
        assert time.monotonic() - start < 15
        assert_no_image(str(tmp_path / "l"))


# ------------------------------------------------------------------ layouts


def test_index_json_size_must_match_the_manifest(berth, tmp_path):
    src = str(tmp_path / "src")
    desc = itlib.make_layout_image(src, "v1", [LAYER])
    lie = dict(desc)
    lie["size"] = 2 ** 62
    del lie["platform"]
    itlib.set_layout_tag(src, "v1", lie)
    r = run([berth.binary, "copy", "oci:%s:v1" % src, "oci:%s:v1" % (tmp_path / "dst")],
            env=berth.env, check=False)
    assert r.returncode == EXIT_TRANSFER, r.describe()
    assert "descriptor says %d" % 2 ** 62 in r.stderr
    assert_no_image(str(tmp_path / "dst"))


def test_temp_files_of_a_killed_pull_are_swept_by_the_next_run(berth, tmp_path):
    layout = tmp_path / "l"
    with HostileRegistry() as reg:
        big = os.urandom(512 * 1024)
        layer = reg.add_blob("app", big)
        reg.add_image("app", "stuck", [layer])
        reg.route("GET", "/v2/app/blobs/" + layer["digest"], stalling(big, 200 * 1024))
        p = subprocess.Popen([berth.binary, "pull", "--quiet", reg.host + "/app:stuck",
                              "oci:%s:stuck" % layout], env=berth.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            temps: list[str] = []
            while time.monotonic() < deadline and not temps:
                time.sleep(0.1)
                if layout.exists():
                    temps = [n for n in os.listdir(layout) if ".berth-tmp-" in n]
            assert temps, "no temp file appeared"
            p.send_signal(signal.SIGKILL)
        finally:
            p.kill()
            p.wait()
        assert [n for n in os.listdir(layout) if ".berth-tmp-" in n] == temps
        # a live writer's temp file (locked) must survive the sweep
        live = layout / ".berth-tmp-live"
        fd = os.open(live, os.O_CREAT | os.O_WRONLY, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            reg.add_image("app", "ok", [reg.add_blob("app", LAYER)])
            r = pull(berth, reg.host + "/app:ok", str(layout))
            assert r.returncode == 0, r.describe()
            left = sorted(n for n in os.listdir(layout) if ".berth-tmp-" in n)
            assert left == [".berth-tmp-live"]
        finally:
            os.close(fd)


# ------------------------------------------------------------------ hostile layers


def device_layer() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        ti = tarfile.TarInfo("dev/sda")
        ti.type, ti.mode, ti.devmajor, ti.devminor = tarfile.BLKTYPE, 0o666, 8, 0
        tf.addfile(ti)
        ti = tarfile.TarInfo("etc/motd")
        ti.size, ti.mode = 3, 0o644
        tf.addfile(ti, io.BytesIO(b"hi\n"))
    return buf.getvalue()


def test_export_skips_device_nodes_unless_asked(berth, tmp_path):
    src = str(tmp_path / "src")
    itlib.make_layout_image(src, "v1", [device_layer()])
    out = tmp_path / "out"
    run([berth.binary, "export", "oci:%s:v1" % src, str(out)], env=berth.env)
    assert (out / "etc" / "motd").read_bytes() == b"hi\n"
    assert not os.path.lexists(out / "dev" / "sda")
    out2 = tmp_path / "out2"
    run([berth.binary, "export", "--devices", "oci:%s:v1" % src, str(out2)], env=berth.env)
    if os.geteuid() == 0:
        st = os.lstat(out2 / "dev" / "sda")
        assert stat.S_ISBLK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600  # not the image's world-writable 0666
    else:
        assert not os.path.lexists(out2 / "dev" / "sda")


def test_export_stops_a_decompression_bomb_by_default(berth, tmp_path):
    bomb = itlib.tar_bytes({"zeros": bytes(64 << 20)})
    src = str(tmp_path / "src")
    desc = itlib.make_layout_image(src, "v1", [bomb])
    compressed = json.loads(itlib.read_blob(src, desc["digest"]))["layers"][0]["size"]
    assert (64 << 20) / compressed > 200  # what makes it a bomb under the default
    out = tmp_path / "out"
    r = run([berth.binary, "export", "oci:%s:v1" % src, str(out)], env=berth.env, check=False)
    assert r.returncode == EXIT_FAILURE, r.describe()
    assert "expansion ratio" in r.stderr
    assert not (out / "zeros").exists()
    run([berth.binary, "export", "--max-expansion-ratio", "0", "oci:%s:v1" % src,
         str(tmp_path / "ok")], env=berth.env)
    assert (tmp_path / "ok" / "zeros").stat().st_size == 64 << 20
