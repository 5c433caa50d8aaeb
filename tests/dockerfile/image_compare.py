"""Two images of the same Dockerfile, made comparable: their file trees as umoci unpacks
them (paths, types, contents, modes, owners, symlink targets, hardlinks; not times) and
the config fields a Dockerfile sets. Shared by the buildah and BuildKit differentials.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import stat

from conftest import Layout, run_cmd

# The config fields compared, as Docker/OCI image configs name them.
CONFIG_FIELDS = ("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Labels",
                 "StopSignal", "Healthcheck", "Volumes", "Shell", "OnBuild")


def snapshot(root: pathlib.Path) -> dict[str, dict]:
    """{path: entry} for everything under root (root itself as "."), without times:
    type, mode bits, owner, content hash, symlink target, device numbers, and for
    regular files with more than one link the other paths sharing the inode."""
    root = pathlib.Path(root)
    entries: dict[str, dict] = {}
    inodes: dict[int, list[str]] = {}
    for d, dirs, files in os.walk(root):
        for n in [None, *sorted(dirs), *sorted(files)]:
            if n is None:
                if pathlib.Path(d) != root:
                    continue
                p = root
            else:
                p = pathlib.Path(d) / n
            rel = "." if p == root else str(p.relative_to(root))
            st = os.lstat(p)
            e = {"mode": oct(stat.S_IMODE(st.st_mode)), "uid": st.st_uid, "gid": st.st_gid}
            if stat.S_ISLNK(st.st_mode):
                e.update(type="symlink", target=os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                e["type"] = "dir"
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256(p.read_bytes()).hexdigest()
                e.update(type="file", size=st.st_size, sha256=h)
                data = p.read_bytes() if st.st_size <= 256 else b""
                if data and b"\0" not in data:
                    # small text files: redundant with sha256, readable in a diff
                    e["text"] = data.decode("utf-8", "replace")
                if st.st_nlink > 1:
                    inodes.setdefault(st.st_ino, []).append(rel)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                e.update(type="chr" if stat.S_ISCHR(st.st_mode) else "blk",
                         rdev=(os.major(st.st_rdev), os.minor(st.st_rdev)))
            elif stat.S_ISFIFO(st.st_mode):
                e["type"] = "fifo"
            else:
                e["type"] = "other"
            entries[rel] = e
        # symlinks to directories are listed in dirs but not descended: fine.
    for paths in inodes.values():
        group = sorted(paths)
        for rel in group:
            entries[rel]["hardlinks"] = group
    return entries


def tree_diff(berth: dict[str, dict], other: dict[str, dict], name: str = "buildah") -> list[str]:
    """Human-readable differences, berth's side first (other is the reference builder
    called name); empty when the trees agree."""
    out = []
    for p in sorted(set(berth) | set(other)):
        a, b = berth.get(p), other.get(p)
        if a == b:
            continue
        if a is None:
            out.append("%s: only %s has it %s" % (p, name, b))
        elif b is None:
            out.append("%s: only berth has it %s" % (p, a))
        else:
            keys = sorted(set(a) | set(b))
            out.append("%s: %s" % (p, ", ".join(
                "%s berth=%r %s=%r" % (k, a.get(k), name, b.get(k))
                for k in keys if a.get(k) != b.get(k))))
    return out


def normalize_config(cfg: dict) -> dict:
    """The compared fields, with empty values ("" [] {} null) as absent."""
    out = {}
    for k in CONFIG_FIELDS:
        v = cfg.get(k)
        if v in (None, "", [], {}):
            continue
        out[k] = v
    return out


def config_diff(berth: dict, other: dict, name: str = "buildah") -> list[str]:
    return ["%s: berth=%r %s=%r" % (k, berth.get(k), name, other.get(k))
            for k in CONFIG_FIELDS if berth.get(k) != other.get(k)]


def unpack(layout: Layout, bundle: pathlib.Path) -> pathlib.Path:
    """umoci unpacks the image; the bundle dir must not exist."""
    if bundle.exists():
        shutil.rmtree(bundle)
    run_cmd(["umoci", "unpack", "--image", "%s:%s" % (layout.path, layout.tag), str(bundle)])
    return bundle / "rootfs"
