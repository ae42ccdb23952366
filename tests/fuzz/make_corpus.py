#!/usr/bin/env python3
"""Regenerates the seed corpora in tests/fuzz/corpus/<target>/ from the project's own test data
(tests/build_testdata, tests/unit tables) and a few small tars and gzip/zstd streams made here.
Crashers found later are added by hand as corpus/<target>/crash-<what>; this script keeps them.
Usage: tests/fuzz/make_corpus.py (from anywhere; needs the zstd CLI)."""
import gzip, hashlib, io, json, os, re, subprocess, tarfile, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def put(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = name or "seed-" + hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def unit(name):
    with open(os.path.join(SRC, "tests/unit", name)) as f:
        return f.read()


def reference():
    text = unit("reference_test.cc")
    hexd = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    seen = set()
    for m in re.finditer(r'\{"([^"\\]*)",', text):
        seen.add(m.group(1))
    seen |= {"busybox@sha256:" + hexd, "localhost:5000/a/b:t@sha256:" + hexd, "[::1]:5000/x:y",
             "Busybox", "a:b:c", "docker.io/library/busybox:latest"}
    for s in sorted(seen):
        put("reference", s)


def oci_json():
    d = "sha256:" + "ab" * 32
    desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": 10}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d, "size": 3},
                "layers": [desc]}
    docker = dict(manifest, mediaType="application/vnd.docker.distribution.manifest.v2+json")
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": manifest["mediaType"], "digest": d, "size": 7,
                            "platform": {"os": "linux", "architecture": "amd64"}}]}
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Env": ["PATH=/bin", "A=1"], "Cmd": ["sh"], "Entrypoint": None, "WorkingDir": "/app",
                         "User": "1000:1000", "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
                         "OnBuild": ["RUN echo hi"], "Shell": ["/bin/sh", "-c"],
                         "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000}},
              "rootfs": {"type": "layers", "diff_ids": [d]}, "history": [{"created_by": "x"}]}
    # First byte: the Content-Type index in oci_json_fuzz.cc's kTypes.
    for sel, doc in [(0, manifest), (2, manifest), (3, docker), (4, index), (0, index), (1, config), (7, config),
                     (6, {"schemaVersion": 1}), (0, dict(manifest, manifests=[]))]:
        put("oci_json", bytes([sel]) + json.dumps(doc).encode())


def minifile():
    for sub in ("parser", "parser-negative"):
        base = os.path.join(SRC, "tests/build_testdata", sub)
        for case in sorted(os.listdir(base)):
            p = os.path.join(base, case, "Minifile")
            if os.path.exists(p):
                with open(p, "rb") as f:
                    put("minifile", f.read(), case)
    for w in ["${A:-x}", "${B:+y}$A", "'$A'\"$SP\"", "${A?err}", "${NOPE:?msg}", "a\\ b `c", "${A"]:
        put("minifile", w)


def ignore():
    for m in re.finditer(r'\{"((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)", (?:true|false)\}', unit("build_ignore_test.cc")):
        pats = m.group(1).encode().decode("unicode_escape")
        put("ignore", pats + "\0" + m.group(2))
    put("ignore", "# comment\n*.log\n!keep.log\n**/tmp\n[a-c]?.txt\n/abs/../x\n")


def www_auth():
    put("www_auth", 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                    'scope="repository:library/busybox:pull"')
    put("www_auth", 'Basic realm="Registry Realm", Bearer  realm = "https://a/t" , service=x\nBASIC realm=y')
    put("www_auth", r'Bearer realm="a\"b",scope="repository:x:pull,push"')
    put("www_auth", "dXNlcjpwYXNzd29yZA==")


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for e in entries:
            info = tarfile.TarInfo(e["name"])
            info.type = e.get("type", tarfile.REGTYPE)
            info.mode = e.get("mode", 0o644)
            info.linkname = e.get("link", "")
            data = e.get("data", b"")
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            info.mtime = 1600000000
            if "pax" in e:
                info.pax_headers = e["pax"]
            t.addfile(info, io.BytesIO(data) if info.isreg() else None)
    # Drop tarfile's padding to a 10 KiB record: the entries and the two zero end blocks remain.
    b = buf.getvalue().rstrip(b"\0")
    return b + b"\0" * (-len(b) % 512 + 1024)


def tars():
    D, S, L, R = tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.REGTYPE
    return [
        [{"name": "etc", "type": D, "mode": 0o755}, {"name": "etc/passwd", "data": b"root:x:0:0::/root:/bin/sh\n"},
         {"name": "bin/sh", "data": b"\x7fELF", "mode": 0o4755}],
        [{"name": "link", "type": S, "link": "/etc"}, {"name": "link/x", "data": b"through a symlink"}],
        [{"name": "up", "type": S, "link": "../../.."}, {"name": "up/evil", "data": b"x"}],
        [{"name": "../../escape", "data": b"x"}, {"name": "/abs/file", "data": b"y"}],
        [{"name": "a", "data": b"target"}, {"name": "b", "type": L, "link": "a"},
         {"name": "c", "type": L, "link": "../../s/decoy"}],
        [{"name": "d", "type": S, "link": "/tmp"}, {"name": "h", "type": L, "link": "d/../etc/passwd"}],
        [{"name": "dir", "type": D}, {"name": "dir/f", "data": b"1"}, {"name": "dir/.wh.f"},
         {"name": "dir/.wh..wh..opq"}, {"name": ".wh.dir"}],
        [{"name": "x", "data": b"1", "pax": {"SCHILY.xattr.user.a": "v", "SCHILY.xattr.trusted.overlay.opaque": "y"}}],
        [{"name": "./", "type": D, "mode": 0o700}, {"name": "f", "type": S, "link": "f"}, {"name": "f", "data": b"z"}],
        [{"name": "p", "type": tarfile.FIFOTYPE}, {"name": "n" * 200 + "/long", "data": b"l"}],
    ]


def tar_extract():
    for i, entries in enumerate(tars()):
        put("tar_extract", tar_bytes(entries), "tar-%d" % i)
    put("tar_extract", tar_bytes(tars()[0], tarfile.GNU_FORMAT), "tar-gnu")
    put("tar_extract", gzip.compress(tar_bytes(tars()[4]), mtime=0), "tar-gz")


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, stdout=subprocess.PIPE, check=True).stdout


def decompress():
    text = b"hello, layer\n" * 40 + bytes(range(256))
    put("decompress", gzip.compress(text, mtime=0), "gzip")
    put("decompress", gzip.compress(b"a", mtime=0) + gzip.compress(b"b", mtime=0), "gzip-two-members")
    put("decompress", gzip.compress(text, mtime=0) + b"\0" * 64, "gzip-padding")
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    put("decompress", co.compress(text) + co.flush(zlib.Z_FULL_FLUSH) + co.flush(), "gzip-flush")
    # A header with FEXTRA, FNAME, FCOMMENT and FHCRC.
    body = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = body.compress(b"flags") + body.flush()
    hdr = b"\x1f\x8b\x08\x1e\0\0\0\0\0\x03" + b"\x02\0xy" + b"name\0" + b"comment\0"
    hdr += (zlib.crc32(hdr) & 0xFFFF).to_bytes(2, "little")
    put("decompress", hdr + raw + zlib.crc32(b"flags").to_bytes(4, "little") + (5).to_bytes(4, "little"),
        "gzip-header-flags")
    put("decompress", zstd(text), "zstd")
    put("decompress", zstd(b"a") + zstd(b"b"), "zstd-two-frames")
    put("decompress", b"\x50\x2a\x4d\x18" + (4).to_bytes(4, "little") + b"skip" + zstd(b"x"), "zstd-skippable")
    put("decompress", b"plain tar bytes", "plain")


for f in (reference, oci_json, minifile, ignore, www_auth, tar_extract, decompress):
    f()
