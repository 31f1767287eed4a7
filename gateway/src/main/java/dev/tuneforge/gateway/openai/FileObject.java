package dev.tuneforge.gateway.openai;

/**
 * A file as OpenAI's API shows it ({@code object: "file"}). {@code status} is always {@code processed}: a file is
 * stored whole before it is answered, and checked only when a job trains on it (the job's {@code error} says what is
 * wrong with it, as OpenAI's does).
 *
 * @param createdAt Unix seconds
 */
public record FileObject(String id, String object, long bytes, long createdAt, String filename, String purpose,
                         String status, Long expiresAt, String statusDetails) {

    static FileObject of(String id, long bytes, long createdAt, String filename, String purpose) {
        return new FileObject(id, "file", bytes, createdAt, filename, purpose, "processed", null, null);
    }
}
