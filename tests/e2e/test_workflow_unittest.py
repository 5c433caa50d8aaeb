"""The CI workflow of scripts/demo.sh as a unittest, through the Python binding.

OIDC token -> AssumeRoleWithWebIdentity -> ECR token -> ensure repository -> build ->
push with computed tags (through an expired ECR token) -> scan gate -> lifecycle
policy -> replicate -> pull back everywhere and verify the digest, against
tests/ecr_stack (moto with IAM auth on, OIDC endpoint, the ECR front with TLS) and two
more docker-registry instances (tests/servers) standing in for other regions.

Every step goes through the binding (aws_credentials, caller_identity, ecr_login,
ecr_call, ecr_ensure_repository, build, tags_compute, push, ecr_scan_gate,
lifecycle_policy_shorthand, ecr_lifecycle_preview, ecr_put_lifecycle_policy,
replicate, copy, export). The `berth` CLI (BERTH_CLI, else build*/bin/berth) is only
run to check that its ensure-repository reports ci-pusher's AccessDenied, and
berth.replicate runs in a child process so that a crash in libberth fails that step
instead of killing the whole test run.

Run: python3 -m unittest tests/e2e/test_workflow_unittest.py, or pytest. Needs
BERTH_LIBRARY (libberth.so) unless the binding finds it itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
for p in (os.path.join(REPO, "tests", "ecr_stack"), os.path.join(REPO, "tests", "servers"),
          os.path.join(REPO, "bindings", "python")):
    if p not in sys.path:
        sys.path.insert(0, p)

import berth  # noqa: E402
import ecr_stack  # noqa: E402
import stack  # noqa: E402

SHA = "860c1904a1ce19322e91ac35af1ab07466440c37"
RULES = ["type=ref,event=branch", "type=sha", "type=raw,value=build-42",
         "type=raw,value=latest,enable={{is_default_branch}}"]
EXPECTED_TAGS = ["main", "sha-860c190", "build-42", "latest"]


def berth_cli() -> str:
    cli = os.environ.get("BERTH_CLI")
    if cli:
        return cli
    for d in ("build-e2e", "build"):
        c = os.path.join(REPO, d, "bin", "berth")
        if os.access(c, os.X_OK):
            return c
    c = shutil.which("berth")
    if not c:
        raise unittest.SkipTest("no berth CLI (set BERTH_CLI)")
    return c


def run_cli(*args: str, env: dict | None = None, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess:
    p = subprocess.run([berth_cli(), *args], capture_output=True, text=True,
                       env=env if env is not None else dict(os.environ), timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("berth %s: exit %d\nstdout: %s\nstderr: %s"
                             % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


class EnvPatch:
    """Sets/unsets os.environ entries for a block (libberth reads the process env)."""

    def __init__(self, set_: dict[str, str], unset=()):
        self.set_, self.unset, self.saved = set_, unset, {}

    def __enter__(self):
        for k in list(self.set_) + list(self.unset):
            self.saved[k] = os.environ.get(k)
        for k in self.unset:
            os.environ.pop(k, None)
        os.environ.update(self.set_)
        return self

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class WorkflowTest(unittest.TestCase):
    """Steps run in name order (unittest) / definition order (pytest) and share state."""

    st: ecr_stack.EcrStack
    regions: list
    work: str
    saved_env: dict
    digest: str = ""
    tags: list = []

    @classmethod
    def setUpClass(cls):
        cls.t0 = time.monotonic()
        cls.saved_env = dict(os.environ)
        cls.work = tempfile.mkdtemp(prefix="berth-e2e-py-")
        cls.regions = []
        cls.st = ecr_stack.EcrStack()
        try:
            cls.st.start()
            for _ in range(2):
                r = stack.Registry()
                r.start()
                cls.regions.append(r)
        except BaseException:
            cls._stop()
            raise
        st = cls.st
        # A clean AWS environment, as in scripts/demo.sh.
        for k in list(os.environ):
            if k.startswith(("AWS_", "GITHUB_", "ACTIONS_")):
                del os.environ[k]
        home = os.path.join(cls.work, "home")
        os.makedirs(home)
        os.environ.update({
            "HOME": home, "DOCKER_CONFIG": os.path.join(home, ".docker"),
            "AWS_REGION": st.region, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": st.moto.endpoint_url,
            "BERTH_CONNECT_TO": st.front.connect_to_all,
            "SSL_CERT_FILE": st.ca.cert_file,
            "SOURCE_DATE_EPOCH": "1767225600",
        })
        admin = st.iam.users["admin"]
        cls.admin_env = {"AWS_ACCESS_KEY_ID": admin["access_key_id"],
                         "AWS_SECRET_ACCESS_KEY": admin["secret_access_key"]}
        cls.repo_uri = st.iam.repository_uri()
        cls.repository = cls.repo_uri.split("/", 1)[1]

    @classmethod
    def _stop(cls):
        for r in cls.regions:
            try:
                r.stop()
            except Exception:
                pass
        try:
            cls.st.stop()
        except Exception:
            pass

    @classmethod
    def tearDownClass(cls):
        os.environ.clear()
        os.environ.update(cls.saved_env)
        cls._stop()
        shutil.rmtree(cls.work, ignore_errors=True)
        sys.stderr.write("\n[e2e python] %.1fs\n" % (time.monotonic() - cls.t0))

    def admin(self):
        return EnvPatch(self.admin_env, unset=("AWS_SESSION_TOKEN",))

    def need(self, *names: str):
        missing = [n for n in names if not getattr(type(self), n, None)]
        if missing:
            self.skipTest("an earlier step failed (%s unset)" % ", ".join(missing))

    # ---------------------------------------------------------------- steps
    def test_01_oidc_web_identity(self):
        st = self.st
        role = st.iam.roles["ci_pusher"]["arn"]
        env = {"ACTIONS_ID_TOKEN_REQUEST_URL": st.oidc.request_url,
               "ACTIONS_ID_TOKEN_REQUEST_TOKEN": st.oidc.request_token}
        with EnvPatch(env):
            # AssumeRoleWithWebIdentity is unsigned: let exactly one unsigned call through.
            with st.moto.unsigned_window(1):
                creds = berth.aws_credentials(role_arn=role, role_session_name="berth-e2e")
        self.assertTrue(creds.access_key_id.startswith("ASIA"), creds)
        self.assertTrue(creds.session_token)
        self.assertIsNotNone(creds.expiration)
        self.assertIn("web identity", creds.provider.lower().replace("_", " ").replace("-", " ")
                      + " " + creds.provider)
        oidc_reqs = st.oidc.requests
        self.assertTrue(oidc_reqs, "no OIDC token request")
        self.assertEqual(oidc_reqs[-1]["audience"], "sts.amazonaws.com")
        self.assertTrue(oidc_reqs[-1]["bearer_ok"])
        os.environ.update({"AWS_ACCESS_KEY_ID": creds.access_key_id,
                           "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
                           "AWS_SESSION_TOKEN": creds.session_token})
        who = berth.caller_identity()
        self.assertEqual(who.account, st.account)
        self.assertIn("assumed-role/ci-pusher/", who.arn)
        type(self).role_creds = creds

    def test_02_ecr_token(self):
        self.need("role_creds")
        login = berth.ecr_login(self.st.front.host)
        self.assertEqual(login.registry, self.st.front.host)
        self.assertEqual(login.username, "AWS")
        self.assertEqual(login.password, self.st.front.password)
        self.assertNotIn(login.password, repr(login))

    def test_03_repository(self):
        self.need("role_creds")
        with self.admin():
            r = berth.ecr_ensure_repository(self.repository, scan_on_push=True, apply=True)
            self.assertFalse(r["created"])
            self.assertEqual(r["uri"], self.repo_uri)
            again = berth.ecr_ensure_repository(self.repository, scan_on_push=True)
            self.assertEqual(again["differences"], [])
            desc = berth.ecr_call("DescribeRepositories", {"repositoryNames": [self.repository]})
        repo = desc["repositories"][0]
        self.assertEqual(repo["repositoryUri"], self.repo_uri)
        self.assertTrue(repo["imageScanningConfiguration"]["scanOnPush"])
        # ci-pusher (the role's credentials in the environment) may not create one.
        for attempt in (lambda: berth.ecr_ensure_repository("berth/other"),
                        lambda: berth.ecr_call("CreateRepository", {"repositoryName": "berth/other"})):
            with self.assertRaises(berth.DeniedError) as cm:
                attempt()
            self.assertEqual(cm.exception.aws_code, "AccessDenied")
            self.assertEqual(cm.exception.http_status, 403)
        p = run_cli("ecr", "ensure-repository", "berth/other", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AccessDenied", p.stderr)
        names = [r["repositoryName"] for r in
                 self.st.client("ecr", "admin").describe_repositories()["repositories"]]
        self.assertNotIn("berth/other", names)

    def test_04_build(self):
        w = self.work
        os.makedirs(os.path.join(w, "base/etc"))
        os.makedirs(os.path.join(w, "base/usr/share/demo"))
        os.makedirs(os.path.join(w, "app/static"))
        with open(os.path.join(w, "base/etc/passwd"), "w") as f:
            f.write("demo:x:1000:1000::/app:/bin/sh\n")
        with open(os.path.join(w, "base/usr/share/demo/runtime.bin"), "wb") as f:
            f.write(os.urandom(3_000_000))
        with open(os.path.join(w, "app/server"), "w") as f:
            f.write('#!/bin/sh\necho "hello from berth"\n')
        os.chmod(os.path.join(w, "app/server"), 0o755)
        with open(os.path.join(w, "app/static/assets.bin"), "wb") as f:
            # over berth's 16 MiB monolithic limit: this layer goes up in PATCHes
            f.write(os.urandom(18_000_000))
        base = "oci:%s/base-image:1" % w

        def build(out: str) -> str:
            r = berth.build(output=out, from_=base, layers=["%s/app:/app" % w], compression="gzip",
                            entrypoint=["/app/server"], env=["APP_ENV=production"],
                            workdir="/app", user="1000", expose=["8080"],
                            labels={"org.opencontainers.image.source": "https://github.com/org/app"})
            self.assertEqual(r.layers_built, 1)
            return r.digest

        b = berth.build(output=base, layers=[w + "/base"], platform="linux/amd64")
        self.assertEqual(b.layers_built, 1)
        digest = build("oci:%s/image:build" % w)
        again = build("oci:%s/image-again:build" % w)
        self.assertRegex(digest, r"^sha256:[0-9a-f]{64}$")
        self.assertEqual(again, digest, "same inputs, same SOURCE_DATE_EPOCH: same digest")
        with open(os.path.join(w, "image/index.json")) as f:
            idx = json.load(f)
        self.assertEqual(idx["manifests"][0]["digest"], digest)
        type(self).digest = digest

    def test_05_push_with_tags_through_expired_token(self):
        self.need("role_creds", "digest")
        st, digest = self.st, self.digest
        event = os.path.join(self.work, "event.json")
        with open(event, "w") as f:
            json.dump({"repository": {"default_branch": "main"}}, f)
        gh = {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_SHA": SHA,
              "GITHUB_REPOSITORY": "org/app", "GITHUB_EVENT_PATH": event}
        with EnvPatch(gh):
            res = berth.tags_compute(RULES)
        tags = list(res.tags)
        self.assertEqual(res.labels["org.opencontainers.image.revision"], SHA)
        self.assertEqual(tags, EXPECTED_TAGS)

        st.front.clear_requests()
        st.front.expire_next(1)  # the first authenticated request: 403 "token has expired"
        src = "oci:%s/image:build" % self.work
        r = berth.push(src, self.repo_uri, tags=tags)
        self.assertEqual(r.digest, digest)
        self.assertGreaterEqual(r.blobs_copied, 3)  # 2 layers + config

        reqs = st.front.requests
        expired = [i for i, r in enumerate(reqs) if r["auth"] == "expired"]
        self.assertEqual(len(expired), 1, [(r["method"], r["path"], r["status"]) for r in reqs])
        self.assertEqual(reqs[expired[0]]["status"], 403)
        later_ok = [r for r in reqs[expired[0] + 1:] if r["auth"] == "ok" and r["status"] < 300]
        self.assertTrue(later_ok, "no success after the expired-token 403")
        puts = [r for r in reqs if r["kind"] == "manifest" and r["method"] == "PUT"]
        self.assertEqual(len(puts), len(tags), puts)  # the main tag, then each other one
        self.assertTrue(all(r["status"] == 201 for r in puts), puts)
        patches = [r for r in reqs if r["method"] == "PATCH"]
        for r in patches:
            self.assertEqual(r["status"], 201, r)
        type(self).patch_count = len(patches)
        self.assertTrue(patches, "no chunked upload (PATCH) went to the front")
        # a re-run: every tag already points at the digest, nothing is copied
        st.front.clear_requests()
        again = berth.push(src, self.repo_uri, tags=tags)
        self.assertEqual((again.digest, again.blobs_copied, again.manifests), (digest, 0, 0))
        self.assertFalse([r for r in st.front.requests if r["method"] in ("PATCH", "POST")])

        images = st.client("ecr", "admin").describe_images(repositoryName=self.repository)
        details = [d for d in images["imageDetails"] if d["imageDigest"] == digest]
        self.assertTrue(details, images["imageDetails"])
        seen = set()
        for d in details:
            seen.update(d.get("imageTags", []))
        self.assertTrue(set(tags) <= seen, (tags, seen))
        type(self).tags = tags

    def test_06_scan_gate(self):
        self.need("digest", "tags")
        st, ref = self.st, "%s:main" % self.repo_uri

        def gate(fail_on: str) -> dict:
            with self.admin():
                try:
                    r = berth.ecr_scan_gate(self.repository, "main", fail_on=fail_on, max=0,
                                            timeout_seconds=60)
                    self.assertTrue(r["passed"])
                    return r
                except berth.GateFailedError as e:
                    self.assertIsNotNone(e.result)
                    self.assertFalse(e.result["passed"])
                    return e.result

        r = gate("CRITICAL")
        self.assertEqual((r["status"], r["passed"], r["counted"]), ("COMPLETE", True, 0), r)
        st.moto.set_scan_findings(ecr_stack.scan_findings_result(
            self.repository, digest=self.digest, counts={"HIGH": 3, "MEDIUM": 2}))
        r = gate("HIGH")
        self.assertFalse(r["passed"], r)
        self.assertEqual(r["counted"], 3, r)
        self.assertEqual(r["counts"].get("HIGH"), 3, r)
        self.assertEqual(r["counts"].get("MEDIUM"), 2, r)
        self.assertIn("HIGH", r["table"])
        # one image, and the findings at or above HIGH to list in a summary
        self.assertEqual([(i["digest"], i["counted"]) for i in r["images"]], [(self.digest, 3)])
        self.assertEqual(sorted(f["severity"] for f in r["findings"]), ["HIGH"] * 3, r)
        r = gate("CRITICAL")  # the same findings: no CRITICAL ones
        self.assertTrue(r["passed"], r)
        self.assertEqual(r["counts"].get("HIGH"), 3, r)
        found = st.client("ecr", "admin").describe_image_scan_findings(
            repositoryName=self.repository, imageId={"imageTag": "main"})
        self.assertEqual(found["imageScanFindings"]["findingSeverityCounts"], {"HIGH": 3, "MEDIUM": 2})

    def test_07_lifecycle_policy(self):
        self.need("digest", "tags")
        with self.admin():
            pol = berth.lifecycle_policy_shorthand(keep_last=10, expire_untagged_days=7)
            berth.lifecycle_policy_validate(pol)
            preview = berth.ecr_lifecycle_preview(self.repository, pol)
            self.assertEqual(preview["images"], [])  # one tagged image: kept
            self.assertGreaterEqual(preview["total"], 1)
            berth.ecr_put_lifecycle_policy(self.repository, pol)
            back = berth.ecr_call("GetLifecyclePolicy", {"repositoryName": self.repository})
        boto = self.st.client("ecr", "admin").get_lifecycle_policy(repositoryName=self.repository)
        self.assertEqual(json.loads(back["lifecyclePolicyText"]),
                         json.loads(boto["lifecyclePolicyText"]))
        rules = sorted(json.loads(back["lifecyclePolicyText"])["rules"],
                       key=lambda r: r["rulePriority"])
        self.assertEqual(len(rules), 2, rules)
        self.assertEqual(rules[0]["selection"]["tagStatus"], "untagged")
        self.assertEqual(rules[0]["selection"]["countType"], "sinceImagePushed")
        self.assertEqual(rules[0]["selection"]["countNumber"], 7)
        self.assertEqual(rules[1]["selection"]["tagStatus"], "any")
        self.assertEqual(rules[1]["selection"]["countType"], "imageCountMoreThan")
        self.assertEqual(rules[1]["selection"]["countNumber"], 10)
        self.assertEqual(rules[1]["action"]["type"], "expire")

    def test_08_replicate_and_pull_back(self):
        self.need("digest", "tags")
        st, digest = self.st, self.digest
        src = "%s:main" % self.repo_uri
        dsts = ["%s/org/app:main" % r.hostport for r in self.regions]
        st.front.clear_requests()
        # berth.replicate in a child process: a crash in libberth fails this step
        # (see the report on replicate's use-after-free) instead of the whole run.
        code = ("import json, sys, berth; "
                "r = berth.replicate(sys.argv[1], sys.argv[2:]); "
                "print(json.dumps([x.digest for x in r]))")
        p = subprocess.run([sys.executable, "-c", code, src, *dsts], capture_output=True,
                           text=True, timeout=120,
                           env=dict(os.environ, PYTHONPATH=os.path.join(REPO, "bindings", "python")))
        self.assertEqual(p.returncode, 0, "berth.replicate: exit %d (%s)\n%s"
                         % (p.returncode, "SIGSEGV" if p.returncode == -11 else "", p.stderr))
        self.assertEqual(json.loads(p.stdout), [digest] * len(dsts))
        # blob GETs went through the redirect, and without Authorization on the S3 side
        s3 = st.front.s3_requests
        self.assertTrue(s3, "no blob was read from the S3 side")
        for r in s3:
            self.assertFalse(r["authorization"], r)
            self.assertIn(r["status"], (200, 206), r)
        blob_gets = [r for r in st.front.requests if r["kind"] == "blob" and r["method"] == "GET"]
        whole = [r for r in blob_gets if not r["headers"].get("range")]
        self.assertTrue(whole)
        for r in whole:
            self.assertEqual((r["action"], r["status"]), ("redirect", 307), r)
        # Kept for test_09: what the source registry served, per blob.
        type(self).replicate_reads = (blob_gets, s3)

        st.front.clear_requests()
        for i, ref in enumerate([src] + dsts):
            out = "oci:%s/pulled-%d:main" % (self.work, i)
            r = berth.copy("docker://" + ref, out)
            self.assertEqual(r.digest, digest, ref)
            with open(os.path.join(self.work, "pulled-%d" % i, "index.json")) as f:
                self.assertEqual(json.load(f)["manifests"][0]["digest"], digest)
        s3 = st.front.s3_requests
        self.assertGreaterEqual(len(s3), 3)  # the ECR pull read every blob from "S3"
        self.assertFalse([r for r in s3 if r["authorization"]])
        blob_gets = [r for r in st.front.requests if r["kind"] == "blob" and r["method"] == "GET"]
        self.assertEqual(len(blob_gets), 3)  # config + 2 layers, each once
        for r in blob_gets:
            self.assertEqual((r["action"], r["status"]), ("redirect", 307), r)
        # the exported image runs
        exported = os.path.join(self.work, "exported")
        berth.export("oci:%s/pulled-0:main" % self.work, exported)
        hello = subprocess.run([os.path.join(exported, "app/server")], capture_output=True, text=True)
        self.assertEqual(hello.stdout.strip(), "hello from berth")

    def test_09_replicate_reads_each_blob_once(self):
        """Replicate's fan-out serves every upload chunk of a blob over the 16 MiB
        monolithic limit (each chunk opens the source at the next offset): the source
        is read once, with no Range GETs. Before the fix each destination re-read the
        rest of the blob per chunk, and a reader outliving its source crashed."""
        self.need("replicate_reads")
        blob_gets, s3 = self.replicate_reads
        ranged = [r for r in blob_gets if r["headers"].get("range")]
        self.assertEqual(ranged, [], "source re-read with Range GETs: %s"
                         % [(r["path"][-12:], r["headers"]["range"]) for r in ranged])


if __name__ == "__main__":
    unittest.main()
