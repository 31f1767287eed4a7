package dev.tuneforge.gateway.domain;

/**
 * What a chat request's {@code model} names, resolved: a base model of the catalogue, or a registered
 * version (its adapter on its base model, or its full model).
 *
 * @param requested   the {@code model} as the client wrote it; responses name it
 * @param resolved    what it resolved to, as a request can name it exactly ({@code name:version}, or the base
 *                    model's name); responses carry it as {@code system_fingerprint}, so a client sees which
 *                    version an alias or a bare name served
 * @param serverKey   one server per key: a base model and every adapter version on it share one process
 *                    ({@code base/<base model>}, started with {@code --adapters}); a full model has its own
 * @param baseModel   the catalogue name of the base model
 * @param artifactKey the version's artifact prefix in S3; null for a base model
 * @param fullModel   the artifact is a full model (method {@code full}), not a LoRA adapter
 * @param artifactDir where the weights may be in the artifact: null for its root (a job's output), {@code adapter} or
 *                    {@code model} for a checkpoint, which holds them beside its optimizer state (in that
 *                    subdirectory, or at its root as the djl runtime writes them)
 * @param adapterId   for an adapter version, the id its base model's server serves it under (the {@code model} a
 *                    forwarded request names, docs/WORKER_PROTOCOL.md "Many adapters in one server"); null for a
 *                    base model or a full model
 */
public record ChatTarget(String requested, String resolved, String serverKey, String baseModel, String artifactKey,
                         String artifactSha256, boolean fullModel, String artifactDir, String adapterId) {

    public ChatTarget(String requested, String resolved, String serverKey, String baseModel, String artifactKey,
                      String artifactSha256, boolean fullModel) {
        this(requested, resolved, serverKey, baseModel, artifactKey, artifactSha256, fullModel, null, null);
    }

    /** The key of the server that serves a base model and its adapters. */
    public static String baseServerKey(String baseModel) {
        return "base/" + baseModel;
    }
}
