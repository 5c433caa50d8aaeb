"""Calls that mypy must reject against the installed package: proof that the
checker sees berth's real annotations (with py.typed missing, berth would be an
untyped module and every line here would pass as Any)."""

import berth

berth.sign_request(1, "https://example.amazonaws.com/", {}, region="us-east-1",  # line 7
                   service="s", access_key="a", secret_key="b")
digest: int = berth.build(output="oci:/tmp/x:v1").digest  # line 9
berth.copy(b"oci:/tmp/a:v1", "oci:/tmp/b:v1")  # line 10
berth.push("oci:/tmp/a:v1", "registry.example/app:v1", platfrom="linux/amd64")  # line 11
berth.pull("registry.example/app:v1", "out.tar", jobs="4")  # line 12
