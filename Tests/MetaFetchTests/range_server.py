#!/usr/bin/env python3
"""A small HTTP file server for the `metatrain data fetch` tests (Python's http.server does not
answer Range requests).

Usage: range_server.py --root DIR --port-file FILE --log FILE [--ignore-range] [--corrupt]

Serves the files in DIR on 127.0.0.1 at a free port, which it writes to FILE once listening.
- `Range: bytes=N-` / `bytes=N-M` get 206 with Content-Range (416 past the end), unless
  --ignore-range, which answers every request with the whole file (200).
- /redirect/PATH answers 302 to /PATH (GitHub's raw URLs redirect too).
- --corrupt flips one byte in the middle of every file served.
Every request appends a line `METHOD PATH range=RANGE status=STATUS` to the log FILE.
"""
import argparse
import http.server
import os
import re


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--ignore-range", action="store_true")
    parser.add_argument("--corrupt", action="store_true")
    args = parser.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *values):
            pass

        def record(self, status):
            with open(args.log, "a") as log:
                log.write(f"{self.command} {self.path} range={self.headers.get('Range', '-')} status={status}\n")

        def do_HEAD(self):
            self.serve(body=False)

        def do_GET(self):
            self.serve(body=True)

        def serve(self, body):
            if self.path.startswith("/redirect/"):
                self.record(302)
                self.send_response(302)
                self.send_header("Location", self.path[len("/redirect"):])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = os.path.join(args.root, os.path.normpath(self.path.lstrip("/")))
            if not os.path.isfile(path) or not os.path.realpath(path).startswith(os.path.realpath(args.root)):
                self.record(404)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with open(path, "rb") as f:
                data = bytearray(f.read())
            if args.corrupt and data:
                data[len(data) // 2] ^= 0xFF
            size = len(data)
            start, end, status = 0, size - 1, 200
            match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
            if match and not args.ignore_range:
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
                if start >= size:
                    self.record(416)
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
            self.record(status)
            self.send_response(status)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(end - start + 1))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if body:
                self.wfile.write(data[start:end + 1])

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    temporary = args.port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(temporary, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
