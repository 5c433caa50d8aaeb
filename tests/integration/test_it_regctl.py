"""regctl (regclient) as an independent judge of what berth attaches: `regctl artifact
list` finds the unsigned SBOM attestation `berth build --sbom` made a referrer, `regctl
artifact tree --digest-tags` shows it and the cosign signature berth sign wrote, and
what `regctl image copy --referrers --digest-tags` copies, berth verifies and pulls
back with the referrer. Against distribution 2.8 (tag scheme) and a registry with the
referrers API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

import itlib
from itlib import run
from test_it_sign import PASSWORD, keys  # noqa: F401 - keys is a fixture

INTOTO = "application/vnd.in-toto+json"


def regctl_bin() -> str:
    path = shutil.which("regctl") or os.path.join(itlib.ROOT, ".tools", "bin", "regctl")
    if not os.access(path, os.X_OK):
        pytest.fail("regctl is not installed (scripts/setup.sh installs it)", pytrace=False)
    return path


def regctl(env: dict, *args: str) -> str:
    p = subprocess.run([regctl_bin(), *args], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 0, "regctl %s: %s" % (" ".join(args), p.stderr)
    return p.stdout


@pytest.mark.parametrize("kind", ["2.8", "ggcr"])
def test_regctl_lists_and_copies_what_berth_attached(kind, plain_reg, api_reg, berth, repo, keys,
                                                     tmp_path):
    reg = {"2.8": plain_reg, "ggcr": api_reg}[kind]
    env = dict(berth.env, COSIGN_PASSWORD=PASSWORD)
    regctl(env, "registry", "set", reg.hostport, "--tls", "disabled")
    app = tmp_path / "app"
    (app / "srv").mkdir(parents=True)
    (app / "srv/run.sh").write_text("echo regctl\n")
    ref = "%s/%s:v1" % (reg.hostport, repo)
    r = run([berth.binary, "build", "--layer", str(app), "--output", "docker://" + ref, "--sbom"],
            env=env)
    digest = r.stdout.strip()
    run([berth.binary, "sign", "--key", keys["a"]["key"], ref], env=env)

    # artifact list: the SBOM statement, a referrer of the image
    listing = json.loads(regctl(env, "artifact", "list", "--format", "body", ref))
    assert len(listing["manifests"]) == 1
    sbom_digest = listing["manifests"][0]["digest"]
    manifest = json.loads(regctl(env, "manifest", "get", "--format", "body",
                                 "%s@%s" % (ref.rsplit(":", 1)[0], sbom_digest)))
    assert manifest["artifactType"] == INTOTO
    assert manifest["subject"]["digest"] == digest
    assert manifest["layers"][0]["annotations"]["in-toto.io/predicate-type"] == \
        "https://spdx.dev/Document"

    # artifact tree with digest tags: the referrer and cosign's signature tag
    tree = regctl(env, "artifact", "tree", "--digest-tags", "--format", "{{json .}}", ref)
    assert sbom_digest in tree
    assert "sha256-%s.sig" % digest.split(":")[1] in tree

    # regctl copies image, referrers and digest tags; berth reads the copy back
    dst = "%s/%s-copy:v1" % (reg.hostport, repo)
    regctl(env, "image", "copy", "--referrers", "--digest-tags", ref, dst)
    v = run([berth.binary, "verify", "--key", keys["a"]["pub"], dst], env=env)
    assert json.loads(v.stdout)[0]["critical"]["image"]["docker-manifest-digest"] == digest
    out = tmp_path / "pulled"
    res = berth.copy("docker://" + dst, "oci:%s:v1" % out)
    # the referrer, and cosign's ".sig" tag regctl copied with --digest-tags
    assert res.json["digest"] == digest and res.json["referrers"] == 2
    assert res.json["digest_tags"] == 1
    assert sbom_digest in {e["digest"] for e in itlib.layout_index(str(out))["manifests"]}
