#!/usr/bin/env python3
"""fuzz/seeds.py - writes the starting corpus of each fuzz target.

Usage: seeds.py SRCDIR OUTDIR

OUTDIR/classify  every message of corpus/ (mboxes split, mboxrd '>From '
                 unescaped), tests/data/adversarial/ and fuzz/regress/classify/
OUTDIR/dsn       the delivery-status and rfc822-headers bodies found in those
                 messages, and the message headers
OUTDIR/rules     the shipped rule files, whole and in blocks of rules
OUTDIR/config    corpus/site.conf and a few hand-made site configs

and every file of fuzz/regress/TARGET/ (inputs that once failed) for its
target.

Files are named by content hash, so running it again adds nothing twice.
"""
import hashlib
import os
import re
import sys

src, out = sys.argv[1], sys.argv[2]


def put(kind, data):
    d = os.path.join(out, kind)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def split_mbox(data):
    msgs, cur = [], None
    for line in data.split(b"\n"):
        if line.startswith(b"From ") and (cur is None or not cur or cur[-1] == b""):
            if cur is not None:
                msgs.append(b"\n".join(cur[:-1] if cur and cur[-1] == b"" else cur) + b"\n")
            cur = []
            continue
        if cur is None:
            continue
        if re.match(rb">+From ", line):
            line = line[1:]
        cur.append(line)
    if cur:
        msgs.append(b"\n".join(cur) + b"\n")
    return msgs


messages = []
for folder in ("corpus", os.path.join("tests", "data", "adversarial"),
               os.path.join("fuzz", "regress", "classify")):
    path = os.path.join(src, folder)
    if not os.path.isdir(path):
        continue
    for name in sorted(os.listdir(path)):
        p = os.path.join(path, name)
        if not os.path.isfile(p) or name.endswith((".expect", ".md", ".conf")):
            continue
        with open(p, "rb") as f:
            data = f.read()
        if len(data) > 1 << 20:
            continue
        messages.extend(split_mbox(data) if data.startswith(b"From ") else [data])

for m in messages:
    put("classify", m)
    # The header block, and each report part's body up to the next boundary.
    put("dsn", m.split(b"\n\n", 1)[0] + b"\n")
    for mt in re.finditer(rb"(?im)^content-type:\s*(message/(?:global-)?delivery-status|"
                          rb"text/rfc822-headers|message/rfc822)[^\n]*\n(?:[ \t][^\n]*\n|[^\n]+\n)*\n", m):
        body = m[mt.end():]
        stop = re.search(rb"(?m)^--", body)
        put("dsn", body[:stop.start()] if stop else body[:16384])

rules_dir = os.path.join(src, "rules")
for name in sorted(os.listdir(rules_dir)):
    if not name.endswith(".cf"):
        continue
    with open(os.path.join(rules_dir, name), "rb") as f:
        data = f.read()
    put("rules", data)
    block = b""
    for para in data.split(b"\n\n"):
        if len(block) + len(para) > 3000 and block:
            put("rules", block)
            block = b""
        block += para + b"\n\n"
    if block:
        put("rules", block)

site = os.path.join(src, "corpus", "site.conf")
if os.path.exists(site):
    with open(site, "rb") as f:
        put("config", f.read())
for text in (b"domain example.com\nrelay 192.0.2.0/24\nrelay 2001:db8::/32\nrelay mx.example.com\n",
             b"batv-secret 0 s3cret\nbatv-secret 9:other\nbatv-days 30\nmsgid-secret m\n",
             b"# comment\n  domain\tEXAMPLE.org  # trailing\nrelay ::ffff:192.0.2.1/128\n",
             b"relay 192.0.2.1/33\n", b"frobnicate yes\n", b"relay 1:2:3:4:5:6:7::\n"):
    put("config", text)

for target in ("classify", "dsn", "rules", "config"):
    d = os.path.join(src, "fuzz", "regress", target)
    if os.path.isdir(d):
        for name in sorted(os.listdir(d)):
            if target != "classify" and os.path.isfile(os.path.join(d, name)):
                with open(os.path.join(d, name), "rb") as f:
                    put(target, f.read())
