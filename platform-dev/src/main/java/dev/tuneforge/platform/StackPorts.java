package dev.tuneforge.platform;

/** The loopback ports of the stack's servers. */
public record StackPorts(int kafka, int kafkaController, int s3, int postgres) {

    /**
     * Ports of the persistent local stack. S3 is on 9100, not the usual 9000 that many other tools
     * claim; PostgreSQL on 5433 so it does not clash with a system PostgreSQL on 5432.
     */
    public static final StackPorts DEFAULTS = new StackPorts(9092, 9093, 9100, 5433);

    public StackPorts {
        for (int port : new int[] {kafka, kafkaController, s3, postgres}) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("not a TCP port: " + port);
            }
        }
    }

    /** Free ports picked now, for an ephemeral stack. */
    public static StackPorts random() {
        return new StackPorts(Ports.freePort(), Ports.freePort(), Ports.freePort(), Ports.freePort());
    }
}
