#!/usr/bin/env python3
"""Writes the benchmark's input mboxes (bench/README.md).

  gen-stream.py --source DIR --count N --flood OUT.mbox --mixed OUT.mbox

--flood: the mails of DIR (files, or mboxes split into messages) repeated
until N messages: a bounce flood when DIR is ../shared/corpus-dev.
--mixed: N messages of which 95 in 100 are ordinary mail generated here
(people, mailing lists, newsletters, notifications) and 5 in 100 are taken
in turn from DIR.  Deterministic (fixed seed) so runs compare.
"""
import argparse, os, random

FIRST = ["Anna", "Ben", "Chloe", "David", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas",
         "Kira", "Lars", "Mila", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Yusuf"]
LAST = ["Adler", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen",
        "Ivanova", "Jensen", "Keller", "Lopez", "Meyer", "Novak", "Olsen", "Petit"]
TOPICS = ["project plan", "lunch on Friday", "the quarterly numbers", "your invoice 4471",
          "minutes of the meeting", "new office hours", "flight to Lisbon", "the draft contract",
          "photos from the weekend", "budget for 2027", "server migration", "team offsite",
          "interview schedule", "updated slides", "the kitchen rota", "book club"]
WORDS = ("the of and to in is it you that he was for on are with as I his they be at one have "
         "this from or had by hot word but what some we can out other were all there when up use "
         "your how said an each she which do their time if will way about many then them write "
         "would like so these her long make thing see him two has look more day could go come "
         "did number sound no most people my over know water than call first who may down side "
         "been now find any new work part take get place made live where after back little only "
         "round man year came show every good me give our under name very through just form "
         "sentence great think say help low line differ turn cause much mean before move right "
         "boy old too same tell does set three want air well also play small end put home read "
         "hand port large spell add even land here must big high such follow act why ask men "
         "change went light kind off need house picture try us again animal point mother world").split()
LISTS = ["dev", "announce", "users", "garden-club", "choir", "alumni"]


def para(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def body(rng):
    lines = []
    for _ in range(rng.randint(2, 6)):
        text = para(rng, rng.randint(20, 70))
        while text:
            cut = text[:72].rfind(" ") if len(text) > 72 else len(text)
            lines.append(text[:cut])
            text = text[cut:].lstrip()
        lines.append("")
    return "\n".join(lines)


def ordinary(rng, i):
    a = (rng.choice(FIRST), rng.choice(LAST))
    b = (rng.choice(FIRST), rng.choice(LAST))
    dom = rng.choice(["example.com", "example.org", "example.net", "mail.example"])
    frm = "%s %s <%s.%s@%s>" % (a[0], a[1], a[0].lower(), a[1].lower(), dom)
    to = "%s.%s@example.com" % (b[0].lower(), b[1].lower())
    date = "Mon, %d Nov 2026 %02d:%02d:%02d +0100" % (2 + i % 27, i % 24, i % 60, (i * 7) % 60)
    kind = rng.random()
    hdr = ["Return-Path: <%s.%s@%s>" % (a[0].lower(), a[1].lower(), dom),
           "Received: from mail%d.%s (mail%d.%s [198.51.100.%d])\n\tby mx.example.com (Postfix) "
           "with ESMTPS id %X for <%s>; %s" % (i % 9, dom, i % 9, dom, i % 250 + 1, i * 7919, to, date),
           "Date: " + date, "From: " + frm, "To: " + to,
           "Message-ID: <%d.%x@%s>" % (i, i * 104729, dom), "MIME-Version: 1.0"]
    if kind < 0.45:       # a person
        subj = rng.choice(["", "Re: ", "Fwd: "]) + rng.choice(TOPICS)
        hdr += ["Subject: " + subj, "Content-Type: text/plain; charset=us-ascii"]
        text = "Hi %s,\n\n%s\nBest,\n%s\n" % (b[0], body(rng), a[0])
    elif kind < 0.75:     # list mail
        lst = rng.choice(LISTS)
        hdr += ["Subject: [%s] %s" % (lst, rng.choice(TOPICS)),
                "List-Id: %s.lists.example.org" % lst,
                "List-Unsubscribe: <mailto:%s-leave@lists.example.org>" % lst,
                "Precedence: list", "Content-Type: text/plain; charset=us-ascii"]
        text = body(rng) + "\n-- \n%s mailing list\n" % lst
    else:                 # newsletter, HTML with a text part
        bnd = "b%x" % (i * 31337)
        hdr += ["Subject: Weekly digest %d: %s" % (i % 52, rng.choice(TOPICS)),
                "List-Unsubscribe: <https://news.example.org/u/%x>" % i,
                "Content-Type: multipart/alternative; boundary=\"%s\"" % bnd]
        plain = body(rng)
        html = "<html><body>" + "".join("<p>%s</p>" % p for p in plain.split("\n\n")) + "</body></html>"
        text = ("--%s\nContent-Type: text/plain; charset=us-ascii\n\n%s\n--%s\nContent-Type: text/html; "
                "charset=us-ascii\n\n%s\n--%s--\n" % (bnd, plain, bnd, html, bnd))
    return "\n".join(hdr) + "\n\n" + text


def source_messages(folder):
    out = []
    for root, _, files in os.walk(folder):
        for f in sorted(files):
            if f.endswith((".expect", ".jsonl", ".md", ".conf")):
                continue
            data = open(os.path.join(root, f), "rb").read()
            if data.startswith(b"From "):
                parts = data.split(b"\n\nFrom ")
                out += [parts[0]] + [b"From " + p for p in parts[1:]]
            else:
                out.append(data)
    return out


def write_mbox(path, msgs):
    with open(path, "wb") as fh:
        for m in msgs:
            if m.startswith(b"From "):
                m = m.split(b"\n", 1)[1] if b"\n" in m else b""
            m = m.replace(b"\r\n", b"\n").replace(b"\nFrom ", b"\n>From ")
            fh.write(b"From MAILER-DAEMON Mon Nov  2 10:00:00 2026\n" + m.rstrip(b"\n") + b"\n\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--flood")
    ap.add_argument("--mixed")
    a = ap.parse_args()
    src = source_messages(a.source)
    if not src:
        raise SystemExit("gen-stream: no mail in " + a.source)
    if a.flood:
        write_mbox(a.flood, [src[i % len(src)] for i in range(a.count)])
    if a.mixed:
        rng = random.Random(2026)
        msgs, k = [], 0
        for i in range(a.count):
            if i % 20 == 19:
                msgs.append(src[k % len(src)])
                k += 1
            else:
                msgs.append(ordinary(rng, i).encode())
        write_mbox(a.mixed, msgs)


if __name__ == "__main__":
    main()
