#!/usr/bin/env node
// SigV4 signing throughput of the npm `aws4` signer on the requests of
// sigv4_requests.json.
//
//   node sigv4_aws4.js [--requests FILE] [--seconds S] [--reps N] [--clock cpu|wall] [--signatures]
//
// Prints the same lines as sigv4_bench:
//   sig  aws4 <request> <hex signature>
//   rate aws4 <request> <signatures/s>
// aws4 mutates the request it signs, so every iteration signs a fresh request object
// (as a caller would); its signing-key LRU cache is always on. The signing time is
// fixed with X-Amz-Date (header mode) or the X-Amz-Date query parameter (presign).
// --clock cpu (the default) divides by the process's CPU time (all its threads, GC
// included; under taskset they share the one core) instead of elapsed time.
// aws4 is loaded from $BERTH_AWS4, else <repo>/.tools/node/node_modules/aws4.
'use strict'
const fs = require('fs')
const path = require('path')

const aws4 = require(process.env.BERTH_AWS4 ||
  path.join(__dirname, '..', '.tools', 'node', 'node_modules', 'aws4'))

const args = { requests: path.join(__dirname, 'sigv4_requests.json'), seconds: 1, reps: 3, signatures: false, clock: 'cpu' }
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]
  if (a === '--requests') args.requests = process.argv[++i]
  else if (a === '--seconds') args.seconds = Number(process.argv[++i])
  else if (a === '--reps') args.reps = Number(process.argv[++i])
  else if (a === '--signatures') args.signatures = true
  else if (a === '--clock') args.clock = process.argv[++i]
  else { console.error(`usage: sigv4_aws4.js [--requests FILE] [--seconds S] [--reps N] [--clock cpu|wall] [--signatures]`); process.exit(2) }
}

const spec = JSON.parse(fs.readFileSync(args.requests, 'utf8'))

function build(r) {
  const presign = r.presign_expires > 0
  const creds = { accessKeyId: r.access_key, secretAccessKey: r.secret_key }
  if (r.session_token) creds.sessionToken = r.session_token
  const body = r.body ? Buffer.from(r.body, 'utf8') : undefined
  const baseHeaders = {}
  for (const [n, v] of r.headers) baseHeaders[n] = v
  let query = r.query
  if (presign) {
    // aws4 takes the expiry and the time from the query when presigning.
    const extra = `X-Amz-Expires=${r.presign_expires}&X-Amz-Date=${spec.timestamp}`
    query = query ? `${query}&${extra}` : extra
  } else {
    baseHeaders['X-Amz-Date'] = spec.timestamp
  }
  const p = r.path + (query ? `?${query}` : '')
  return function signOnce() {
    const req = {
      host: r.host, method: r.method, path: p, service: r.service, region: r.region,
      headers: Object.assign({}, baseHeaders),
    }
    if (body) req.body = body
    if (presign) req.signQuery = true
    aws4.sign(req, creds)
    if (presign) {
      const m = /[?&]X-Amz-Signature=([0-9a-f]+)/.exec(req.path)
      return m[1]
    }
    const auth = req.headers.Authorization
    return auth.slice(auth.lastIndexOf('Signature=') + 10)
  }
}

function now() {
  if (args.clock === 'wall') return Number(process.hrtime.bigint()) / 1e9
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

function measure(fn) {
  for (let i = 0; i < 2000; i++) fn()
  let best = 0
  let sink = 0
  for (let rep = 0; rep < args.reps; rep++) {
    let n = 0
    const start = now()
    let elapsed
    for (;;) {
      for (let k = 0; k < 256; k++) sink += fn().length
      n += 256
      elapsed = now() - start
      if (elapsed >= args.seconds) break
    }
    best = Math.max(best, n / elapsed)
  }
  if (sink === 42) console.log('')
  return best
}

const version = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve(process.env.BERTH_AWS4 ||
  path.join(__dirname, '..', '.tools', 'node', 'node_modules', 'aws4'))), 'package.json'), 'utf8')).version
console.log(`# aws4 ${version}, node ${process.version}, ${args.clock} clock`)
const signers = spec.requests.map((r) => [r.name, build(r)])
for (const [name, fn] of signers) console.log(`sig aws4 ${name} ${fn()}`)
if (!args.signatures) {
  for (const [name, fn] of signers) console.log(`rate aws4 ${name} ${measure(fn).toFixed(0)}`)
  let i = 0
  console.log(`rate aws4 mix ${measure(() => signers[i++ % signers.length][1]()).toFixed(0)}`)
}
