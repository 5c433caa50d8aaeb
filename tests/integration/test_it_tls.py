"""TLS: verification on by default; trust from --ca-bundle, from certs.d, and with
BERTH_CONNECT_TO sending a registry name to a loopback port (verification still on)."""

from __future__ import annotations

import os
import shutil
import time

import stack
from itlib import EXIT_TRANSFER, layout_entry, skopeo_digest, verify_layout


def assert_tls_failure(r) -> None:
    assert r.returncode == EXIT_TRANSFER, r.describe()
    err = r.stderr.lower()
    assert "tls" in err and "verif" in err, r.stderr
    assert "--ca-bundle" in r.stderr or "certs.d" in r.stderr, r.stderr


def handshake_errors(reg) -> int:
    return reg.log_text().count("TLS handshake error")


def test_verification_is_on_by_default(tls_reg, small_image, berth, repo):
    dst = "docker://%s/%s:v1" % (tls_reg.tls_hostport, repo)
    before = handshake_errors(tls_reg)
    r = berth.copy(small_image["ref"], dst, check=False)
    assert_tls_failure(r)
    # An untrusted certificate stays untrusted: one handshake, no retry with backoff.
    deadline = time.monotonic() + 2
    while handshake_errors(tls_reg) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert handshake_errors(tls_reg) - before == 1, tls_reg.log_text()[-2000:]
    assert r.seconds < 1.5, r.describe()
    # by IP address as well
    r = berth.copy(small_image["ref"], "docker://%s/%s:v1" % (tls_reg.hostport, repo),
                   check=False)
    assert_tls_failure(r)
    st, _, _ = tls_reg.request("GET", "/v2/%s/tags/list" % repo)
    assert st == 404  # nothing was pushed


def test_ca_bundle(tls_reg, small_image, berth, repo, tmp_path):
    digest = layout_entry(small_image["layout"], "v1")["digest"]
    dst = "%s/%s:v1" % (tls_reg.tls_hostport, repo)
    r = berth.copy(small_image["ref"], "docker://" + dst, "--ca-bundle", tls_reg.ca_file)
    assert r.json["digest"] == digest and r.json["blobs_copied"] == 3
    assert skopeo_digest(dst, "--cert-dir", tls_reg.cert_dir) == digest
    out = str(tmp_path / "out")
    berth.copy("docker://" + dst, "oci:%s:v1" % out, "--ca-bundle", tls_reg.ca_file)
    assert verify_layout(out, "v1")["digest"] == digest


def test_certs_d_in_docker_config(tls_reg, small_image, berth, repo):
    certs = os.path.join(berth.env["DOCKER_CONFIG"], "certs.d", tls_reg.tls_hostport)
    os.makedirs(certs)
    shutil.copyfile(tls_reg.ca_file, os.path.join(certs, "ca.crt"))
    dst = "%s/%s:v1" % (tls_reg.tls_hostport, repo)
    r = berth.copy(small_image["ref"], "docker://" + dst)
    assert r.json["blobs_copied"] == 3
    assert skopeo_digest(dst, "--cert-dir", tls_reg.cert_dir) == r.json["digest"]
    # certs.d is per host:port: the same CA filed under another port does not count
    r = berth.copy(small_image["ref"], "docker://%s/%s:v1" % (tls_reg.hostport, repo),
                   check=False)
    assert_tls_failure(r)


def test_connect_to_with_a_registry_name(tls_reg, small_image, berth, repo, tmp_path):
    mapping = "registry.test:443:%s:%d" % (stack.LOOPBACK, tls_reg.port)
    env = {"BERTH_CONNECT_TO": mapping}
    dst = "registry.test/%s:v1" % repo
    # verification stays on: without the CA the name alone does not help
    r = berth.copy(small_image["ref"], "docker://" + dst, env=env, check=False)
    assert_tls_failure(r)
    r = berth.copy(small_image["ref"], "docker://" + dst, "--ca-bundle", tls_reg.ca_file, env=env)
    assert r.json["blobs_copied"] == 3
    assert skopeo_digest("%s/%s:v1" % (tls_reg.tls_hostport, repo),
                         "--cert-dir", tls_reg.cert_dir) == r.json["digest"]
    out = str(tmp_path / "out")
    berth.copy("docker://" + dst, "oci:%s:v1" % out, "--ca-bundle", tls_reg.ca_file, env=env)
    assert verify_layout(out, "v1")["digest"] == r.json["digest"]

    # certs.d under the registry's name works with the mapping too
    certs = os.path.join(berth.env["DOCKER_CONFIG"], "certs.d", "registry.test")
    os.makedirs(certs)
    shutil.copyfile(tls_reg.ca_file, os.path.join(certs, "ca.crt"))
    r = berth.copy(small_image["ref"], "docker://registry.test/%s:v2" % repo, env=env)
    assert r.json["blobs_skipped"] == 3

    # a name the certificate does not carry fails the hostname check, CA or not
    env = {"BERTH_CONNECT_TO": "other.test:443:%s:%d" % (stack.LOOPBACK, tls_reg.port)}
    r = berth.copy(small_image["ref"], "docker://other.test/%s:v1" % repo,
                   "--ca-bundle", tls_reg.ca_file, env=env, check=False)
    assert r.returncode == EXIT_TRANSFER, r.describe()
    assert "other.test" in r.stderr and "tls" in r.stderr.lower(), r.stderr
