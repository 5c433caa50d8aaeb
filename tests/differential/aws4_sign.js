#!/usr/bin/env node
// Signs requests with the npm `aws4` signer for test_sigv4_aws4.py.
//
// stdin:  a JSON array of {method, host, port, path, headers: [[name, value]...],
//         body_hex, service, region, accessKeyId, secretAccessKey, sessionToken}
// stdout: a JSON array of {canonical, stringToSign, signature, authorization,
//         headers: [[name, value]...], path}
//
// aws4 is loaded from $BERTH_AWS4 when set, else from <repo>/.tools/node/node_modules/aws4
// (where scripts/setup.sh installs it).
'use strict'
const path = require('path')
const fs = require('fs')

const aws4 = require(process.env.BERTH_AWS4 ||
  path.join(__dirname, '..', '..', '.tools', 'node', 'node_modules', 'aws4'))

const input = JSON.parse(fs.readFileSync(0, 'utf8'))
const out = input.map((r) => {
  const headers = {}
  for (const [n, v] of r.headers) headers[n] = v
  const request = {
    method: r.method,
    host: r.host,
    path: r.path,
    headers,
    service: r.service,
    region: r.region,
  }
  if (r.port) request.port = r.port
  if (r.body_hex) request.body = Buffer.from(r.body_hex, 'hex')
  const creds = { accessKeyId: r.accessKeyId, secretAccessKey: r.secretAccessKey }
  if (r.sessionToken) creds.sessionToken = r.sessionToken
  const signer = new aws4.RequestSigner(request, creds)
  signer.sign()
  const auth = request.headers.Authorization
  return {
    canonical: signer.canonicalString(),
    stringToSign: signer.stringToSign(),
    signature: auth.slice(auth.lastIndexOf('Signature=') + 'Signature='.length),
    authorization: auth,
    headers: Object.entries(request.headers).map(([n, v]) => [n, String(v)]),
    path: request.path,
  }
})
process.stdout.write(JSON.stringify(out))
