"""berth ecr scan-gate on a multi-arch index: ECR scans images, never indexes, so each
platform is judged on its own and the worst decides; the step summary lists the CVEs.
Driven through the CLI against moto (scan findings) and the ECR front (the index)."""

from __future__ import annotations

import json
import os
import subprocess

import ecr_stack as E
import secret_scan

BERTH = os.environ.get("BERTH_CLI") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "berth")


def berth(st: E.EcrStack, *args: str, who: str = "pusher", extra: dict | None = None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    env.update(st.berth_env())
    env.update({k: v for k, v in st.aws_env(who).items()})
    env.update(extra or {})
    p = subprocess.run([BERTH, *args], env=env, capture_output=True, text=True, timeout=120)
    secret_scan.record(p.args, p.returncode, p.stdout, p.stderr, env)
    return p


def test_scan_gate_judges_each_platform_of_an_index(ecr_stack: E.EcrStack, tmp_path) -> None:
    st = ecr_stack
    repo = "%s/%s" % (st.front.host, st.iam.repository)
    app = tmp_path / "app"
    app.mkdir()
    (app / "hello").write_text("hello\n")
    layout = tmp_path / "images"
    for platform in ("linux/amd64", "linux/arm64"):
        r = berth(st, "build", "--from", "scratch", "--layer", "%s:/app" % app, "--platform",
                  platform, "--output", "oci:%s:%s" % (layout, platform.split("/")[1]))
        assert r.returncode == 0, r.stderr
    r = berth(st, "index", "--json", "oci:%s:arm64" % layout, "oci:%s:amd64" % layout,
              "--output", "docker://%s:multi" % repo)
    assert r.returncode == 0, r.stderr
    index_digest = json.loads(r.stdout.strip().splitlines()[-1])["digest"]

    ecr = st.client("ecr", "admin")
    got = ecr.batch_get_image(repositoryName=st.iam.repository,
                              imageIds=[{"imageDigest": index_digest}],
                              acceptedMediaTypes=["application/vnd.oci.image.index.v1+json"])
    children = {m["platform"]["architecture"]: m["digest"]
                for m in json.loads(got["images"][0]["imageManifest"])["manifests"]}
    assert set(children) == {"amd64", "arm64"}
    # moto hands a queued result to the first untagged image described (it compares
    # tags, None == None): arm64 comes first in the index, so it gets this one, and
    # amd64 moto's default (one HIGH, CVE-9999-9999 in moto_fake).
    st.moto.set_scan_findings(
        E.scan_findings_result(st.iam.repository, digest=children["arm64"], counts={"HIGH": 2},
                               findings=[{"name": "CVE-2099-0001", "severity": "HIGH",
                                          "attributes": [{"key": "package_name", "value": "zlib"},
                                                         {"key": "package_version", "value": "1.2"}]},
                                         {"name": "CVE-2099-0002", "severity": "HIGH",
                                          "attributes": [{"key": "package_name",
                                                          "value": "openssl"}]}]))

    summary = tmp_path / "summary.md"
    summary.write_text("")
    r = berth(st, "ecr", "scan-gate", "%s:multi" % repo, "--fail-on", "HIGH", "--timeout", "60s",
              who="admin", extra={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 4, (r.stdout, r.stderr)  # the arm64 image fails the gate
    out = r.stdout
    assert "2 finding(s) at or above HIGH (limit 0) in the worst of its images" in out, out
    rows = [l for l in out.splitlines() if l.startswith("| sha256:")]
    assert len(rows) == 2, out
    assert any("linux/amd64" in l and "| 0 | 1 | 0 |" in l for l in rows), rows
    assert any("linux/arm64" in l and "| 0 | 2 | 0 |" in l for l in rows), rows
    text = summary.read_text()
    assert "| CVE-2099-0001 | HIGH | zlib 1.2 |" in text, text
    assert "| CVE-2099-0002 | HIGH | openssl |" in text, text
    assert "| CVE-9999-9999 | HIGH | moto_fake 9.9.9 |" in text, text
    assert "**Failed**" in text

    # --fail-on CRITICAL: both platforms pass, so the index does
    r = berth(st, "ecr", "scan-gate", "%s:multi" % repo, "--fail-on", "CRITICAL", "--timeout",
              "60s", who="admin")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert len([l for l in r.stdout.splitlines() if l.startswith("| sha256:")]) == 2
