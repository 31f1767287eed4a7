package dev.tuneforge.platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;

/** Loopback port helpers: every server of the stack listens on 127.0.0.1 only. */
public final class Ports {

    public static final String HOST = "127.0.0.1";

    private Ports() {
    }

    /** A port that was free a moment ago; the child process binds it right after. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("could not find a free port on " + HOST, e);
        }
    }

    public static boolean isListening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Fails early, naming the port and its user, instead of letting a child die on a bind error. */
    public static void requireFree(int port, String what) {
        if (isListening(port)) {
            throw new IllegalStateException(what + " port " + port + " on " + HOST
                    + " is already in use. Is another tuneforge stack running? (bin/tuneforge down)"
                    + " Otherwise pick another port.");
        }
    }

    /** Waits until the child accepts connections on the port, failing fast if it exits. */
    public static void awaitListening(ChildProcess child, int port, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (!isListening(port)) {
            if (!child.isAlive()) {
                throw child.failure("exited before listening on port " + port);
            }
            if (Instant.now().isAfter(deadline)) {
                throw child.failure("did not listen on port " + port + " within " + timeout.toSeconds() + "s");
            }
            sleep(Duration.ofMillis(200));
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
