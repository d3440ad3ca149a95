"""A static HTTP server with byte-range requests, for the remote-input tests (not a test module).

``python range_server.py FOLDER`` serves FOLDER on 127.0.0.1 at a free port and prints the port on
its first line of output. GDAL's ``/vsicurl/`` needs range requests (``Range: bytes=a-b`` answered
with ``206 Partial Content``, RFC 9110 section 14), which ``http.server.SimpleHTTPRequestHandler``
does not implement; this adds single ranges. It runs in its own process: GDAL holds the GIL while
it waits for a response, so a server thread in the test process could never answer.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import sys


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Files of a folder, whole or one byte range at a time."""

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):
        self._left = None
        rng = self.headers.get("Range")
        path = self.translate_path(self.path)
        if rng is None or not os.path.isfile(path):
            return super().send_head()
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())
        size = os.path.getsize(path)
        if not m or int(m.group(1)) >= size:
            self.send_error(416)
            return None
        start = int(m.group(1))
        end = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
        f = open(path, "rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", self.date_time_string(int(os.path.getmtime(path))))
        self.end_headers()
        self._left = end - start + 1
        return f

    def copyfile(self, source, outputfile) -> None:
        left = self._left
        if left is None:
            super().copyfile(source, outputfile)
            return
        while left > 0:
            buf = source.read(min(left, 1 << 16))
            if not buf:
                break
            outputfile.write(buf)
            left -= len(buf)


def main() -> None:
    """Serve ``sys.argv[1]`` until killed."""
    handler = functools.partial(RangeHandler, directory=sys.argv[1])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
