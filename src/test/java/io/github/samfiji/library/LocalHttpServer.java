package io.github.samfiji.library;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A download server on 127.0.0.1 for tests: serves one file at /NAME, honours Range requests, and can misbehave on
 * purpose (cut a transfer short, send corrupted bytes, ignore Range).
 */
final class LocalHttpServer implements AutoCloseable {

    enum Fault {
        NONE,
        /** The next response announces the whole length but stops half-way and drops the connection. */
        CUT_NEXT,
        /** The next response sends half, then nothing for two seconds (a stalled connection). */
        STALL_NEXT,
        /** Every response has one byte changed. */
        CORRUPT,
        /** Range requests are answered with the whole file (200), as some servers do. */
        IGNORE_RANGE
    }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final HttpServer server;
    private final byte[] content;
    final List<String> ranges = new CopyOnWriteArrayList<>();
    volatile Fault fault = Fault.NONE;

    LocalHttpServer(String name, byte[] content) throws IOException {
        this.content = content;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/" + name, this::handle);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    URI uri(String name) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + name);
    }

    URI folder() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String range = ex.getRequestHeaders().getFirst("Range");
            ranges.add(range == null ? "" : range);
            byte[] body = content.clone();
            if (fault == Fault.CORRUPT) {
                body[body.length / 2] ^= 0x5a;
            }
            int start = 0;
            Matcher m = range == null ? null : RANGE.matcher(range);
            if (m != null && m.matches() && fault != Fault.IGNORE_RANGE) {
                start = Integer.parseInt(m.group(1));
                if (start >= body.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().set("Content-Range",
                        "bytes " + start + "-" + (body.length - 1) + "/" + body.length);
                ex.sendResponseHeaders(206, body.length - start);
            } else {
                ex.sendResponseHeaders(200, body.length);
            }
            OutputStream out = ex.getResponseBody();
            if (fault == Fault.STALL_NEXT) {
                fault = Fault.NONE;
                out.write(body, start, (body.length - start) / 2);
                out.flush();
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            if (fault == Fault.CUT_NEXT) {
                fault = Fault.NONE;
                out.write(body, start, (body.length - start) / 2);
                out.flush();
                // Closing with bytes missing makes the server drop the connection: the client sees a short transfer.
                return;
            }
            out.write(body, start, body.length - start);
        } catch (IOException e) {
            // the cut transfer ends here on purpose
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
