#!/usr/bin/env python3
"""SigV4 signing throughput of botocore on the requests of sigv4_requests.json.

    sigv4_peers.py [--requests FILE] [--seconds S] [--reps N] [--clock cpu|wall] [--signatures]

Signs with botocore.auth.SigV4Auth (header mode) and S3SigV4QueryAuth (presigned
S3), the classes boto3 itself uses, and prints the same lines as sigv4_bench:
    sig  botocore <request> <hex signature>
    rate botocore <request> <signatures/s>
Each measurement re-signs one prepared AWSRequest (botocore replaces its own
Authorization / X-Amz-Date on every add_auth; a presigned request gets its URL
reset), so it times signing, not request construction. The signing time is fixed
by replacing botocore.auth.get_current_datetime with a constant function.
--clock cpu (the default) divides by process CPU time instead of elapsed time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))


def build(r: dict):
    creds = Credentials(r["access_key"], r["secret_key"], r["session_token"] or None)
    s3 = r["service"] == "s3"
    presign = r["presign_expires"] > 0
    if presign:
        cls = botocore.auth.S3SigV4QueryAuth if s3 else botocore.auth.SigV4QueryAuth
        signer = cls(creds, r["service"], r["region"], expires=r["presign_expires"])
    else:
        cls = botocore.auth.S3SigV4Auth if s3 else botocore.auth.SigV4Auth
        signer = cls(creds, r["service"], r["region"])
    url = f"{r['scheme']}://{r['host']}{r['path']}" + (f"?{r['query']}" if r["query"] else "")
    req = AWSRequest(method=r["method"], url=url, data=r["body"].encode())
    for name, value in r["headers"]:
        req.headers[name] = value

    if presign:
        def sign_once():
            req.url = url
            signer.add_auth(req)
            return req.url.rpartition("X-Amz-Signature=")[2]
    else:
        def sign_once():
            signer.add_auth(req)
            return req.headers["Authorization"].rpartition("Signature=")[2]
    return sign_once


def measure(fn, seconds: float, reps: int, clock=time.process_time) -> float:
    for _ in range(200):
        fn()
    best = 0.0
    for _ in range(reps):
        n = 0
        start = clock()
        while True:
            for _ in range(64):
                fn()
            n += 64
            elapsed = clock() - start
            if elapsed >= seconds:
                break
        best = max(best, n / elapsed)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", default=os.path.join(HERE, "sigv4_requests.json"))
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    ap.add_argument("--signatures", action="store_true")
    args = ap.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    spec = json.load(open(args.requests))
    when = datetime.datetime.strptime(spec["timestamp"], "%Y%m%dT%H%M%SZ")
    botocore.auth.get_current_datetime = lambda *a, **k: when
    signers = [(r["name"], build(r)) for r in spec["requests"]]
    print(f"# botocore {botocore.__version__}, {args.clock} clock", flush=True)
    for name, fn in signers:
        print(f"sig botocore {name} {fn()}", flush=True)
    if args.signatures:
        return 0
    for name, fn in signers:
        print(f"rate botocore {name} {measure(fn, args.seconds, args.reps, clock):.0f}", flush=True)
    i = [0]

    def mix():
        f = signers[i[0] % len(signers)][1]
        i[0] += 1
        return f()

    print(f"rate botocore mix {measure(mix, args.seconds, args.reps, clock):.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
