#!/usr/bin/env python3
"""gen-adversarial.py - writes hostile mails into a folder (DESIGN.md section 9).

Usage: gen-adversarial.py OUTDIR [--small]

Every case is one file OUTDIR/NAME.eml; OUTDIR/all.mbox is an mbox made of
all of them (mboxrd: body lines "From " are escaped, so the mbox holds
exactly one message per case).  OUTDIR/cases lists the case names, one a
line, in the order of the mbox.

The mails are generated at test time instead of being committed (some are
50 MB).  The output is deterministic: the same bytes on every run.
--small shrinks the big cases (for a quick run under valgrind).

Used by tests/adversarial.sh (make check) and bench/adversarial.sh (CPU
seconds and peak memory per case).
"""
import os
import random
import sys

SMALL = "--small" in sys.argv
argv = [a for a in sys.argv[1:] if not a.startswith("--")]
if len(argv) != 1:
    sys.stderr.write(__doc__)
    sys.exit(2)
OUT = argv[0]
os.makedirs(OUT, exist_ok=True)


def big(n, small):
    return small if SMALL else n


HDR = (b"Return-Path: <>\n"
       b"Received: from mx.example.net (mx.example.net [192.0.2.1])\n"
       b"\tby mail.example.com with ESMTP id 1234; Mon, 1 Jan 2024 00:00:00 +0000\n"
       b"From: Mail Delivery System <MAILER-DAEMON@example.net>\n"
       b"To: user@example.com\n"
       b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
       b"Message-ID: <adv@example.net>\n")


def dsn_group(i):
    return (b"Final-Recipient: rfc822; user%d@example.org\n"
            b"Action: failed\nStatus: 5.1.1\n"
            b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n" % i)


def report(parts, boundary=b"BND"):
    """A multipart/report delivery-status message around @parts (bytes each)."""
    out = [HDR, b"Subject: Undelivered Mail Returned to Sender\n"
           b"MIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=delivery-status;\n"
           b"\tboundary=\"" + boundary + b"\"\n\n"]
    for p in parts:
        out.append(b"--" + boundary + b"\n" + p + b"\n")
    out.append(b"--" + boundary + b"--\n")
    return b"".join(out)


ORIG = (b"Received: from out.example.com (out.example.com [198.51.100.7])\n"
        b"\tby mx.example.net; Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"From: someone@example.com\nTo: user1@example.org\n"
        b"Subject: hello\nMessage-ID: <orig@example.com>\n")

cases = []


def case(name, data):
    cases.append(name)
    with open(os.path.join(OUT, name + ".eml"), "wb") as f:
        f.write(data)


rnd = random.Random(7)

# --- the shapes named by the issue -----------------------------------------
case("empty", b"")
case("headers-only", HDR + b"Subject: no body, no blank line")
case("headers-only-blank", HDR + b"Subject: no body\n\n")
case("binary-garbage", bytes(rnd.getrandbits(8) for _ in range(big(1 << 20, 1 << 14))))
case("binary-after-header", b"Subject: x\n\n" +
     bytes(rnd.getrandbits(8) for _ in range(big(1 << 20, 1 << 14))))
case("nul-bytes", HDR.replace(b"From:", b"Fr\0om:") + b"Subject: a\0b\0c\n"
     b"Content-Type: text/plain\n\n" + b"Delivery\0to the following recipient failed\0\n" * 1000)
case("long-line-body", HDR + b"Subject: long\n\n" + b"x" * big(50 << 20, 1 << 20))
case("long-line-header", HDR + b"Subject: " + b"y" * big(50 << 20, 1 << 20) + b"\n\nbody\n")
case("long-line-nothing-else", b"X-A: " + b"z" * big(50 << 20, 1 << 20))

depth = big(10000, 2000)
nest = [HDR, b"Subject: nested\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=\"b0\"\n\n"]
for i in range(1, depth):
    nest.append(b"--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n" % (i - 1, i))
nest.append(b"--b%d\nContent-Type: text/plain\n\nThe following address failed\n" % (depth - 1))
for i in range(depth - 1, -1, -1):
    nest.append(b"--b%d--\n" % i)
case("nested-multipart", b"".join(nest))

# The same nesting with a boundary shared by every level, and no closing
# delimiters at all (truncated mail).
nest = [HDR, b"Subject: nested\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"s\"\n\n"]
for i in range(depth):
    nest.append(b"--s\nContent-Type: multipart/mixed; boundary=\"s\"\n\n")
case("nested-multipart-same-boundary", b"".join(nest))
nest = [HDR, b"Subject: nested\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n"]
for i in range(1, depth):
    nest.append(b"--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n" % (i - 1, i))
case("nested-multipart-unterminated", b"".join(nest))

case("many-headers", HDR + b"".join(b"X-H%d: v\n" % i for i in range(big(100000, 20000)))
     + b"Subject: many\n\nbody\n")
case("many-headers-same", HDR + b"Received: from a\n" * big(100000, 20000) + b"\nbody\n")
case("folded-forever", HDR + b"Subject: fold\n" + b" x\n" * big(1000000, 50000) + b"\nbody\n")

n = big(100000, 10000)
case("dsn-many-recipients", report([
    b"Content-Type: text/plain\n\nDelivery failed.\n",
    b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
    + b"".join(dsn_group(i) for i in range(n)),
    b"Content-Type: text/rfc822-headers\n\n" + ORIG]))
case("dsn-many-fields", report([
    b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n"
    + b"".join(b"X-F%d: v\n" % i for i in range(n))]))
case("dsn-blank-lines", report([
    b"Content-Type: message/delivery-status\n\n" + b"\n \t\n" * n
    + b"Final-Recipient: rfc822; a@example.org\n"]))
case("dsn-nested-comments", report([
    b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
    b"Final-Recipient: rfc822; " + b"(" * big(200000, 20000) + b"a@example.org\n"
    b"Original-Recipient: rfc822; " + b"\\(" * big(100000, 10000) + b"\n"
    b"Remote-MTA: dns; " + b"((((a)" * big(50000, 5000) + b"\n"
    b"Action: failed\nStatus: 5.1.1\n"]))
case("dsn-xtext", report([
    b"Content-Type: message/delivery-status\n\n"
    b"Final-Recipient: utf-8; " + b"\\x{1F600}\\x{" * big(100000, 10000) + b"\n"
    b"Original-Recipient: rfc822; " + b"+2B+3D+" * big(100000, 10000) + b"\n"]))

case("broken-base64", HDR + b"Subject: b64\nMIME-Version: 1.0\n"
     b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
     + b"QmFkIGJhc2U2N===!!@@##\n" * 100 + b"====\n" * 1000 + b"A" * 100001 + b"\n")
case("broken-base64-report", report([
    b"Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
    b"UmVwb3J0aW5nLU1UQTo=====*&^%\nZG5z\x00\xff\n",
    b"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" + b"%%%%\n" * 1000]))
case("broken-qp", HDR + b"Subject: qp\nContent-Transfer-Encoding: quoted-printable\n\n"
     + b"=\n" * 10000 + b"=ZZ=4=\n" * 10000 + b"=" * 100000 + b"\n")
case("broken-uuencode", HDR + b"Subject: uu\nContent-Transfer-Encoding: x-uuencode\n\n"
     b"begin 644 x\n" + b"M" * 100000 + b"\n" + b"`\n" * 1000)

case("encoded-word-overlong", HDR + b"Subject: =?utf-8?B?" + b"QUFB" * big(1000000, 50000) + b"?=\n"
     b"To: =?iso-8859-1?Q?" + b"=E9" * big(1000000, 50000) + b"?=\n\nbody\n")
case("encoded-words-many", HDR + b"Subject: " + b"=?utf-8?q?a?= " * big(200000, 20000) + b"\n"
     b"Content-Type: text/plain\n\nbody\n")
case("encoded-words-bad", HDR + b"Subject: " + b"=?x?" * big(200000, 20000) + b"=?utf-8?b?=?=" * 1000 +
     b"=?unknown-charset-xyz?b?AAAA?= =?utf-7?q?+AAAA-?=\n\nbody\n")
case("encoded-word-in-original", report([
    b"Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\n",
    b"Content-Type: text/rfc822-headers\n\n" + ORIG + b"X-S: "
    + b"=?utf-8?b?YQ==?= " * big(100000, 10000) + b"\n"]))

loop = big(1000, 300)
msg = b"Subject: innermost\n\nbody\n"
for i in range(loop):
    msg = (b"From: a@example.org\nSubject: level %d\nMIME-Version: 1.0\n"
           b"Content-Type: message/rfc822\n\n" % i) + msg
case("rfc822-loop", HDR + msg)
msg = b"Subject: innermost\n\nbody\n"
for i in range(big(1000, 300)):
    msg = (b"Subject: level %d\nContent-Type: multipart/mixed; boundary=\"m%d\"\n\n"
           b"--m%d\nContent-Type: message/rfc822\n\n" % (i, i, i)) + msg + b"\n--m%d--\n" % i
case("rfc822-multipart-loop", HDR + msg)

crlf_report = report([
    b"Content-Type: text/plain\n\nThis is the mail system. The following address failed.\n",
    b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n" + dsn_group(1),
    b"Content-Type: message/rfc822\n\n" + ORIG + b"\nbody\n"])
case("cr-only", crlf_report.replace(b"\n", b"\r"))
case("crlf", crlf_report.replace(b"\n", b"\r\n"))
case("mixed-eol", b"".join(line + (b"\r\n", b"\n", b"\r", b"\n\r")[i % 4]
                           for i, line in enumerate(crlf_report.split(b"\n"))))
case("lone-cr-in-lf", crlf_report.replace(b": ", b":\r "))

# Regex bombs aimed at the shipped rules: long runs that many patterns with
# \s+, [^\n]{..}, (?:\w+\s+)* and alternations can backtrack over.
R = big(200000, 20000)
bombs = {
    "spaces": b" " * R,
    "tabs-spaces": b" \t" * R,
    "letters": b"a" * R,
    "words": b"delivery failed " * (R // 16),
    "at-signs": b"a@a@" * (R // 4),
    "angles-open": b"<" * R,
    "angles-close": b">" * R,
    "angle-addr": b"<a@b> " * (R // 6),
    "dots-digits": b"5.1." * (R // 4),
    "received": b"Received: from x (y [1.2.3.4]) by z\n" * (R // 36),
    "newlines": b"\n" * R,
    "status": b"Status: 5.1.1 " * (R // 14),
    "colons": b"a:" * (R // 2),
    "quotes": b"\"'" * (R // 2),
    "parens": b"(" * R,
    "utf8": "é€𝄞".encode() * (R // 9),
}
for name, run in bombs.items():
    case("regex-bomb-" + name, HDR + b"Subject: " + run[:big(60000, 10000)].replace(b"\n", b" ")
         + b"\nX-Failed-Recipients: " + run[:big(60000, 10000)].replace(b"\n", b" ")
         + b"\nMIME-Version: 1.0\nContent-Type: text/plain\n\n" + run + b"\n" + run + b"\n")
case("regex-bomb-html", HDR + b"Subject: html\nContent-Type: text/html\n\n"
     + b"<" * R + b"&#" * R + b"<style" * 1000 + b"&#x1;" * 10000)
case("regex-bomb-original", report([
    b"Content-Type: text/plain\n\nDelivery to the following recipient failed permanently:\n"
    + b" " * R + b"\n",
    b"Content-Type: message/rfc822\n\n" + ORIG.replace(b"Subject: hello", b"Subject: " + b"a " * R)
    + b"From: " + b"a@" * R + b"\n\nbody\n"]))

case("huge-received", HDR + b"Received: from " + b"h" * big(1 << 20, 1 << 16) + b" (" + b"[" * 100000
     + b")\n" + b"Received: from a (b [1.2.3.4]) by c with " + b"(x " * 100000 + b"\n"
     + b"".join(b"Received: from h%d.example (h%d.example [192.0.2.%d]) by mx%d "
                b"with ESMTP id %d; Mon, 1 Jan 2024 00:00:00 +0000\n" % (i, i, i % 256, i, i)
                for i in range(big(50000, 5000))) + b"Subject: relays\n\nbody\n")
case("huge-received-original", report([
    b"Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\n",
    b"Content-Type: text/rfc822-headers\n\n" + b"".join(
        b"Received: from h%d (h%d [192.0.2.%d]) by m%d with ESMTP; Mon, 1 Jan 2024\n"
        % (i, i, i % 256, i) for i in range(big(50000, 5000)))]))

parts = big(10000, 2000)
case("many-parts", HDR + b"Subject: parts\nMIME-Version: 1.0\n"
     b"Content-Type: multipart/mixed; boundary=\"p\"\n\n"
     + b"".join(b"--p\nContent-Type: text/plain\n\npart %d failed user@example.org\n" % i
                for i in range(parts)) + b"--p--\n")
case("many-report-parts", report(
    [b"Content-Type: message/delivery-status\n\n" + dsn_group(i) for i in range(parts)]
    + [b"Content-Type: message/rfc822\n\n" + ORIG + b"\nx\n" for i in range(parts)]))

# Shapes that cost GMime (or a header scan) far more than their size
# before prescan.c bounded them: 16 MB of tiny header lines (2 GB), a
# million empty parts (2 GB), 1000 nested multiparts then a flood of "--x"
# lines (a minute of CPU), a huge Subject on ordinary-looking mail.
case("tiny-headers", b"From: alice@example.org\nSubject: hi\n" + b"a:b\n" * big(4000000, 100000)
     + b"\nbody\n")
case("empty-parts", HDR + b"Content-Type: multipart/mixed; boundary=p\n\n" + b"--p\n\nx\n" * big(1000000, 50000)
     + b"--p--\n")
nest = [HDR, b"Subject: dashes\nContent-Type: multipart/mixed; boundary=a0\n\n"]
for i in range(1, big(1000, 300)):
    nest.append(b"--a%d\nContent-Type: multipart/mixed; boundary=a%d\n\n" % (i - 1, i))
nest.append(b"--ax\n" * big(10000000, 200000))
case("nested-dash-flood", b"".join(nest))
case("long-subject-ordinary", b"From: alice@example.org\nTo: bob@example.com\nSubject: "
     + b"a" * big(50 << 20, 1 << 20) + b"\n\nhello\n")
case("many-headers-ordinary", b"From: alice@example.org\nTo: bob@example.com\nSubject: hi\n"
     + b"".join(b"X-H%d: v\n" % i for i in range(big(100000, 20000))) + b"\nhello\n")

# --- other shapes ----------------------------------------------------------
case("no-colon", b"this is not mail\nat all\n")
case("only-from-line", b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n")
case("from-line-then-garbage", b"From x Mon Jan  1 00:00:00 2024\n\xff\xfe\x00garbage\n")
case("header-no-value", b"Subject:\nFrom:\nTo:\nContent-Type:\n\n")
case("content-type-garbage", HDR + b"Content-Type: ;;;;;=====\"\"\";boundary=\n\n--\n--\n")
case("boundary-empty", HDR + b"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\n--\n--\n--\n")
case("boundary-huge", HDR + b"Content-Type: multipart/mixed; boundary=\"" + b"b" * 100000
     + b"\"\n\n--" + b"b" * 100000 + b"\n\nx\n--" + b"b" * 100000 + b"--\n")
case("many-boundary-lines", HDR + b"Content-Type: multipart/mixed; boundary=\"q\"\n\n"
     + b"--q\n" * big(500000, 50000))
case("charset-unknown", HDR + b"Content-Type: text/plain; charset=\"x-unknown-" + b"c" * 10000
     + b"\"\n\n\xe9\xe8 failed\n")
case("charset-utf16", HDR + b"Content-Type: text/plain; charset=utf-16\n\n" + b"\xff\xfe" + b"a\0" * 100000)
case("charset-iso2022", HDR + b"Content-Type: text/plain; charset=iso-2022-jp\n\n"
     + b"\x1b$B" * 100000 + b"\n")
case("params-many", HDR + b"Content-Type: text/plain" + b"".join(
    b"; p%d*%d*=utf-8''%%41" % (i % 10, i) for i in range(big(100000, 10000))) + b"\n\nx\n")
case("delivery-status-only", HDR + b"Content-Type: message/delivery-status\n\n"
     + b"".join(dsn_group(i) for i in range(2000)))
case("rfc822-headers-top", HDR + b"Content-Type: text/rfc822-headers\n\n" + ORIG * 1000)
case("rfc822-encoded-nested", report([
    b"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
    + __import__("base64").encodebytes(ORIG + b"Content-Type: message/rfc822\n\n" + ORIG + b"\nx\n")]))
case("8bit-headers", HDR + b"Subject: \xff\xfe\xc3\x28\xe2\x82\n\xa0Continued: \x80\n\n\xc0\xaf body\n")
case("ctl-chars", HDR + b"Subject: " + bytes(range(1, 32)) * 100 + b"\n\n" + bytes(range(1, 32)) * 1000)

# --- the mbox of all of them -----------------------------------------------
with open(os.path.join(OUT, "all.mbox"), "wb") as mb:
    for name in cases:
        with open(os.path.join(OUT, name + ".eml"), "rb") as f:
            data = f.read()
        mb.write(b"From adversarial@example.org Mon Jan  1 00:00:00 2024\n")
        lines = data.split(b"\n")
        for i, line in enumerate(lines):
            # mboxrd: ">From " and "From " at a line start gain a '>'.
            s = line.lstrip(b">")
            if s.startswith(b"From "):
                line = b">" + line
            mb.write(line)
            if i + 1 < len(lines):
                mb.write(b"\n")
        mb.write(b"\n\n")
with open(os.path.join(OUT, "cases"), "w") as f:
    f.write("".join(c + "\n" for c in cases))
