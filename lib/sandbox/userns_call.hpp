// Work done as root of a new user namespace that maps the caller's subordinate ids: what an
// unprivileged process cannot do to files of those ids on the host (chown to them, read
// their 0600 files, unpack a layer with its owners), root there can.
#pragma once

#include "sandbox/id_map.hpp"

#include <cstddef>
#include <functional>
#include <string>

namespace berth::sandbox {

// What the child runs: it reads its input (if any) from `in` to its end and writes its
// output to `out`.
using ChildWork = std::function<void(int in, int out)>;
// Runs in the caller while the child runs and hands the child's input to `write`, which
// returns false once the child stopped reading.
using Feed = std::function<void(const std::function<bool(const char *, std::size_t)> &write)>;
// Receives the child's output as it comes.
using Drain = std::function<void(const char *, std::size_t)>;

// Runs `work` in a forked child that has joined a new user namespace mapped with `ids`
// (rootless_mapping()), with input from `feed` or output to `drain` (one of them, or
// neither: a child writing output while the caller still feeds it would wait forever),
// and waits for it. The child's exception comes back as Error(io) with its text,
// prefixed by `what`; Error(unsupported) when the namespace cannot be made.
void run_in_userns(const IdMapping &ids, const ChildWork &work, const Feed &feed,
                   const Drain &drain, const std::string &what);

// fn in such a child; returns what it returned.
std::string call_in_userns(const IdMapping &ids, const std::function<std::string()> &fn,
                           const std::string &what);

// fn as root of the build's files: called directly as root; rootless, in a user namespace
// with rootless_mapping(), where the caller is root and its subordinate ids are the ids.
std::string as_root_inside(const std::function<std::string()> &fn, const std::string &what);

} // namespace berth::sandbox
