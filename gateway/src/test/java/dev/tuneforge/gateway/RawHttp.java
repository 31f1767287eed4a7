package dev.tuneforge.gateway;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A raw HTTP/1.1 client for bodies the usual clients will not send: chunked without a length, or with a
 * {@code Content-Length} that lies. The body is written on a thread of its own while the answer is read, so
 * a server that answers before it has read everything (and closes) is seen answering, not as a broken pipe.
 */
final class RawHttp {

    /** The answer: status, headers (lower-case names) and body. */
    record Answer(int status, Map<String, String> headers, String body) {
    }

    private final URL base;

    RawHttp(URL base) {
        this.base = base;
    }

    /**
     * POSTs {@code total} bytes of {@code filler} after {@code head}, in chunks of 8 KiB, with
     * {@code Transfer-Encoding: chunked} and the given headers (a {@code Content-Length} among them lies).
     */
    Answer postChunked(String pathAndQuery, Map<String, String> headers, byte[] head, byte filler, long total)
            throws IOException, InterruptedException {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(60_000);
            StringBuilder request = new StringBuilder("POST " + pathAndQuery + " HTTP/1.1\r\n")
                    .append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n")
                    .append("Transfer-Encoding: chunked\r\n");
            headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
            request.append("\r\n");
            OutputStream out = socket.getOutputStream();
            Thread writer = Thread.ofPlatform().daemon().start(() -> {
                try {
                    out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[8192];
                    java.util.Arrays.fill(chunk, filler);
                    writeChunk(out, head, head.length);
                    for (long sent = head.length; sent < total; sent += chunk.length) {
                        writeChunk(out, chunk, (int) Math.min(chunk.length, total - sent));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    // the server answered and closed before the whole body was sent
                }
            });
            Answer answer = read(new BufferedInputStream(socket.getInputStream()));
            writer.join(60_000);
            return answer;
        }
    }

    private static void writeChunk(OutputStream out, byte[] data, int length) throws IOException {
        if (length > 0) {
            out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(data, 0, length);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static Answer read(InputStream in) throws IOException {
        String statusLine = line(in);
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = line(in); !line.isEmpty(); line = line(in)) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headers.containsKey("content-length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line(in).split(";")[0].trim(), 16); size > 0;
                 size = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
                body.write(in.readNBytes(size));
                line(in);
            }
        }
        return new Answer(status, headers, body.toString(StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b == -1) {
                throw new IOException("the connection closed in the middle of the answer");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }
}
