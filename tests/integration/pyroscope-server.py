#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A loopback stand-in for Grafana Pyroscope's ingest API, for the --push
tests. POST /ingest takes the profile as the raw body or as the multipart
field "profile", parses it (folded "stack count" lines), and appends one
JSON line per request to --log: the time, the query, the auth headers,
the parsed stacks and the status answered. --plan says what to answer
request by request ("503*3,200": three 503s then 200; "hang:60" sleeps 60
s before answering; the last entry repeats). The chosen port is written to
--port-file once the server listens (--port 0: a free one)."""
import argparse
import email.parser
import email.policy
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
                rec["stacks"] = parse_folded(body)
            except ValueError as e:
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
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Ingest)
    srv.daemon_threads = True
    srv.lock = threading.Lock()
    srv.plan = parse_plan(a.plan)
    srv.served = 0
    srv.log = open(a.log, "a")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
