"""berth against botocore's SigV4 signer, an implementation nobody here wrote.

Covers what the AWS suite does not: realistic ECR/STS requests, session tokens in
header mode, query strings needing encoding. Skipped when botocore is absent (it is
a test-only peer; the binding itself needs only the standard library).
"""

import datetime
from unittest import mock

import pytest

import berth

botocore_auth = pytest.importorskip("botocore.auth")
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

WHEN = datetime.datetime(2024, 2, 29, 23, 59, 58)
AK, SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE=="

REQUESTS = [
    ("POST", "https://api.ecr.us-west-2.amazonaws.com/", "us-west-2", "ecr",
     {"Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"}, b"{}"),
    ("POST", "https://sts.amazonaws.com/", "us-east-1", "sts",
     {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
     b"Action=GetCallerIdentity&Version=2011-06-15"),
    ("GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08&Marker=a%20b%2Fc",
     "us-east-1", "iam", {}, b""),
    ("GET", "https://example.amazonaws.com/path/with-~_.chars/", "eu-central-1", "execute-api",
     {"X-Custom": "  padded   value  "}, b""),
]


def botocore_sign(method, url, region, service, headers, body, token):
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    auth = botocore_auth.SigV4Auth(Credentials(AK, SK, token), service, region)
    with mock.patch.object(botocore_auth, "get_current_datetime", return_value=WHEN):
        auth.add_auth(request)
    return request


@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize("method, url, region, service, headers, body", REQUESTS)
def test_same_signature_as_botocore(method, url, region, service, headers, body, token):
    theirs = botocore_sign(method, url, region, service, headers, body, token)
    ours = berth.sign_request(method, url, headers, body, region=region, service=service,
                              access_key=AK, secret_key=SK, session_token=token, timestamp=WHEN)
    assert ours.header("Authorization") == theirs.headers["Authorization"]
    assert ours.header("X-Amz-Date") == theirs.headers["X-Amz-Date"]
    if token:
        assert ours.header("X-Amz-Security-Token") == theirs.headers["X-Amz-Security-Token"]
