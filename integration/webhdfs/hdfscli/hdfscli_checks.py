"""HdfsCLI (PyPI "hdfs" 2.7.3) against emrfsd's WebHDFS.

Prints one line per check on stdout:

    CHECK <dir>/<name> PASS
    CHECK <dir>/<name> FAIL <reason>
    DONE checks=N failed=M

The Go test (integration/webhdfs) turns each CHECK line into a subtest.
Settings come from the environment: WEBHDFS_URL (http://HOST:PORT),
SUPERUSER, DIRS (plain,ssekms,csekms), RUN (a unique token), LOCAL_TMP (a
scratch directory), HDFSCLI (the hdfscli program).
"""

import hashlib
import os
import random
import subprocess
import sys
import traceback

from hdfs import InsecureClient
from hdfs.util import HdfsError

URL = os.environ["WEBHDFS_URL"]
SU = os.environ["SUPERUSER"]
DIRS = os.environ["DIRS"].split(",")
RUN = os.environ["RUN"]
TMP = os.environ["LOCAL_TMP"]
HDFSCLI = os.environ["HDFSCLI"]

checks = 0
failed = 0


def check(name, fn):
    global checks, failed
    checks += 1
    try:
        fn()
        print("CHECK %s PASS" % name, flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        failed += 1
        msg = ("%s: %s" % (type(e).__name__, e)).replace("\n", " ")[:400]
        print("CHECK %s FAIL %s" % (name, msg), flush=True)
        traceback.print_exc(file=sys.stderr)


def eq(what, got, want):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def refused(what, exception, fn):
    """fn must fail with an HdfsError naming the Java exception."""
    try:
        fn()
    except HdfsError as e:
        if e.exception != exception:
            raise AssertionError("%s: HdfsError %s (%s), want %s" % (what, e.exception, e, exception))
        if not str(e):
            raise AssertionError("%s: no message" % what)
        return
    raise AssertionError("%s: succeeded, want %s" % (what, exception))


def local_file(name, size, seed):
    rnd = random.Random(seed)
    data = bytes(rnd.getrandbits(8) for _ in range(size))
    p = os.path.join(TMP, name)
    with open(p, "wb") as f:
        f.write(data)
    return p, data


def sha(b):
    return hashlib.sha256(b).hexdigest()


def cli_config():
    p = os.path.join(TMP, "hdfscli.cfg")
    with open(p, "w") as f:
        f.write("[global]\ndefault.alias = emrfsd\n\n[emrfsd.alias]\nurl = %s\nuser = %s\n" % (URL, SU))
    return p


def scenario(d, seed):
    su = InsecureClient(URL, user=SU)
    alice = InsecureClient(URL, user="alice")
    base = "/%s/hc-%s" % (d, RUN)
    up, data = local_file("%s-up.bin" % d, 2 * 1024 * 1024 + 4321, seed)
    name = lambda n: "%s/%s" % (d, n)  # noqa: E731

    def mkdirs():
        su.makedirs(base, permission="755")
        su.makedirs(base + "/pub", permission="777")
        eq("status type", su.status(base)["type"], "DIRECTORY")
        eq("pub permission", su.status(base + "/pub")["permission"], "777")
    check(name("makedirs"), mkdirs)

    def upload():
        # The API's upload streams the file in chunks (chunked transfer).
        eq("upload returns", su.upload(base + "/up.bin", up), base + "/up.bin")
        st = su.status(base + "/up.bin")
        eq("length", st["length"], len(data))
        eq("owner", st["owner"], SU)
        eq("type", st["type"], "FILE")
        eq("permission", st["permission"], "644")
    check(name("upload"), upload)

    def download():
        out = os.path.join(TMP, "%s-down.bin" % d)
        su.download(base + "/up.bin", out, overwrite=True)
        with open(out, "rb") as f:
            eq("downloaded sha256", sha(f.read()), sha(data))
        with su.read(base + "/up.bin", offset=1000, length=5000) as r:
            eq("ranged read", r.read(), data[1000:6000])
    check(name("download"), download)

    def cli():
        env = dict(os.environ, HDFSCLI_CONFIG=cli_config())
        subprocess.run([HDFSCLI, "upload", "-s", "-f", up, base + "/cli.bin"], env=env, check=True, capture_output=True, timeout=120)
        out = os.path.join(TMP, "%s-cli-down.bin" % d)
        subprocess.run([HDFSCLI, "download", "-s", "-f", base + "/cli.bin", out], env=env, check=True, capture_output=True, timeout=120)
        with open(out, "rb") as f:
            eq("hdfscli round trip", sha(f.read()), sha(data))
    check(name("hdfscli-upload-download"), cli)

    def write_small():
        su.write(base + "/keep.txt", data=b"emrfsd webhdfs keep " + d.encode(), overwrite=False)
        refused("write over an existing file", "FileAlreadyExistsException",
                lambda: su.write(base + "/keep.txt", data=b"again", overwrite=False))
        with su.read(base + "/keep.txt") as r:
            eq("content", r.read(), b"emrfsd webhdfs keep " + d.encode())
    check(name("write"), write_small)

    def listing():
        eq("names", su.list(base), ["cli.bin", "keep.txt", "pub", "up.bin"])
        st = dict(su.list(base, status=True))
        eq("listed length", st["up.bin"]["length"], len(data))
        eq("listed dir", st["pub"]["type"], "DIRECTORY")
        walked = [p for p, _, _ in su.walk(base)]
        eq("walk", walked, [base, base + "/pub"])
    check(name("list"), listing)

    def status_missing():
        eq("status of a missing path", su.status(base + "/nope", strict=False), None)
        refused("strict status", "FileNotFoundException", lambda: su.status(base + "/nope"))
    check(name("status-missing"), status_missing)

    def content_checksum():
        c = su.content(base)
        eq("fileCount", c["fileCount"], 3)
        eq("length", c["length"], 2 * len(data) + len(b"emrfsd webhdfs keep " + d.encode()))
        cs = su.checksum(base + "/up.bin")
        eq("algorithm", cs["algorithm"], "MD5-of-0MD5-of-512CRC32C")
        eq("length", cs["length"], 28)
    check(name("content-checksum"), content_checksum)

    def second_user():
        refused("alice uploads into a 755 directory", "AccessControlException",
                lambda: alice.upload(base + "/a.bin", up))
        refused("alice makes a directory", "AccessControlException", lambda: alice.makedirs(base + "/a"))
        refused("alice deletes", "AccessControlException", lambda: alice.delete(base + "/up.bin"))
        refused("alice renames", "AccessControlException", lambda: alice.rename(base + "/up.bin", base + "/pub/x"))
        su.set_permission(base + "/keep.txt", "600")

        def read_private():
            with alice.read(base + "/keep.txt") as r:
                r.read()
        refused("alice reads a 600 file", "AccessControlException", read_private)
        eq("alice's upload into a 777 directory", alice.upload(base + "/pub/a.bin", up), base + "/pub/a.bin")
        eq("owner", alice.status(base + "/pub/a.bin")["owner"], "alice")
        eq("nothing left from refusals", su.status(base + "/a.bin", strict=False), None)
    check(name("second-user"), second_user)

    def rename():
        su.rename(base + "/cli.bin", base + "/renamed.bin")
        eq("old name", su.status(base + "/cli.bin", strict=False), None)
        eq("new name", su.status(base + "/renamed.bin")["length"], len(data))
        su.rename(base + "/renamed.bin", base + "/pub")  # into a directory
        eq("moved into", su.status(base + "/pub/renamed.bin")["length"], len(data))
        try:
            su.rename(base + "/nope", base + "/x")
        except HdfsError as e:
            if "Unable to rename" not in str(e):
                raise
        else:
            raise AssertionError("rename of a missing path succeeded")
    check(name("rename"), rename)

    def attrs():
        su.set_owner(base + "/up.bin", owner="bob", group="staff")
        su.set_times(base + "/up.bin", access_time=1600000000000, modification_time=1600000001000)
        st = su.status(base + "/up.bin")
        eq("owner/group", (st["owner"], st["group"]), ("bob", "staff"))
        eq("times", (st["accessTime"], st["modificationTime"]), (1600000000000, 1600000001000))
    check(name("set-owner-times"), attrs)

    def delete():
        refused("non-recursive delete of a non-empty directory", "PathIsNotEmptyDirectoryException",
                lambda: su.delete(base + "/pub"))
        eq("delete file", su.delete(base + "/up.bin"), True)
        eq("delete missing", su.delete(base + "/up.bin"), False)
        eq("delete recursive", su.delete(base + "/pub", recursive=True), True)
        eq("left", su.list(base), ["keep.txt"])
    check(name("delete"), delete)


for i, d in enumerate(DIRS):
    scenario(d, i + 1)
print("DONE checks=%d failed=%d" % (checks, failed), flush=True)
