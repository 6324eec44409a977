#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A loopback stand-in for Grafana Pyroscope's ingest API, for the --push
tests. POST /ingest takes the profile as the raw body or as the multipart
field "profile", parses it (format=pprof: gzipped profile.proto, read by
a small protobuf reader below; else folded "stack count" lines), and
appends one JSON line per request to --log: the time, the query, the auth
headers, the parsed stacks (pprof's as folded lines, named the way
ctop-prof's folded files name them), the samples per thread label and
the status answered; --save-dir keeps each pprof body as N.pb.gz, for
the tests to read back with ctop-prof's own reader. --plan says what to answer
request by request ("503*3,200": three 503s then 200; "hang:60" sleeps 60
s before answering; the last entry repeats). The chosen port is written to
--port-file once the server listens (--port 0: a free one)."""
import argparse
import email.parser
import email.policy
import gzip
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_plan(text):
    plan = []
    for part in text.split(","):
        count = 1
        if "*" in part:
            part, n = part.split("*")
            count = int(n)
        plan.extend([part] * count)
    return plan


def parse_folded(body):
    """{stack: count}; ValueError on a line that is not 'stack count'."""
    stacks = {}
    for line in body.decode("utf-8", "replace").splitlines():
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            raise ValueError("bad folded line: %r" % line[:80])
        stacks[stack] = stacks.get(stack, 0) + int(count)
    return stacks


def pb_fields(buf):
    """(field, wire type, value) of one protobuf message: varints as int,
    length-delimited as bytes. ValueError on anything else."""
    i, out = 0, []

    def varint():
        nonlocal i
        n = shift = 0
        while True:
            if i >= len(buf):
                raise ValueError("truncated varint")
            b = buf[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n
    while i < len(buf):
        key = varint()
        field, wt = key >> 3, key & 7
        if wt == 0:
            out.append((field, wt, varint()))
        elif wt == 2:
            n = varint()
            if i + n > len(buf):
                raise ValueError("truncated field %d" % field)
            out.append((field, wt, buf[i:i + n]))
            i += n
        else:
            raise ValueError("wire type %d in field %d" % (wt, field))
    return out


def pb_ints(fields, num):
    """Repeated int field num, packed or not."""
    vals = []
    for f, wt, v in fields:
        if f == num and wt == 0:
            vals.append(v)
        elif f == num:
            vals.extend(pb_packed(v))
    return vals


def pb_packed(buf):
    """The varints of a packed field."""
    vals, n, shift = [], 0, 0
    for b in buf:
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            vals.append(n)
            n = shift = 0
    if shift:
        raise ValueError("truncated packed varint")
    return vals


def pb_int(fields, num, default=0):
    vals = pb_ints(fields, num)
    return vals[-1] if vals else default


def parse_pprof(body):
    """({folded stack: samples}, {"tid name": samples}) of a pprof profile:
    frames root first (the label process the first one), an inlined line
    suffixed _[i], a kernel frame _[k], a JIT frame _[j], as ctop-prof's
    folded files write them."""
    data = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
    top = pb_fields(data)
    strings = [v.decode("utf-8", "replace") for f, _, v in top if f == 6]
    if not strings or strings[0] != "":
        raise ValueError("pprof: string_table[0] is not empty")

    def s(k):
        if not 0 <= k < len(strings):
            raise ValueError("pprof: string %d out of range" % k)
        return strings[k]
    maps, funcs, locs = {}, {}, {}
    for f, _, v in top:
        m = pb_fields(v) if f in (3, 4, 5) else None
        if f == 3:
            maps[pb_int(m, 1)] = s(pb_int(m, 5))
        elif f == 5:
            funcs[pb_int(m, 1)] = s(pb_int(m, 2))
        elif f == 4:
            lines = [pb_int(pb_fields(lv), 1) for lf, _, lv in m if lf == 4]
            locs[pb_int(m, 1)] = (pb_int(m, 2), lines)
    stacks, threads = {}, {}
    for f, _, v in top:
        if f != 2:
            continue
        sm = pb_fields(v)
        values = pb_ints(sm, 2)
        if not values:
            raise ValueError("pprof: a sample without values")
        names = []
        for lid in pb_ints(sm, 1):          # leaf first
            if lid not in locs:
                raise ValueError("pprof: no location %d" % lid)
            mid, lines = locs[lid]
            module = maps.get(mid, "")
            kind = ("_[k]" if module.startswith("[kernel") else
                    "_[j]" if module == "[jit]" else "")
            for k, fid in enumerate(lines):  # innermost first
                name = funcs.get(fid, "[unknown]")
                for c in ";\n\r":
                    name = name.replace(c, "_")
                names.append(name + ("_[i]" if k + 1 < len(lines) else kind))
        labels = {}
        for lf, _, lv in sm:
            if lf == 3:
                lab = pb_fields(lv)
                labels[s(pb_int(lab, 1))] = (s(pb_int(lab, 2)) or
                                             str(pb_int(lab, 3)))
        # The process frame, first in folded files, is the label process.
        if labels.get("process"):
            names.append(labels["process"])
        stack = ";".join(reversed(names))
        stacks[stack] = stacks.get(stack, 0) + values[0]
        if "thread_id" in labels:
            key = "%s %s" % (labels["thread_id"], labels.get("thread", ""))
            threads[key] = threads.get(key, 0) + values[0]
    return stacks, threads


def multipart_profile(ctype, body):
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
    for part in msg.iter_parts():
        if part.get_param("name", header="content-disposition") == "profile":
            return part.get_payload(decode=True)
    raise ValueError("multipart body without a profile field")


class Ingest(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        srv = self.server
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with srv.lock:
            step = srv.plan[min(srv.served, len(srv.plan) - 1)]
            srv.served += 1
        rec = {"t": time.time(), "path": url.path,
               "query": dict(urllib.parse.parse_qsl(url.query)),
               "authorization": self.headers.get("Authorization"),
               "tenant": self.headers.get("X-Scope-OrgID"),
               "content_type": self.headers.get("Content-Type"),
               "bytes": len(body), "plan": step}
        code, reason = 200, ""
        if step.startswith("hang:"):
            time.sleep(float(step[5:]))
        elif step != "200":
            code, reason = int(step), "test server says %s" % step
        if code == 200:
            try:
                ctype = rec["content_type"] or ""
                if ctype.startswith("multipart/form-data"):
                    body = multipart_profile(ctype, body)
                if url.path != "/ingest":
                    raise ValueError("no such endpoint: %s" % url.path)
                for key in ("name", "from", "until"):
                    if key not in rec["query"]:
                        raise ValueError("missing %s" % key)
                if rec["query"].get("format") == "pprof":
                    rec["stacks"], rec["threads"] = parse_pprof(body)
                    if srv.save_dir:
                        rec["saved"] = os.path.join(
                            srv.save_dir, "%d.pb.gz" % srv.served)
                        with open(rec["saved"], "wb") as f:
                            f.write(body)
                else:
                    rec["stacks"] = parse_folded(body)
            except (ValueError, OSError, EOFError) as e:
                code, reason = 400, str(e)
        rec["code"] = code
        with srv.lock:
            srv.log.write(json.dumps(rec) + "\n")
            srv.log.flush()
        self.answer(code, reason)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--plan", default="200")
    ap.add_argument("--save-dir", help="keep each pprof profile there")
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Ingest)
    srv.daemon_threads = True
    srv.lock = threading.Lock()
    srv.plan = parse_plan(a.plan)
    srv.served = 0
    srv.save_dir = a.save_dir
    srv.log = open(a.log, "a")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
