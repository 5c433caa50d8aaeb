"""The RUN executor (lib/sandbox/run.cpp) and the layer made of its upper directory
(lib/sandbox/overlay_diff.cpp), judged by what the kernel and Python's tarfile see: files
in the upper directory, entries of the layer tar, the sandbox's own /proc, the host's
/tmp. Cases taking the `sandbox` fixture run as root and rootless."""
import hashlib
import os
import stat
import tarfile
import time
import uuid

import pytest

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def members(tar_path):
    with tarfile.open(tar_path) as t:
        return {m.name.rstrip("/"): m for m in t.getmembers()}


def sh(script):
    return ["/bin/sh", "-c", script]


def ok(out):
    assert "error" not in out, out
    return out


def sandbox_pids_named(text):
    """Host processes whose command line contains `text` (as separate argv words)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if text.encode() in argv:
            found.append(int(pid))
    return found


def test_written_file_lands_in_upper_and_layer(sandbox):
    out = ok(sandbox.run(sh("echo hello > /data/new && chmod 640 /data/new && "
                            "mkdir -p /opt/app && chown 1000:1000 /opt/app && "
                            "echo owned > /opt/app/f && chown 1000:2000 /opt/app/f")))
    assert out["exit_code"] == 0
    assert out["rootless"] == (sandbox.mode == "rootless")
    new = sandbox.upper / "data" / "new"
    assert new.read_text() == "hello\n"
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
    m = members(sandbox.tar)
    assert m["data/new"].isfile() and m["data/new"].mode == 0o640
    assert m["data/new"].uid == 0 and m["data/new"].gid == 0
    assert m["opt/app"].isdir() and (m["opt/app"].uid, m["opt/app"].gid) == (1000, 1000)
    assert (m["opt/app/f"].uid, m["opt/app/f"].gid) == (1000, 2000)
    with tarfile.open(sandbox.tar) as t:
        assert t.extractfile("data/new").read() == b"hello\n"
    # Only what the step changed: untouched base files are not in the layer.
    assert "bin/busybox" not in m and "data/dir/a" not in m
    # The driver's diff_id is the sha256 of exactly these tar bytes.
    assert out["diff_id"] == "sha256:" + hashlib.sha256(sandbox.tar.read_bytes()).hexdigest()


def test_deleted_base_file_is_a_whiteout(sandbox):
    ok(sandbox.run(["rm", "/data/old"]))
    st = os.lstat(sandbox.upper / "data" / "old")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(0, 0)
    m = members(sandbox.tar)
    assert "data/.wh.old" in m and m["data/.wh.old"].isfile() and m["data/.wh.old"].size == 0
    assert "data/old" not in m


def test_replaced_directory_is_opaque(sandbox):
    ok(sandbox.run(sh("rm -rf /data/dir && mkdir /data/dir && echo n > /data/dir/n")))
    m = members(sandbox.tar)
    assert "data/dir/.wh..wh..opq" in m
    assert m["data/dir/n"].isfile()
    assert "data/dir/a" not in m and "data/dir/.wh.a" not in m
    with tarfile.open(sandbox.tar) as t:
        names = [x.name.rstrip("/") for x in t.getmembers()]
    # The marker comes right after its directory, before the new contents.
    assert names.index("data/dir/.wh..wh..opq") == names.index("data/dir") + 1


def test_environment_is_exactly_the_given_one(sandbox):
    env = dict(os.environ, BERTH_HOST_SECRET="s3cret-host-value")
    out = ok(sandbox.run(["env"], "--env", "A=1", "--env", "B=two words", env=env))
    lines = set(out["tail"].splitlines())
    assert lines == {"A=1", "B=two words", "PATH=" + DEFAULT_PATH}
    assert "s3cret" not in out["tail"]
    out = ok(sandbox.run(["env"], "--env", "PATH=/bin"))
    assert out["tail"].splitlines() == ["PATH=/bin"]


def test_exit_code_and_output_tail(sandbox):
    out_file = sandbox.dir / "output.txt"
    script = ("i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done; "
              "echo oops >&2; exit 7")
    out = ok(sandbox.run(sh(script), "--tail", "100", "--output", str(out_file)))
    assert out["exit_code"] == 7 and out["signal"] == 0
    assert len(out["tail"]) == 100 and out["tail"].endswith("line2999\noops\n")
    streamed = out_file.read_text().splitlines()
    assert streamed[0] == "line0" and streamed[-2:] == ["line2999", "oops"]
    assert len(streamed) == 3001


def test_killed_by_a_signal(sandbox):
    out = ok(sandbox.run(sh("kill -9 $$")))
    assert out["signal"] == 9 and out["exit_code"] == 137


def test_network_none_has_only_loopback_up(sandbox):
    out = ok(sandbox.run(sh("ls /sys/class/net; cat /sys/class/net/lo/flags"),
                         "--network", "none"))
    lines = out["tail"].split()
    assert lines[0] == "lo" and len(lines) == 2, out
    assert int(lines[1], 16) & 0x1, "lo is not up"


def test_host_network_sees_host_interfaces(sandbox):
    out = ok(sandbox.run(["cat", "/proc/net/dev"]))
    host = open("/proc/net/dev").read()
    assert sorted(l.split(":")[0].strip() for l in out["tail"].splitlines()[2:]) == sorted(
        l.split(":")[0].strip() for l in host.splitlines()[2:])


def test_pid_namespace_and_init(sandbox):
    out = ok(sandbox.run(sh("echo self=$$; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' ';"
                            " echo; tr '\\0' ' ' < /proc/1/cmdline; echo; ps -o pid,comm")))
    lines = out["tail"].splitlines()
    assert lines[0] == "self=2"  # the command is the first child of the sandbox's init
    pids = [int(p) for p in lines[1].split()]
    # Only the sandbox's few processes (init, sh and its pipeline), none of the host's.
    assert pids[0] == 1 and max(pids) <= 10, pids
    assert "berth_sandbox_driver" in lines[2]  # pid 1 is berth's init, not the command
    ps_pids = [int(l.split()[0]) for l in lines[4:]]
    assert ps_pids and max(ps_pids) <= 12 and 1 in ps_pids, lines


def test_hostname(sandbox):
    out = ok(sandbox.run(["hostname"], "--hostname", "sbx-test"))
    assert out["tail"] == "sbx-test\n"
    assert os.uname().nodename != "sbx-test"


def test_user_numeric(sandbox):
    # A uid in /etc/passwd takes that entry's group (libcontainer's rule, as BuildKit);
    # one that is not there runs with gid 0.
    out = ok(sandbox.run(sh("id; touch /tmp/by1000"), "--user", "1000"))
    assert out["tail"].startswith("uid=1000(app) gid=1000(app)"), out
    out = ok(sandbox.run(sh("id; touch /tmp/by1234"), "--user", "1234"))
    assert out["tail"].startswith("uid=1234 gid=0(root)"), out
    m = members(sandbox.tar)
    assert (m["tmp/by1000"].uid, m["tmp/by1000"].gid) == (1000, 1000)
    assert (m["tmp/by1234"].uid, m["tmp/by1234"].gid) == (1234, 0)


def test_user_name_with_supplementary_groups(sandbox):
    out = ok(sandbox.run(["id"], "--user", "app"))
    tail = out["tail"]
    assert tail.startswith("uid=1000(app) gid=1000(app)"), tail
    assert "2000(extra)" in tail, tail
    out = ok(sandbox.run(["id"], "--user", "svc:extra"))
    assert out["tail"].startswith("uid=1001(svc) gid=2000(extra)"), out
    # An explicit group means no other supplementary groups; the primary one is listed,
    # as BuildKit's executor lists it (ensureAdditionalGids).
    assert out["tail"] == "uid=1001(svc) gid=2000(extra) groups=2000(extra)\n", out


def test_unknown_user_is_an_error(sandbox):
    out = sandbox.run(["id"], "--user", "nobody-here")
    assert out["error"] == "not found" and "nobody-here" in out["message"]


def test_command_not_found(sandbox):
    out = sandbox.run(["no-such-program"])
    assert out["error"] == "not found" and "not found in $PATH" in out["message"]


def test_writes_never_reach_the_host_tmp(sandbox):
    tag = "berth-sbx-canary-" + uuid.uuid4().hex[:8]
    host_dir = "/tmp/" + tag + "-dir"
    os.mkdir(host_dir)
    os.chmod(host_dir, 0o777)
    try:
        script = (f"echo x > /tmp/{tag}-abs; echo x > ../../../../../tmp/{tag}-dotdot; "
                  f"echo x > /hostlink/{tag}-link; ln -s {host_dir} /newlink; "
                  f"echo x > /newlink/inside 2>/dev/null; mkdir -p {host_dir}; "
                  f"echo x > {host_dir}/inside2; true")
        out = ok(sandbox.run(sh(script), "--cwd", f"/hostlink/{tag}-cwd"))
        assert out["exit_code"] == 0
        for name in ("abs", "dotdot", "link", "cwd"):
            assert not os.path.exists(f"/tmp/{tag}-{name}"), name
        assert os.listdir(host_dir) == []
        up = sandbox.upper / "tmp"
        assert {f"{tag}-abs", f"{tag}-dotdot", f"{tag}-link", f"{tag}-cwd"} <= set(os.listdir(up))
    finally:
        os.rmdir(host_dir)


def test_mount_points_leave_no_trace_in_the_layer(sandbox):
    out = ok(sandbox.run(sh("cat /etc/resolv.conf /etc/hosts; ls -d /proc/1 /dev/null /sys/kernel;"
                            " echo x > /etc/hosts || echo readonly")))
    host = open("/etc/resolv.conf").read() + open("/etc/hosts").read()
    assert out["tail"].startswith(host)
    assert "readonly" in out["tail"]
    m = members(sandbox.tar)
    leftovers = [n for n in m if n.split("/")[0] in ("proc", "dev", "sys")
                 or n in ("etc", "etc/hosts", "etc/resolv.conf")]
    assert leftovers == [], leftovers
    assert not os.path.exists(sandbox.upper / "etc")


def test_mount_points_beside_real_changes(sandbox):
    ok(sandbox.run(sh("echo v > /etc/new-file")))
    m = members(sandbox.tar)
    assert set(n for n in m if n.startswith("etc")) == {"etc", "etc/new-file"}


def test_kernel_mount_dirs_stay_when_asked(sandbox):
    # A Dockerfile RUN keeps them, as BuildKit's runc does; the bind targets still go.
    ok(sandbox.run(sh("true"), "--keep-kernel-mount-dirs"))
    m = members(sandbox.tar)
    for d in ("proc", "dev", "sys"):
        assert m[d].isdir() and m[d].mode == 0o755 and (m[d].uid, m[d].gid) == (0, 0), d
    assert not [n for n in m if n.split("/")[0] in ("proc", "dev", "sys") and "/" in n]
    assert "etc/hosts" not in m and "etc/resolv.conf" not in m and "etc" not in m


def test_unchanged_copy_ups_stay_out_of_the_layer_when_asked(sandbox):
    # 'ln' copies the lower file up unchanged, and so does a chmod to the same mode.
    script = "ln /data/old /data/new && chmod 755 /data/dir && echo c > /data/dir/c"
    ok(sandbox.run(sh(script), "--diff-against-lowers"))
    m = members(sandbox.tar)
    assert "data/old" not in m, "an unchanged copy-up reached the layer"
    assert m["data/new"].isfile() and not m["data/new"].islnk()
    assert m["data/dir"].isdir() and m["data/dir/c"].isfile()  # parent of a change
    assert "data/dir/a" not in m
    # ...and gone from the upper dir, which a layer store adopts as the layer's files.
    assert not (sandbox.upper / "data" / "old").exists()
    assert (sandbox.upper / "data" / "new").stat().st_nlink == 1
    # Without the lower dirs, every copied-up entry is written, linked as on disk.
    sandbox.cleanup_upper()
    ok(sandbox.run(sh(script)))
    m = members(sandbox.tar)
    assert m["data/new"].isfile() and m["data/old"].islnk()  # sorted: new comes first
    assert m["data/old"].linkname == "data/new"


def test_tmpfs_mount_leaves_nothing_in_the_layer(sandbox):
    out = ok(sandbox.run(sh("echo scratch > /cache/t/f && df -k /cache/t | tail -1"
                            " && echo kept > /data/kept"), "--tmpfs", "/cache/t:1048576"))
    assert " 1024 " in out["tail"], out["tail"]  # the size limit holds
    m = members(sandbox.tar)
    assert "data/kept" in m
    assert not [n for n in m if n.startswith("cache")], m.keys()


def test_cwd_is_made_as_written(sandbox):
    # As runc's mkdir -p: /w/./b/../c makes /w/b on the way to /w/c.
    out = ok(sandbox.run(["pwd"], "--cwd", "/w/./b/../c"))
    assert out["tail"] == "/w/c\n"
    m = members(sandbox.tar)
    assert {"w", "w/b", "w/c"} <= set(m)


def test_workdir_is_created(sandbox):
    out = ok(sandbox.run(["pwd"], "--cwd", "/work/deep/er"))
    assert out["tail"] == "/work/deep/er\n"
    assert "work/deep/er" in members(sandbox.tar)


def test_timeout_kills_everything(sandbox):
    t0 = time.monotonic()
    out = sandbox.run(sh("sleep 987 & sleep 988"), "--timeout-ms", "700")
    assert out["error"] == "timed out"
    assert time.monotonic() - t0 < 15
    time.sleep(0.2)
    assert sandbox_pids_named("987") == [] and sandbox_pids_named("988") == []


def test_background_process_does_not_outlive_the_step(sandbox):
    t0 = time.monotonic()
    out = ok(sandbox.run(sh("sleep 986 & echo started")))
    assert out["tail"] == "started\n" and time.monotonic() - t0 < 15
    time.sleep(0.2)
    assert sandbox_pids_named("986") == []


def test_bind_mounts(root_sandbox):
    src = root_sandbox.dir / "src"
    src.mkdir()
    (src / "f").write_text("from host\n")
    out = ok(root_sandbox.run(sh("cat /mnt/in/f; echo y > /mnt/in/g || echo ro; "
                                 "echo z > /mnt/rw/h"),
                              "--bind", f"{src}:/mnt/in", "--bind", f"{src}:/mnt/rw:rw"))
    assert out["tail"].startswith("from host\n") and "ro" in out["tail"]
    assert (src / "h").read_text() == "z\n" and not (src / "g").exists()
    assert [n for n in members(root_sandbox.tar) if n.startswith("mnt")] == []


def test_scratch_base(root_sandbox):
    static_busybox = root_sandbox.base / "bin" / "busybox"
    bind = ["--bind", f"{static_busybox}:/busybox"]
    out = ok(root_sandbox.run(["/busybox", "sh", "-c", "/busybox echo hi > /f"], *bind, lowers=[]))
    assert out["exit_code"] == 0
    assert set(members(root_sandbox.tar)) == {"f"}


def test_layers_stack_top_first(root_sandbox, base):
    top = root_sandbox.dir / "top"
    (top / "data").mkdir(parents=True)
    (top / "data" / "old").write_text("from top\n")
    os.mknod(top / "data" / "dir", stat.S_IFCHR | 0o600, os.makedev(0, 0))  # deleted above
    out = ok(root_sandbox.run(sh("cat /data/old; ls /data"), lowers=[top, base]))
    assert out["tail"] == "from top\nold\n"


def test_root_step_cannot_mount_or_reach_host_devices(root_sandbox):
    # Root in the sandbox keeps Docker's default capabilities only: it may create a device
    # node (for the layer) but the root file system is nodev, it may not mount, and the
    # kernel's settings in /proc/sys are read-only.
    out = ok(root_sandbox.run(sh("mount -t tmpfs t /mnt 2>/dev/null && echo mounted; "
                                 "mknod /vda b 253 0 && echo made-node; "
                                 "head -c1 /vda >/dev/null 2>&1 && echo read-disk; "
                                 "(echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null"
                                 " && echo wrote-sysctl; echo done")))
    assert out["tail"].splitlines() == ["made-node", "done"], out
    m = members(root_sandbox.tar)
    assert m["vda"].isblk() and (m["vda"].devmajor, m["vda"].devminor) == (253, 0)


def test_unreadable_files_of_other_ids_are_in_the_layer(sandbox):
    # Rootless, a 0600 file of uid 1000 inside belongs to a subordinate id on the host,
    # which the caller cannot read: the diff must still see it, as root of the sandbox's
    # user namespace does.
    ok(sandbox.run(sh("mkdir -m 700 /secret && echo s > /secret/f && chmod 600 /secret/f && "
                      "chown -R 1000:1000 /secret")))
    m = members(sandbox.tar)
    assert (m["secret"].mode, m["secret"].uid) == (0o700, 1000)
    assert (m["secret/f"].mode, m["secret/f"].uid, m["secret/f"].size) == (0o600, 1000, 2)
    with tarfile.open(sandbox.tar) as t:
        assert t.extractfile("secret/f").read() == b"s\n"


def test_rootless_without_subordinate_ids(single_id_sandbox):
    sb = single_id_sandbox
    out = ok(sb.run(sh("rm /data/old; echo x > /data/new; id -u")))
    assert out["rootless"] and out["tail"] == "0\n"
    m = members(sb.tar)
    assert "data/.wh.old" in m and (m["data/new"].uid, m["data/new"].gid) == (0, 0)
    # Only the caller's id exists inside: another USER is refused before anything runs.
    out = sb.run(["id"], "--user", "1000")
    assert out["error"] == "not supported" and "subordinate ids" in out["message"], out


def test_resolver_files_behind_symlinks(root_sandbox, base):
    # Debian-style images link /etc/resolv.conf elsewhere: an existing target gets the
    # host's file bound on it (unchanged in the layer); a dangling one is left alone and
    # nothing is created below the symlink.
    top = root_sandbox.dir / "top"
    (top / "etc").mkdir(parents=True)
    (top / "data").mkdir()
    (top / "data" / "hosts-real").write_text("image hosts\n")
    os.symlink("/data/hosts-real", top / "etc" / "hosts")
    os.symlink("../run/systemd/resolve/stub-resolv.conf", top / "etc" / "resolv.conf")
    out = ok(root_sandbox.run(sh("cat /etc/hosts; cat /etc/resolv.conf || echo no-resolv"),
                              lowers=[top, base]))
    assert out["tail"] == open("/etc/hosts").read() + \
        "cat: can't open '/etc/resolv.conf': No such file or directory\nno-resolv\n"
    assert members(root_sandbox.tar) == {}
    src = root_sandbox.dir / "src"
    src.mkdir()
    out = root_sandbox.run(["true"], "--bind", f"{src}:/etc/resolv.conf/x", lowers=[top, base])
    assert out["error"] == "file-system error" and "bind" in out["message"], out


def store_args(sandbox):
    return ["--userxattr"] if sandbox.mode == "rootless" else []


def test_a_steps_layer_unpacked_stacks_under_the_next_step(sandbox, driver, base):
    out = ok(sandbox.run(sh("rm /data/old && rm -rf /data/dir && mkdir /data/dir && "
                            "echo n > /data/dir/n && echo s1 > /step1")))
    store = sandbox.dir / "store"
    layer = ok(sandbox.driver_json("unpack", store, out["diff_id"], sandbox.tar,
                                   *store_args(sandbox)))["path"]
    assert layer == f"{store}/sha256/{out['diff_id'][7:]}"
    st = os.lstat(os.path.join(layer, "data", "old"))
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0  # overlay's whiteout, kept
    # The unpacked layer over the base is what the first step saw at its end.
    next_step = type(sandbox)(sandbox.driver, sandbox.base, sandbox.mode)
    next_step.user = sandbox.user
    os.chown(next_step.dir, os.stat(sandbox.dir).st_uid, os.stat(sandbox.dir).st_gid)
    try:
        out2 = ok(next_step.run(sh("ls /data; ls /data/dir; cat /step1"),
                                lowers=[layer, sandbox.base]))
        assert out2["tail"] == "dir\nn\ns1\n"
    finally:
        next_step.cleanup()
    # Reused, not unpacked again: an empty input would not hash to the diffID.
    again = ok(sandbox.driver_json("unpack", store, out["diff_id"], "/dev/null",
                                   *store_args(sandbox)))
    assert again["path"] == layer
    wrong = "sha256:" + "0" * 64
    bad = sandbox.driver_json("unpack", store, wrong, sandbox.tar, *store_args(sandbox))
    assert bad["error"] == "digest mismatch", bad
    assert sorted(os.listdir(store / "sha256")) == [out["diff_id"][7:]]


def test_unpack_killed_midway_leaves_no_layer(root_sandbox):
    import subprocess
    sb = root_sandbox
    out = ok(sb.run(sh("head -c 8000000 /dev/urandom > /big && echo x > /small")))
    store = sb.dir / "store"
    fifo = sb.dir / "fifo"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sb.driver, "unpack", str(store), out["diff_id"], str(fifo)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    data = sb.tar.read_bytes()
    with open(fifo, "wb") as w:
        w.write(data[: len(data) // 2])
        w.flush()
        deadline = time.monotonic() + 10
        while not any(".berth-tmp-" in n for n in os.listdir(store / "sha256")):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.kill()
        proc.wait()
    hexname = out["diff_id"][7:]
    names = os.listdir(store / "sha256")
    assert hexname not in names and any(".berth-tmp-" in n for n in names)
    # The next writer finishes it and removes the killed one's staging directory.
    ok(sb.driver_json("unpack", store, out["diff_id"], sb.tar))
    assert os.listdir(store / "sha256") == [hexname]
    assert os.path.getsize(store / "sha256" / hexname / "big") == 8000000


def test_cancel_kills_everything(sandbox):
    t0 = time.monotonic()
    out = sandbox.run(sh("sleep 984 & sleep 983"), "--cancel-after-ms", "500")
    assert out["error"] == "cancelled", out
    assert time.monotonic() - t0 < 15
    time.sleep(0.2)
    assert sandbox_pids_named("984") == [] and sandbox_pids_named("983") == []


def test_sandbox_dies_with_its_parent(sandbox):
    import signal
    import subprocess
    proc = subprocess.Popen(sandbox.cmd(sh("sleep 982 & sleep 981"), tar=False),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not sandbox_pids_named("981"):
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.05)
    # SIGKILL: no destructor runs; only PR_SET_PDEATHSIG can end the sandbox.
    driver_pid = proc.pid
    if sandbox.mode == "rootless":  # runuser's child is the driver
        driver_pid = int(open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()[0])
    os.kill(driver_pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while sandbox_pids_named("981") or sandbox_pids_named("982"):
        assert time.monotonic() < deadline, "sandbox processes outlived the driver"
        time.sleep(0.05)
