package dev.tuneforge.platform;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * Entry point of the Java child processes (broker, S3 server): runs the real main class and exits
 * when the parent JVM is gone. The parent holds the child's stdin open; when it dies, even by
 * SIGKILL, the pipe reaches end-of-file and the child shuts down through its own shutdown hooks.
 *
 * <p>It is copied as a lone class file next to the child's classpath, so it must use the JDK only
 * and stay a single class (lambdas are fine, inner classes are not).
 */
public final class ParentWatchdog {

    private ParentWatchdog() {
    }

    public static void main(String[] args) throws Throwable {
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // Nothing is ever written; reading only waits for end-of-file.
                }
            } catch (IOException e) {
                // A broken pipe means the same as end-of-file: the parent is gone.
            }
            System.err.println("tuneforge: parent process is gone, shutting down");
            System.exit(143);
        }, "tuneforge-parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        try {
            Class.forName(args[0])
                    .getMethod("main", String[].class)
                    .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
