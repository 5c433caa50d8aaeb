"""Errors the user must be able to act on: exit codes and messages."""

from __future__ import annotations

import json
import os
import shutil

import stack
from itlib import (EXIT_FAILURE, EXIT_TABLE, EXIT_TRANSFER, EXIT_USAGE, exit_code,
                   help_exit_codes, layout_entry, run)


def test_the_exit_code_tables_agree(berth):
    """README's "Exit codes" table and `berth --help`'s are the same, row for row
    (the codes the tests below expect come from README's)."""
    overview = run([berth.binary, "--help"], env=berth.env).stdout
    assert sorted(EXIT_TABLE) == [0, 1, 2, 3, 4, 5, 130, 143], EXIT_TABLE
    assert help_exit_codes(overview) == EXIT_TABLE


def corrupt_copy_of(layout: str, dest: str) -> str:
    """A copy of an OCI layout with one byte of its biggest layer flipped: the digest
    of that blob."""
    shutil.copytree(layout, dest)
    manifest = json.loads(open(os.path.join(
        dest, "blobs", "sha256", layout_entry(dest, "v1")["digest"].split(":")[1])).read())
    layer = max(manifest["layers"], key=lambda d: d["size"])
    path = os.path.join(dest, "blobs", "sha256", layer["digest"].split(":")[1])
    with open(path, "r+b") as f:
        f.seek(layer["size"] // 2)
        byte = f.read(1)
        f.seek(layer["size"] // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    return layer["digest"]


def test_each_row_of_the_exit_code_table(plain_reg, basic_reg, small_image, berth, repo,
                                          proxy_for, tmp_path):
    """A real failure for each kind the table names, against real docker-registries,
    exits with the code README's table gives for it."""
    def cli(*args: str):
        return run([berth.binary, *args], env=berth.env, check=False)

    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    berth.copy(small_image["ref"], "docker://" + ref)
    # 2: berth refuses its command line.
    r = cli("copy", "--no-such-option", small_image["ref"], "oci:%s:v1" % (tmp_path / "u"))
    assert r.returncode == exit_code("an unknown command or option") == 2, r.describe()
    r = cli("copy", "--jobs", "zero", small_image["ref"], "oci:%s:v1" % (tmp_path / "u"))
    assert r.returncode == exit_code("a bad option value") == 2, r.describe()
    # 1: a missing tag is a registry's definite answer (404 MANIFEST_UNKNOWN) ...
    for args in (("manifest", "%s/%s:nope" % (plain_reg.hostport, repo)),
                 ("inspect", "%s/%s:nope" % (plain_reg.hostport, repo)),
                 ("pull", "%s/%s:nope" % (plain_reg.hostport, repo),
                  "oci:%s:v1" % (tmp_path / "p"))):
        r = cli(*args)
        assert r.returncode == exit_code("not found (a tag") == 1, r.describe()
        assert "MANIFEST_UNKNOWN" in r.stderr, r.stderr
    # ... and so is any other 4xx: a registry refusing the manifest (400 MANIFEST_INVALID)
    # is not a bad command line.
    px = proxy_for(plain_reg)
    body = json.dumps({"errors": [{"code": "MANIFEST_INVALID", "message": "manifest invalid",
                                   "detail": "injected"}]})
    rule = px.fail("PUT", r"/manifests/", status=400, times=None, retry_after=None, body=body)
    r = cli("push", small_image["ref"], "%s/%s-refused:v1" % (px.hostport, repo))
    assert rule.hits >= 1
    assert r.returncode == exit_code("any other refusal by a registry") == 1, r.describe()
    assert "MANIFEST_INVALID" in r.stderr, r.stderr
    # 3: an htpasswd registry without credentials, and with a wrong password.
    secured = "%s/%s:v1" % (basic_reg.hostport, repo)
    r = cli("push", small_image["ref"], secured)
    assert r.returncode == exit_code("credentials missing") == 3, r.describe()
    r = cli("push", "--dest-creds", basic_reg.username + ":Wr0ng-Pa55", small_image["ref"],
            secured)
    assert r.returncode == exit_code("invalid, expired or denied") == 3, r.describe()
    # 4 and 5: one corrupt blob is a gate through validate, and bytes that do not match
    # their digest through push, copy and pull.
    bad_layout = str(tmp_path / "bad")
    bad_digest = corrupt_copy_of(small_image["layout"], bad_layout)
    r = cli("validate", "oci:%s:v1" % bad_layout)
    assert r.returncode == exit_code("found by validate") == 4, r.describe()
    assert bad_digest in r.stdout + r.stderr
    mismatch = exit_code("bytes that do not match their digest")
    r = cli("push", "oci:%s:v1" % bad_layout, "%s/%s-bad:v1" % (plain_reg.hostport, repo))
    assert r.returncode == mismatch == 5, r.describe()
    r = cli("copy", "oci:%s:v1" % bad_layout, "oci:%s:v1" % (tmp_path / "c"))
    assert r.returncode == mismatch, r.describe()
    # 5: a server error that outlasts the retries, and nothing listening.
    px.fail("GET", r"/manifests/", status=500, times=None, retry_after=None)
    r = cli("manifest", "%s/%s:v1" % (px.hostport, repo))
    assert r.returncode == exit_code("HTTP 5xx") == 5, r.describe()
    r = cli("manifest", "127.0.0.1:%d/%s:v1" % (stack.free_port(), repo))
    assert r.returncode == exit_code("no connection") == 5, r.describe()


def test_bad_reference_is_a_usage_error(plain_reg, small_image, berth, tmp_path):
    for bad in ("docker://%s/UPPER/case:v1" % plain_reg.hostport,
                "docker://%s/repo:bad tag" % plain_reg.hostport,
                "docker://%s/repo@sha256:1234" % plain_reg.hostport,
                "docker://"):
        r = berth.copy(small_image["ref"], bad, check=False)
        assert r.returncode == EXIT_USAGE, r.describe()
        # --json: the error is one JSON line, its exit code and message in it.
        error = r.events[-1]
        assert error["event"] == "error" and error["command"] == "copy", r.stderr
        assert error["exit_code"] == EXIT_USAGE and error["code"] == "invalid_argument"
        assert "reference" in error["message"].lower() or "invalid" in error["message"].lower()
        plain = run([berth.binary, "copy", small_image["ref"], bad], env=berth.env, check=False)
        assert plain.returncode == EXIT_USAGE and plain.stderr.startswith("berth copy: "), \
            plain.describe()
    r = berth.copy("oci:", "oci:%s:v1" % (tmp_path / "x"), check=False)
    assert r.returncode == EXIT_USAGE and "oci:DIR" in r.stderr, r.describe()
    r = berth.copy(small_image["ref"], "dir:%s" % (tmp_path / "d"), check=False)
    assert r.returncode != 0 and "dir:" in r.stderr, r.describe()


def test_missing_tag_and_repository(plain_reg, small_image, berth, repo, tmp_path):
    berth.copy(small_image["ref"], "docker://%s/%s:v1" % (plain_reg.hostport, repo))
    out = "oci:%s:x" % (tmp_path / "out")
    r = berth.copy("docker://%s/%s:nope" % (plain_reg.hostport, repo), out, check=False)
    assert r.returncode == EXIT_FAILURE, r.describe()
    assert "MANIFEST_UNKNOWN" in r.stderr and "%s:nope" % repo in r.stderr, r.stderr
    assert "not found" in r.stderr.lower() or "unknown" in r.stderr.lower()
    r = berth.copy("docker://%s/%s-absent:v1" % (plain_reg.hostport, repo), out, check=False)
    assert r.returncode == EXIT_FAILURE, r.describe()
    assert "%s-absent" % repo in r.stderr and "UNKNOWN" in r.stderr, r.stderr
    r = berth.copy("oci:%s:nope" % small_image["layout"], out, check=False)
    assert r.returncode == EXIT_FAILURE and "nope" in r.stderr, r.describe()
    assert not (tmp_path / "out" / "blobs" / "sha256").exists() or \
        list((tmp_path / "out" / "blobs" / "sha256").iterdir()) == []


def test_nothing_listening(small_image, berth):
    port = stack.free_port()
    r = berth.copy(small_image["ref"], "docker://127.0.0.1:%d/x/y:v1" % port, check=False)
    assert r.returncode == EXIT_TRANSFER, r.describe()
    assert str(port) in r.stderr and ("connect" in r.stderr.lower() or "refused" in r.stderr.lower()), r.stderr
    assert r.seconds < 20
    r = berth.copy("docker://127.0.0.1:%d/x/y:v1" % port, "oci:/nonexistent-dir-never/x:v1",
                   check=False)
    assert r.returncode == EXIT_TRANSFER, r.describe()


def test_registry_refusing_an_upload_is_a_transfer_error(plain_reg, small_image, berth, repo,
                                                         proxy_for):
    """A registry that rejects an upload session is a failure while moving bytes
    (exit 5), not a bad command line (exit 2)."""
    px = proxy_for(plain_reg)
    body = json.dumps({"errors": [{"code": "BLOB_UPLOAD_INVALID", "message": "blob upload invalid",
                                   "detail": "injected"}]})
    rule = px.fail("PUT", r"/blobs/uploads/", status=400, times=None, retry_after=None, body=body)
    r = berth.copy(small_image["ref"], "docker://%s/%s:v1" % (px.hostport, repo), check=False)
    assert rule.hits >= 1
    assert r.returncode == EXIT_TRANSFER, r.describe()
    assert "BLOB_UPLOAD_INVALID" in r.stderr and "blob upload invalid" in r.stderr, r.stderr
    assert px.find("PUT", "/manifests/") == []  # nothing tagged


def test_a_corrupt_blob_is_refused_and_not_stored(small_image, berth, tmp_path):
    """A pull into a layout is verified once, by the layout writer: a blob whose bytes
    were altered in the registry's storage fails the copy and is not kept. (A registry
    of its own: the shared one's blobs are used by other tests.)"""
    import os
    with stack.Registry() as reg:
        ref = "docker://%s/corrupt/app:v1" % reg.hostport
        berth.copy(small_image["ref"], ref)
        blobs = []
        for root, _, files in os.walk(reg.storage_dir):
            if "data" in files and "/blobs/sha256/" in root + "/":
                path = os.path.join(root, "data")
                blobs.append((os.path.getsize(path), path))
        size, biggest = max(blobs)
        with open(biggest, "r+b") as f:
            f.seek(size // 2)
            byte = f.read(1)
            f.seek(size // 2)
            f.write(bytes([byte[0] ^ 0xFF]))
        out = tmp_path / "out"
        r = berth.copy(ref, "oci:%s:v1" % out, check=False)
    assert r.returncode == EXIT_TRANSFER, r.describe()
    assert "expected sha256:" in r.stderr or "digest" in r.stderr, r.describe()
    digest_of_corrupt = os.path.basename(os.path.dirname(biggest))
    stored = os.listdir(out / "blobs" / "sha256") if (out / "blobs" / "sha256").exists() else []
    assert digest_of_corrupt not in stored
