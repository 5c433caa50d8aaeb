"""What berth says while and after it moves bytes (issue 24), through the real CLI
against a real docker-registry: --json progress events with the C ABI's names and
keys, errors as JSON, heartbeat lines in plain (piped) logs during a slow pull, and
summaries that say what a re-push did.

The slow link is the test stack's FaultProxy holding each blob response to a byte
rate; BERTH_PROGRESS_INTERVAL_MS shortens the heartbeat so a test need not wait
10 s. Nothing here judges a speed: only that lines appear while bytes move, what
they say, and that stdout holds the result alone."""

from __future__ import annotations

import json
import re

import pytest

from itlib import EXIT_FAILURE, EXIT_USAGE, registry_tags, run

EVENTS = {"blob_started", "blob_progress", "blob_done", "blob_skipped", "blob_mounted",
          "manifest_done"}
EVENT_KEYS = {"event", "digest", "bytes", "total", "overall_bytes", "overall_total"}
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def all_keys(v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from all_keys(x)
    elif isinstance(v, list):
        for x in v:
            yield from all_keys(x)


@pytest.fixture
def slow_big(plain_reg, big_image, berth, repo, proxy_for):
    """big_image (one 40 MiB layer) in plain_reg, and a proxy in front serving its
    blobs at 4 MB/s per response: a pull takes seconds, split into Range GETs."""
    dst = "%s/%s:big" % (plain_reg.hostport, repo)
    run([berth.binary, "copy", "--quiet", big_image["ref"], dst], env=berth.env)
    px = proxy_for(plain_reg)
    px.slow_response("GET", r"/blobs/", rate=4e6)
    return {"ref": "%s/%s:big" % (px.hostport, repo), "layer": big_image["layer"],
            "digest": big_image["digest"]}


def test_json_progress_events_one_vocabulary(slow_big, berth, tmp_path):
    env = dict(berth.env, BERTH_PROGRESS_INTERVAL_MS="200")
    # the global flag before the command, as docker and git take it
    r = run([berth.binary, "--json", "pull", slow_big["ref"], "oci:%s:t" % (tmp_path / "l")],
            env=env, timeout=180)
    # stdout: the result alone, one JSON document, snake_case keys throughout
    out = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(out) == 1, r.describe()
    result = json.loads(out[0])
    assert result["digest"] == slow_big["digest"] and result["blobs_copied"] == 2
    assert result["bytes_copied"] >= slow_big["layer"]["size"] and result["tags_added"] == []
    assert all(SNAKE.match(k) for k in all_keys(result)), result
    # stderr: JSON lines only, the C ABI's event names and keys
    events = [json.loads(line) for line in r.stderr.splitlines()]
    assert {e["event"] for e in events} <= EVENTS, events
    for e in events:
        extra = {"bytes_per_second", "eta_seconds"} if e["event"] == "blob_progress" else set()
        assert EVENT_KEYS <= set(e) <= EVENT_KEYS | extra, e
    # progress while the layer moves, throttled (not one per chunk), counts that grow
    moving = [e for e in events if e["event"] == "blob_progress"]
    assert len(moving) >= 3, r.describe()
    assert len(moving) < 200, len(moving)
    layer = slow_big["layer"]["digest"]
    counts = [e["overall_bytes"] for e in events]
    assert counts == sorted(counts) and all(e["overall_bytes"] <= e["overall_total"]
                                            for e in events)
    assert any(0 < e["bytes"] < e["total"] for e in moving if e["digest"] == layer), moving
    assert any(e["bytes_per_second"] > 0 for e in moving)
    done = [e for e in events if e["event"] == "blob_done" and e["digest"] == layer]
    assert len(done) == 1 and done[0]["bytes"] == done[0]["total"] == slow_big["layer"]["size"]
    assert events[-1]["event"] == "manifest_done"


def test_plain_log_heartbeat_during_a_slow_pull(slow_big, berth, tmp_path):
    env = dict(berth.env, BERTH_PROGRESS_INTERVAL_MS="300")
    r = run([berth.binary, "pull", slow_big["ref"], "oci:%s:t" % (tmp_path / "l")], env=env,
            timeout=180)
    assert r.stdout == slow_big["digest"] + "\n", r.describe()
    lines = r.stderr.splitlines()
    short = "sha256:" + slow_big["layer"]["digest"][7:19]
    done_at = next(i for i, line in enumerate(lines) if line.startswith("pulled " + short))
    beats = [line for line in lines[:done_at] if line.startswith("pulling: ")]
    # e.g. "pulling: 12.0 MiB / 40.0 MiB (30.0%), 11.8 MiB/s, ETA 3s"
    assert len(beats) >= 2, r.describe()
    pattern = re.compile(r"^pulling: ([\d.]+) (B|KiB|MiB) / 40\.0 MiB \(\d+\.\d%\)"
                         r"(, [\d.]+ (B|KiB|MiB)/s(, ETA \d+(s|m\d\ds))?)?$")
    assert all(pattern.match(b) for b in beats), beats
    assert any(", ETA " in b for b in beats), beats
    # no internal words: event names, "progress", bare hex digests
    assert not any(w in r.stderr for w in ("blob_", "progress ", "exists")), r.stderr
    assert re.search(r"^pull: 2 blobs copied \([\d.]+ MiB\), 1 manifest in ", r.stderr, re.M), \
        r.stderr


def test_json_errors_are_json(plain_reg, berth, repo, tmp_path):
    # not found: exit 1, the code named
    r = run([berth.binary, "pull", "--json", "%s/%s:nope" % (plain_reg.hostport, repo),
             "oci:%s:t" % (tmp_path / "l")], env=berth.env, check=False)
    assert r.returncode == EXIT_FAILURE and r.stdout == "", r.describe()
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.describe()
    err = json.loads(lines[0])
    assert err["event"] == "error" and err["command"] == "pull" and err["code"] == "not_found"
    assert err["exit_code"] == r.returncode and "nope" in err["message"], err
    # a usage error, --json before the command
    r = run([berth.binary, "--json", "copy", "only-one"], env=berth.env, check=False)
    assert r.returncode == EXIT_USAGE and r.stdout == "", r.describe()
    err = json.loads(r.stderr)
    assert (err["code"], err["exit_code"], err["command"]) == ("usage", EXIT_USAGE, "copy"), err
    assert "SRC and DST" in err["message"]
    # an unknown command too
    r = run([berth.binary, "--json", "pul", "x"], env=berth.env, check=False)
    assert r.returncode == EXIT_USAGE and r.stdout == ""
    err = json.loads(r.stderr)
    assert err["code"] == "usage" and "did you mean 'pull'" in err["message"], err
    assert err["command"] is None, err  # none was recognised


def test_repush_that_only_adds_a_tag_says_so(plain_reg, small_image, berth, repo):
    dst = "%s/%s:v1" % (plain_reg.hostport, repo)
    first = run([berth.binary, "push", small_image["ref"], dst], env=berth.env)
    assert re.search(r"^push: 3 blobs copied \(.*\), 1 manifest in ", first.stderr, re.M), \
        first.describe()
    again = run([berth.binary, "push", "--tag", "v2", small_image["ref"], dst], env=berth.env)
    assert "push: nothing to copy: the image was already there; tagged :v2 in " in again.stderr, \
        again.describe()
    assert again.stdout.strip() == first.stdout.strip()
    assert sorted(registry_tags(plain_reg, repo)) == ["v1", "v2"]
    # --json says it too, with the one key style
    j = run([berth.binary, "push", "--json", "--tag", "v2", "--tag", "v3", small_image["ref"],
             dst], env=berth.env)
    result = json.loads(j.stdout)
    assert result["tags_added"] == ["v3"] and result["blobs_copied"] == 0, result
    # nothing new at all: no "tagged"
    none = run([berth.binary, "push", "--tag", "v2", small_image["ref"], dst], env=berth.env)
    assert "push: nothing to copy: the image was already there in " in none.stderr, none.describe()
