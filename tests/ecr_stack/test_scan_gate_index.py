"""berth ecr scan-gate on a multi-arch index: ECR scans images, never indexes, so each
platform is judged on its own and the worst decides; the step summary lists the CVEs.
Driven through the CLI against moto (scan findings) and the ECR front (the index)."""

from __future__ import annotations

import json
import re

import ecr_stack as E
from berth_cli import berth


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


def test_scan_gate_summary_escapes_what_the_scanner_says(ecr_stack: E.EcrStack, tmp_path) -> None:
    """Finding names, packages and versions are the scanner's (read from the image):
    in $GITHUB_STEP_SUMMARY each stays one table cell, with no HTML, link or row of
    its own (issue 20, item 5)."""
    st = ecr_stack
    repo = "%s/%s" % (st.front.host, st.iam.repository)
    app = tmp_path / "app"
    app.mkdir()
    (app / "hello").write_text("hello\n")
    r = berth(st, "build", "--from", "scratch", "--layer", "%s:/app" % app, "--output",
              "docker://%s:evil" % repo)
    assert r.returncode == 0, r.stderr
    st.moto.set_scan_findings(E.scan_findings_result(
        st.iam.repository, tag="evil", counts={"HIGH": 1},
        findings=[{"name": "CVE-2099-0009|x", "severity": "HIGH",
                   "attributes": [{"key": "package_name",
                                   "value": "evil\n| injected | row |<script>alert(1)</script>"},
                                  {"key": "package_version",
                                   "value": "[click](https://evil.test) `1`"}]}]))
    summary = tmp_path / "summary.md"
    summary.write_text("")
    r = berth(st, "ecr", "scan-gate", "%s:evil" % repo, "--fail-on", "HIGH", "--timeout", "60s",
              who="admin", extra={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 4, (r.stdout, r.stderr)
    text = summary.read_text()
    assert "<script>" not in text and "](" not in text.replace("\\](", ""), text
    assert "\n| injected" not in text, text
    rows = [l for l in text.splitlines() if l.startswith("| CVE-")]
    assert len(rows) == 1, text
    # four cells: the row's unescaped pipes are its five borders
    assert len(re.findall(r"(?<!\\)\|", rows[0].replace("\\\\", ""))) == 5, rows[0]
    assert rows[0] == ("| CVE-2099-0009\\|x | HIGH | evil\\\\n\\| injected \\| row \\|"
                       "&lt;script&gt;alert(1)&lt;/script&gt; "
                       "\\[click\\](https://evil.test) \\`1\\` | — |"), rows[0]
